//! Where `check` puts a restored config: `[Cache] RestoreTo`, which must be
//! in memory.
//!
//! In the initramfs `/` is a tmpfs or ramfs (the unpacked initramfs) and
//! `/run` a tmpfs, so a restored config vanishes with the boot. A path on
//! a persistent file system would write the config's secrets to a disk, so
//! the file system under the target is asked (`statfs`) rather than the
//! path judged by its spelling: a bind mount, a symbolic link in the path
//! or a disk mounted under `/run` are all seen for what they are.

use std::io;

use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::kept::KeptError;
use rustix::fs::{Mode, OFlags};

use crate::output::{complain, say};

/// `TMPFS_MAGIC` from `linux/magic.h`.
const TMPFS_MAGIC: i64 = 0x0102_1994;
/// `RAMFS_MAGIC` from `linux/magic.h`.
const RAMFS_MAGIC: i64 = 0x8584_58f6;

fn refuse(target: &Utf8Path, problem: impl Into<String>) -> KeptError {
    KeptError::Target {
        path: target.to_owned(),
        problem: problem.into(),
    }
}

/// Fails unless `dir` is on a tmpfs or ramfs.
fn require_memory(target: &Utf8Path, dir: &Utf8Path) -> Result<(), KeptError> {
    let stat = rustix::fs::statfs(dir.as_std_path()).map_err(|error| {
        refuse(
            target,
            format!(
                "cannot tell the file system of `{dir}`: {}",
                io::Error::from(error)
            ),
        )
    })?;
    // `f_type` is signed on some architectures and unsigned on others.
    #[allow(clippy::unnecessary_cast)]
    let magic = (stat.f_type as i64) & 0xffff_ffff;
    if magic == TMPFS_MAGIC || magic == RAMFS_MAGIC {
        return Ok(());
    }
    Err(refuse(
        target,
        format!(
            "`{dir}` is on a persistent file system (statfs type {magic:#x}, neither tmpfs nor ramfs): a restored config holds secrets and must stay in memory, as the initramfs's / and /run are"
        ),
    ))
}

/// Writes `bytes` to `target` (mode 0600) through a temporary file renamed
/// over it, after making sure the target's directory is in memory. The
/// directory is created if missing, once its nearest existing ancestor is
/// found to be in memory. Nothing is synced: it is memory.
pub fn write_target(target: &Utf8Path, bytes: &[u8]) -> Result<(), KeptError> {
    let (Some(dir), Some(_)) = (target.parent(), target.file_name()) else {
        return Err(refuse(target, "it names no file"));
    };
    let mut existing = dir;
    while !existing.exists() {
        existing = existing
            .parent()
            .ok_or_else(|| refuse(target, "no directory of it exists"))?;
    }
    require_memory(target, existing)?;
    std::fs::create_dir_all(dir)
        .map_err(|error| refuse(target, format!("cannot create `{dir}`: {error}")))?;
    require_memory(target, dir)?;
    let temp = leftover_path(target).expect("the target names a file");
    let io_error = |what: &str, error: io::Error| refuse(target, format!("{what}: {error}"));
    match std::fs::remove_file(&temp) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(&format!("cannot remove `{temp}`"), error)),
    }
    let file = rustix::fs::open(
        temp.as_std_path(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|error| io_error(&format!("cannot create `{temp}`"), error.into()))?;
    let mut file = std::fs::File::from(file);
    let written = io::Write::write_all(&mut file, bytes);
    drop(file);
    if let Err(error) = written.and_then(|()| std::fs::rename(&temp, target)) {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error("cannot write it", error));
    }
    Ok(())
}

/// The temporary file a restore to `target` writes before it renames it
/// over the target: `.NAME.provision-journal.new` beside it.
pub fn leftover_path(target: &Utf8Path) -> Option<Utf8PathBuf> {
    let (dir, name) = (target.parent()?, target.file_name()?);
    Some(Utf8PathBuf::from(format!(
        "{dir}/.{name}.provision-journal.new"
    )))
}

/// Removes the temporary file a restore to `target` left when it was cut
/// off (a `check` killed between the write and the rename), as every
/// writer does with keeping on: it holds the config, in memory until
/// switch-root. Says so when there was one; a failure is a warning, since
/// the writer's record is durable by then and the next writer tries again.
pub fn remove_leftover(target: &Utf8Path) {
    let Some(temp) = leftover_path(target) else {
        return;
    };
    match rustix::fs::unlink(temp.as_std_path()) {
        Ok(()) => say(format_args!(
            "removed `{temp}`, the temporary file of a restore of the kept config that was cut off (it held the config)"
        )),
        Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => {}
        Err(error) => complain(format_args!(
            "provision-journal: warning: cannot remove `{temp}`, the temporary file of a restore of the kept config that was cut off (it holds the config): {}; the next writer tries again",
            io::Error::from(error)
        )),
    }
}

/// The temporary file a restore to `target` left, if one is there
/// (`lstat`).
pub fn leftover(target: &Utf8Path) -> Option<Utf8PathBuf> {
    leftover_path(target).filter(|temp| rustix::fs::lstat(temp.as_std_path()).is_ok())
}
