//! Wall time of whole processes that each append to a journal, interleaved
//! in one run so that they see the same machine, the same disk and the same
//! noise.
//!
//! Before every timed run the prepared journal is copied over the target
//! and both the copy and its directory are synced, outside the timed region,
//! so each run starts from the same durable file and flushes only its own
//! append. The order of the contenders rotates from round to round.
//!
//! ```text
//! hook_latency [--runs N] [--expect-status S] [--flushes STAT] PREPARED TARGET NAME CMD [ARGS…] [:: NAME CMD [ARGS…]]…
//! hook_latency [--runs N] [--expect-status S] [--flushes STAT] --setup SHELL NAME CMD [ARGS…] [:: NAME CMD [ARGS…]]…
//! ```
//!
//! A contender's CMD may start with `NAME=VALUE` words, set in its
//! environment only (`PROVISION_JOURNAL_JOURNALD_SOCKET=…`).
//!
//! With `--setup`, the shell command SHELL (`sh -c`) prepares every timed
//! run instead of the copy, outside the timed region: for the real path it
//! mounts the boot file system, puts the prepared journal on it and
//! unmounts it, which also makes it durable. With `--flushes`, the flush
//! requests the block device completed during each timed run are counted
//! from STAT, the device's `/sys/block/DEV/stat` (its 16th field, "flush
//! I/Os", of `Documentation/block/stat.rst`).
//!
//! Prints one line per contender: `NAME median_us p25_us p75_us min_us runs`,
//! then one line per ordered pair of contenders, from the rounds they shared:
//! `pair A B median_ratio p25_ratio p75_ratio median_excess_us`, where the
//! ratio is A's time over B's in the same round and the excess A's time minus
//! B's; with `--flushes`, one more line per contender:
//! `flushes NAME median p25 p75 min max`. Paired figures cancel whatever slowed a whole round down (a busy
//! disk, another process), which medians taken apart do not.
//! `benches/run.sh` builds the table from those lines.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

struct Contender {
    name: String,
    argv: Vec<String>,
    micros: Vec<f64>,
    flushes: Vec<f64>,
}

/// How each timed run's journal is put in place.
enum Prepare {
    /// A durable copy of the prepared journal at the target path.
    Copy { prepared: PathBuf, target: PathBuf },
    /// A shell command.
    Setup(String),
}

struct Plan {
    runs: usize,
    expect_status: i32,
    prepare: Prepare,
    flush_stat: Option<PathBuf>,
    contenders: Vec<Contender>,
}

fn usage() -> String {
    "usage: hook_latency [--runs N] [--expect-status S] [--flushes STAT] \
     {PREPARED TARGET | --setup SHELL} NAME CMD [ARGS...] [:: NAME CMD [ARGS...]]..."
        .to_owned()
}

