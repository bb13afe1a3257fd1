//! `simulate`: a whole first boot in memory, a power cut, and the next
//! boot's real `check` on the bytes that survived.

pub mod cut_points;
mod run;

use std::io::Write;

use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::FixedClock;
use provision_journal::Policy;
use provision_journal::boot_context::BootInputs;
use provision_journal::config::{PolicySettings, Signals};

use self::cut_points::{CutPoint, NEXT_BOOT, SIMULATED_WALL_MS, Script};
use self::run::Simulation;
use crate::exit::{Exit, Failure};
use crate::output::{Report, Stopped};
use crate::{check, dump};

/// Runs the simulation cut at `point_name` and prints what happened; the
/// journal is left in `keep` if given, else removed with its temporary
/// directory. A reader that closes the pipe early ends the report.
pub fn run(point_name: &str, keep: Option<&Utf8Path>) -> Result<Exit, Failure> {
    let point = CutPoint::named(point_name).expect("the argument parser accepts only cut points");
    let simulation = run::run(point)?;
    let dir = match keep {
        Some(keep) => kept_dir(keep)?,
        None => scratch_dir()?,
    };
    // The next boot reads the journal by its plain name in the scratch
    // directory, so the dump does not name a path removed on return.
    std::env::set_current_dir(dir.as_std_path())
        .map_err(|error| Failure::new(Exit::Io, format!("failed to enter `{dir}`: {error}")))?;
    let mut out = Report::stdout();
    let mut shown = show(point, &simulation, &dir, &mut out);
    let _ = std::env::set_current_dir("/");
    match keep {
        Some(keep) => {
            let journal = keep.join(JOURNAL_NAME);
            shown = shown.and_then(|()| {
                writeln!(
                    out,
                    "\nThe journal is kept as {journal}. Try:\n  \
                     provision-journal status {journal}\n  \
                     provision-journal dump {journal}\n  \
                     provision-journal reset --journal {journal} --reason \"practice\""
                )
                .map_err(Stopped::from)
            });
        }
        None => {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    out.finish_or_fail(shown, Exit::Ok)
}

/// The journal's name in the simulation's directory.
const JOURNAL_NAME: &str = "provision-journal";

/// `keep` made ready for the journal, as an absolute path: created if
/// missing, refused if it already holds a journal.
fn kept_dir(keep: &Utf8Path) -> Result<Utf8PathBuf, Failure> {
    std::fs::create_dir_all(keep)
        .map_err(|error| Failure::new(Exit::Io, format!("failed to create `{keep}`: {error}")))?;
    let journal = keep.join(JOURNAL_NAME);
    if journal.symlink_metadata().is_ok() {
        return Err(Failure::new(
            Exit::Usage,
            format!(
                "`{journal}` already exists: `simulate --keep` writes a new journal, so name a directory without one"
            ),
        ));
    }
    camino::absolute_utf8(keep)
        .map_err(|error| Failure::new(Exit::Io, format!("failed to resolve `{keep}`: {error}")))
}

fn show(
    point: CutPoint,
    simulation: &Simulation,
    dir: &Utf8PathBuf,
    out: &mut dyn Write,
) -> Result<(), Stopped> {
    let side = point.side().describe();
    let ending = match point.script {
        Script::Provisioning => format!("The power is cut at `{}` ({side}).", point.name),
        Script::KargsReboot => format!(
            "The boot ends at `{}` ({side}):\nthe machine reboots, as planned, to apply its kernel arguments.",
            point.name
        ),
        Script::KargsFails | Script::DisksFails => format!(
            "The boot ends at `{}` ({side}):\nthe failed stage's unit sent the boot to the emergency shell; then the machine\nis reset (a hard reset, like a power cut: what was not synced is lost).",
            point.name
        ),
    };
    writeln!(
        out,
        "A first boot, run hook by hook; then the next boot's check and the journal."
    )?;
    writeln!(out)?;
    legend(out)?;
    writeln!(out)?;
    writeln!(out, "{ending}")?;
    writeln!(out)?;
    for (command, said) in &simulation.transcript {
        writeln!(out, "  $ provision-journal {command}")?;
        match (said, point.torn) {
            (Some(said), _) => writeln!(out, "    {said}")?,
            (None, Some(tear)) => writeln!(
                out,
                "    -- the power goes inside this append, before its fdatasync returned: {} --",
                tear.describe()
            )?,
            (None, None) => {}
        }
    }
    let written = simulation.before_cut.as_ref().map_or(0, Vec::len);
    let surviving = simulation.surviving.as_ref().map_or(0, Vec::len);
    // What ends the boot, in words that cannot be taken for a command
    // (`reset` is the operator's).
    let event = match point.script {
        Script::Provisioning => "power cut",
        Script::KargsReboot => "planned reboot",
        Script::KargsFails | Script::DisksFails => "machine reset",
    };
    writeln!(out)?;
    match simulation.torn_tail {
        None => writeln!(
            out,
            "  -- {event}: {surviving} of {written} journal bytes were synced and survive --"
        )?,
        Some(torn) => writeln!(
            out,
            "  -- {event}: {surviving} journal bytes survive: {} synced, then a torn tail of {} bytes --",
            torn.offset, torn.len
        )?,
    }
    writeln!(out)?;
    if let Some(torn) = simulation.torn_tail {
        writeln!(
            out,
            "The journal ends in a torn tail ({} bytes at offset {}): the next writer cuts\n\
             it off before it appends, and records that it did (`tail repaired` in the dump).\n",
            torn.len, torn.offset
        )?;
    }
    next_boot(dir, simulation.surviving.as_deref(), out)
}

/// The terms the report uses, said once before their first use.
fn legend(out: &mut dyn Write) -> Result<(), Stopped> {
    writeln!(out, "Terms:")?;
    writeln!(
        out,
        "  attempt   one provisioning of the machine, from its first `check` to `complete`\n\
         \x20           (or to poisoned); it may span several boots"
    )?;
    writeln!(
        out,
        "  red line  the start of the `disks` stage: a boot interrupted before it is\n\
         \x20           retried safely; past it, a rerun could mix two configs"
    )?;
    writeln!(
        out,
        "  poisoned  the journal holds a record that stops provisioning on every boot\n\
         \x20           until an operator acts (`provision-journal status` says how)"
    )?;
    Ok(())
}

fn next_boot(
    dir: &Utf8PathBuf,
    surviving: Option<&[u8]>,
    out: &mut dyn Write,
) -> Result<(), Stopped> {
    // The working directory is `dir`: the journal goes by its plain name.
    let journal = Utf8PathBuf::from(JOURNAL_NAME);
    let io = |what: &str, error: std::io::Error| {
        Failure::new(Exit::Io, format!("failed to {what} in `{dir}`: {error}"))
    };
    if let Some(bytes) = surviving {
        std::fs::write(&journal, bytes).map_err(|error| io("write the journal", error))?;
    }
    // simulate shows the built-in defaults, whatever the machine's
    // configuration says.
    let signals = Signals::default();
    let stamp = signals
        .firstboot_stamp
        .value
        .as_ref()
        .expect("a default stamp");
    std::fs::write(stamp, b"").map_err(|error| io("write the firstboot stamp", error))?;
    let cmdline = signals.firstboot_arguments.value[0].to_string();
    let inputs = BootInputs {
        boot_id: NEXT_BOOT,
        cmdline,
        firstboot_stamp: true,
        live_override: None,
        signals,
        policy: Policy::default(),
    };
    writeln!(
        out,
        "Next boot ({}): provision-journal check",
        NEXT_BOOT.short()
    )?;
    // The next boot comes five minutes after the simulated one began.
    let mut clock = FixedClock::new(NEXT_BOOT, SIMULATED_WALL_MS + 300_000);
    let verdict = check::decide_at(&journal, &inputs, &mut clock, std::time::Duration::ZERO)?;
    writeln!(out, "  {verdict}")?;
    writeln!(out, "  (exit status {})", check::exit_for(&verdict) as u8)?;
    writeln!(out)?;
    writeln!(out, "$ provision-journal dump")?;
    dump::write(&journal, false, &PolicySettings::default(), out)?;
    writeln!(out)?;
    writeln!(
        out,
        "(NEXT CHECK above is about the boot after {0}: what `check` would decide\n\
         if the machine booted again now. Boot {0}'s own decision is further up.)",
        NEXT_BOOT.short()
    )?;
    Ok(())
}

fn scratch_dir() -> Result<Utf8PathBuf, Failure> {
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    let dir = base.join(format!(
        "provision-journal-simulate.{}.{nanos}",
        std::process::id()
    ));
    std::fs::create_dir(&dir).map_err(|error| {
        Failure::new(
            Exit::Io,
            format!("failed to create `{}`: {error}", dir.display()),
        )
    })?;
    Utf8PathBuf::from_path_buf(dir).map_err(|dir| {
        Failure::new(
            Exit::Io,
            format!("temporary directory `{}` is not UTF-8", dir.display()),
        )
    })
}
