//! Where the journal is: the `--journal` path, or the same file name on the
//! boot device (`--boot-device`, or the configuration's `[Boot] Device`)
//! mounted for the call.

use std::time::Duration;

use camino::Utf8Path;

use provision_journal::config::Config;

use crate::args::Cli;
use crate::exit::{Exit, Failure};
pub use crate::mount::Access;
use crate::mount::BootMount;

/// Runs `command` with the journal's path, mounting the boot device around
/// it if one was given. An unmount failure after a successful command is a
/// failure too: the record might not have reached the disk.
pub fn with_journal<T>(
    cli: &Cli,
    config: &Config,
    access: Access,
    command: impl FnOnce(&Utf8Path) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let Some(device) = &config.device.value else {
        crate::evidence::set_journal(cli.journal.as_str(), None);
        return command(&cli.journal);
    };
    let timeout = Duration::from_secs(config.device_timeout_sec.value);
    let mount = BootMount::mount(device, timeout, access)?;
    let name = journal_in_call(cli, config).as_str();
    crate::evidence::set_journal(name, Some(device.to_string()));
    // The command works in the mount, on the journal's plain name: what it
    // prints names the file the user has, not a mount point that is gone
    // when the call returns.
    let entered = std::env::set_current_dir(mount.dir().as_std_path());
    let result = match entered {
        Ok(()) => command(Utf8Path::new(name)),
        Err(error) => Err(Failure::new(
            Exit::Mount,
            format!("cannot enter the mounted boot device: {error}"),
        )),
    };
    let _ = std::env::set_current_dir("/");
    let unmounted = mount.unmount();
    let value = result.map_err(|failure| failure.on_device(device))?;
    unmounted?;
    Ok(value)
}

/// The journal's path as [`with_journal`] gives it to its command: the
/// `--journal` path, or on a boot device the file's plain name in the
/// mount.
pub fn journal_in_call<'c>(cli: &'c Cli, config: &Config) -> &'c Utf8Path {
    match &config.device.value {
        Some(_) => Utf8Path::new(cli.journal.file_name().unwrap_or("provision-journal")),
        None => &cli.journal,
    }
}

/// The directory the journal at `path` is in (`.` for a bare name).
pub fn journal_dir(path: &Utf8Path) -> &Utf8Path {
    match path.parent() {
        Some(dir) if !dir.as_str().is_empty() => dir,
        _ => Utf8Path::new("."),
    }
}

/// Fails with [`Exit::NotFound`] if the journal's directory does not exist,
/// so a wrong path is reported as such rather than as an empty journal.
pub fn require_directory(path: &Utf8Path) -> Result<(), Failure> {
    let dir = journal_dir(path);
    match std::fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(_) => Err(Failure::new(
            Exit::NotFound,
            format!("the directory `{dir}` of journal `{path}` is not a directory"),
        )),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(Failure::new(
            Exit::NotFound,
            format!("the directory `{dir}` of journal `{path}` does not exist"),
        )),
        Err(error) => Err(Failure::new(
            Exit::NotFound,
            format!("the directory `{dir}` of journal `{path}` cannot be used: {error}"),
        )),
    }
}

/// Warns on stderr when the journal at `path` is a regular file with more
/// than one name: a reader reads it, but the other names share every byte
/// (writers refuse it, exit 22). Anything else (a directory, whose link
/// count counts its subdirectories, a symbolic link, a FIFO) is left to
/// the error that names what it is.
pub fn warn_if_hard_linked(path: &Utf8Path) {
    if let Ok(stat) = rustix::fs::lstat(path.as_std_path())
        && rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::RegularFile
        && stat.st_nlink > 1
    {
        crate::output::complain(format_args!(
            "provision-journal: warning: journal `{path}` has {} hard links: it is the same file as every other name, and hooks refuse to write it",
            stat.st_nlink
        ));
    }
}
