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
//! hook_latency [--runs N] [--expect-status S] PREPARED TARGET NAME CMD [ARGS…] [:: NAME CMD [ARGS…]]…
//! ```
//!
//! Prints one line per contender: `NAME median_us p25_us p75_us min_us runs`,
//! then one line per ordered pair of contenders, from the rounds they shared:
//! `pair A B median_ratio p25_ratio p75_ratio median_excess_us`, where the
//! ratio is A's time over B's in the same round and the excess A's time minus
//! B's. Paired figures cancel whatever slowed a whole round down (a busy
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
}

struct Plan {
    runs: usize,
    expect_status: i32,
    prepared: PathBuf,
    target: PathBuf,
    contenders: Vec<Contender>,
}

fn usage() -> String {
    "usage: hook_latency [--runs N] [--expect-status S] PREPARED TARGET \
     NAME CMD [ARGS...] [:: NAME CMD [ARGS...]]..."
        .to_owned()
}

fn parse(mut args: Vec<String>) -> Result<Plan, String> {
    // `cargo bench` appends `--bench` to a harness-less bench's arguments.
    args.retain(|arg| arg != "--bench");
    let mut runs = 101;
    let mut expect_status = 0;
    let mut rest = args.into_iter();
    let mut positional = Vec::new();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--runs" => runs = number(rest.next())?,
            "--expect-status" => expect_status = number(rest.next())?,
            _ => {
                positional.push(arg);
                positional.extend(rest.by_ref());
            }
        }
    }
    let mut positional = positional.into_iter();
    let prepared = positional.next().ok_or_else(usage)?.into();
    let target = positional.next().ok_or_else(usage)?.into();
    let words: Vec<String> = positional.collect();
    let contenders = words
        .split(|word| word == "::")
        .map(|group| match group {
            [name, argv @ ..] if !argv.is_empty() => Ok(Contender {
                name: name.clone(),
                argv: argv.to_vec(),
                micros: Vec::with_capacity(runs),
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
        prepared,
        target,
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

fn time_one(plan: &Plan, contender: &Contender) -> Result<f64, String> {
    reset_target(&plan.prepared, &plan.target)
        .map_err(|error| format!("cannot prepare {}: {error}", plan.target.display()))?;
    let mut command = Command::new(&contender.argv[0]);
    command
        .args(&contender.argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|error| format!("cannot run {}: {error}", contender.argv[0]))?;
    let micros = started.elapsed().as_secs_f64() * 1e6;
    if status.code() != Some(plan.expect_status) {
        return Err(format!(
            "{} exited with {status}, expected {}",
            contender.name, plan.expect_status
        ));
    }
    Ok(micros)
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
            let micros = time_one(&plan, &plan.contenders[index])?;
            plan.contenders[index].micros.push(micros);
        }
    }
    reset_target(&plan.prepared, &plan.target).map_err(|error| error.to_string())?;
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
