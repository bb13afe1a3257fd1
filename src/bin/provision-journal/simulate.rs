//! `simulate`: a whole first boot in memory, a power cut, and the next
//! boot's real `check` on the bytes that survived.

use camino::Utf8PathBuf;
use provision_journal::boot_context::{BootInputs, FIRSTBOOT_ARG, FIRSTBOOT_STAMP};
use provision_journal::simulate::{self, CutPoint, NEXT_BOOT};

use crate::exit::{Exit, Failure};
use crate::{check, dump};

/// Runs the simulation cut at `point_name` and prints what happened.
pub fn run(point_name: &str) -> Result<Exit, Failure> {
    let point = CutPoint::named(point_name).expect("the argument parser accepts only cut points");
    let simulation = simulate::run(point)?;
    println!(
        "A first boot, run hook by hook; the power is cut at `{}`.",
        point.name
    );
    println!();
    for (command, said) in &simulation.transcript {
        println!("  $ provision-journal {command}");
        println!("    {said}");
    }
    let written = simulation.before_cut.as_ref().map_or(0, Vec::len);
    let surviving = simulation.surviving.as_ref().map_or(0, Vec::len);
    println!();
    println!("  -- power cut: {surviving} of {written} journal bytes were synced and survive --");
    println!();

    let dir = scratch_dir()?;
    let result = next_boot(&dir, simulation.surviving.as_deref());
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn next_boot(dir: &Utf8PathBuf, surviving: Option<&[u8]>) -> Result<Exit, Failure> {
    let journal = dir.join("provision-journal");
    let io = |what: &str, error: std::io::Error| {
        Failure::new(Exit::Io, format!("failed to {what} in `{dir}`: {error}"))
    };
    if let Some(bytes) = surviving {
        std::fs::write(&journal, bytes).map_err(|error| io("write the journal", error))?;
    }
    std::fs::write(dir.join(FIRSTBOOT_STAMP), b"")
        .map_err(|error| io("write the firstboot stamp", error))?;
    let inputs = BootInputs {
        boot_id: NEXT_BOOT,
        cmdline: FIRSTBOOT_ARG.to_owned(),
        firstboot_stamp: true,
        live_override: None,
    };
    println!("Next boot ({}): provision-journal check", NEXT_BOOT.short());
    print!("  ");
    let exit = check::run(&journal, &inputs)?;
    println!("  (exit status {})", exit as u8);
    println!();
    println!("$ provision-journal dump");
    dump::run(&journal, false)?;
    Ok(Exit::Ok)
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