fn parse(mut args: Vec<String>) -> Result<Plan, String> {
    // `cargo bench` appends `--bench` to a harness-less bench's arguments.
    args.retain(|arg| arg != "--bench");
    let mut runs = 101;
    let mut expect_status = 0;
    let mut setup = None;
    let mut flush_stat = None;
    let mut rest = args.into_iter();
    let mut positional = Vec::new();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--runs" => runs = number(rest.next())?,
            "--expect-status" => expect_status = number(rest.next())?,
            "--setup" => setup = Some(rest.next().ok_or_else(usage)?),
            "--flushes" => flush_stat = Some(PathBuf::from(rest.next().ok_or_else(usage)?)),
            _ => {
                positional.push(arg);
                positional.extend(rest.by_ref());
            }
        }
    }
    let mut positional = positional.into_iter();
    let prepare = match setup {
        Some(command) => Prepare::Setup(command),
        None => Prepare::Copy {
            prepared: positional.next().ok_or_else(usage)?.into(),
            target: positional.next().ok_or_else(usage)?.into(),
        },
    };
    let words: Vec<String> = positional.collect();
    let contenders = words
        .split(|word| word == "::")
        .map(|group| match group {
            [name, argv @ ..] if !argv.is_empty() => Ok(Contender {
                name: name.clone(),
                argv: argv.to_vec(),
                micros: Vec::with_capacity(runs),
                flushes: Vec::with_capacity(runs),
            }),
            _ => Err(usage()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if runs == 0 {
        return Err("--runs must be at least 1".to_owned());
    }
    Ok(Plan {
        runs,
        expect_status,
        prepare,
        flush_stat,
        contenders,
    })
}

fn number<T: std::str::FromStr>(text: Option<String>) -> Result<T, String> {
    text.and_then(|text| text.parse().ok())
        .ok_or_else(|| "expected a number".to_owned())
}

/// Puts a durable copy of `prepared` at `target`.
fn reset_target(prepared: &Path, target: &Path) -> std::io::Result<()> {
    match fs::remove_file(target) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    fs::copy(prepared, target)?;
    File::open(target)?.sync_all()?;
    let dir = target.parent().filter(|dir| !dir.as_os_str().is_empty());
    File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

/// Puts the journal in place for one timed run.
fn prepare(prepare: &Prepare) -> Result<(), String> {
    match prepare {
        Prepare::Copy { prepared, target } => reset_target(prepared, target)
            .map_err(|error| format!("cannot prepare {}: {error}", target.display())),
        Prepare::Setup(command) => {
            let status = Command::new("sh")
                .args(["-c", command])
                .stdin(Stdio::null())
                .status()
                .map_err(|error| format!("cannot run the setup: {error}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("the setup `{command}` exited with {status}"))
            }
        }
    }
}

/// The flush requests the device has completed since it appeared.
fn flush_count(stat: &Path) -> Result<u64, String> {
    let text = fs::read_to_string(stat)
        .map_err(|error| format!("cannot read {}: {error}", stat.display()))?;
    text.split_whitespace()
        .nth(15)
        .and_then(|field| field.parse().ok())
        .ok_or_else(|| format!("{} has no flush count (field 16)", stat.display()))
}

/// Times one run of `contender`, and counts the device's flushes during it.
/// Leading `NAME=VALUE` words of its command are set in its environment
/// (as `env` would, without timing another process).
fn time_one(plan: &Plan, contender: &Contender) -> Result<(f64, Option<u64>), String> {
    prepare(&plan.prepare)?;
    let flushes_before = plan.flush_stat.as_deref().map(flush_count).transpose()?;
    let assignments = contender
        .argv
        .iter()
        .take_while(|word| {
            word.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
            })
        })
        .count();
    let argv = &contender.argv[assignments..];
    let mut command = Command::new(&argv[0]);
    for word in &contender.argv[..assignments] {
        let (name, value) = word.split_once('=').expect("an assignment");
        command.env(name, value);
    }
    command
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|error| format!("cannot run {}: {error}", contender.argv[0]))?;
    let micros = started.elapsed().as_secs_f64() * 1e6;
    let flushes_after = plan.flush_stat.as_deref().map(flush_count).transpose()?;
    if status.code() != Some(plan.expect_status) {
        return Err(format!(
            "{} exited with {status}, expected {}",
            contender.name, plan.expect_status
        ));
    }
    let flushes = flushes_before
        .zip(flushes_after)
        .map(|(before, after)| after - before);
    Ok((micros, flushes))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = q * (sorted.len() - 1) as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (at - low as f64)
}

fn run(mut plan: Plan) -> Result<(), String> {
    // One untimed round warms the page cache and the binaries.
    for contender in &plan.contenders {
        time_one(&plan, contender)?;
    }
    let count = plan.contenders.len();
    for round in 0..plan.runs {
        for turn in 0..count {
            let index = (round + turn) % count;
            let (micros, flushes) = time_one(&plan, &plan.contenders[index])?;
            plan.contenders[index].micros.push(micros);
            plan.contenders[index]
                .flushes
                .extend(flushes.map(|n| n as f64));
        }
    }
    prepare(&plan.prepare)?;
    // Sample `round` of every contender comes from the same round.
    let mut pairs = Vec::new();
    for (i, a) in plan.contenders.iter().enumerate() {
        for (_, b) in plan.contenders.iter().enumerate().filter(|(j, _)| *j != i) {
            let mut ratios: Vec<f64> = a.micros.iter().zip(&b.micros).map(|(x, y)| x / y).collect();
            let mut excess: Vec<f64> = a.micros.iter().zip(&b.micros).map(|(x, y)| x - y).collect();
            ratios.sort_by(f64::total_cmp);
            excess.sort_by(f64::total_cmp);
            pairs.push(format!(
                "pair {} {} {:.3} {:.3} {:.3} {:.0}",
                a.name,
                b.name,
                quantile(&ratios, 0.5),
                quantile(&ratios, 0.25),
                quantile(&ratios, 0.75),
                quantile(&excess, 0.5)
            ));
        }
    }
    for contender in &mut plan.contenders {
        contender.micros.sort_by(f64::total_cmp);
        let sorted = &contender.micros;
        println!(
            "{} {:.0} {:.0} {:.0} {:.0} {}",
            contender.name,
            quantile(sorted, 0.5),
            quantile(sorted, 0.25),
            quantile(sorted, 0.75),
            sorted[0],
            sorted.len()
        );
    }
    for pair in pairs {
        println!("{pair}");
    }
    for contender in plan.contenders.iter_mut().filter(|c| !c.flushes.is_empty()) {
        contender.flushes.sort_by(f64::total_cmp);
        let sorted = &contender.flushes;
        println!(
            "flushes {} {} {} {} {} {}",
            contender.name,
            quantile(sorted, 0.5),
            quantile(sorted, 0.25),
            quantile(sorted, 0.75),
            sorted[0],
            sorted[sorted.len() - 1]
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let outcome = parse(std::env::args().skip(1).collect()).and_then(run);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hook_latency: {message}");
            ExitCode::FAILURE
        }
    }
}
