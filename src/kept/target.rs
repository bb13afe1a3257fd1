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
use rustix::fs::{Mode, OFlags};

use super::{CopyStep, KeptError};
use crate::storage::StorageError;

/// `TMPFS_MAGIC` from `linux/magic.h`.
const TMPFS_MAGIC: i64 = 0x0102_1994;
/// `RAMFS_MAGIC` from `linux/magic.h`.
const RAMFS_MAGIC: i64 = 0x8584_58f6;

/// The file a kept copy is restored to, which must be on a file system in
/// memory (tmpfs or ramfs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreTarget {
    path: Utf8PathBuf,
}

impl RestoreTarget {
    /// The target at `path` (nothing is looked at yet).
    pub fn new(path: impl Into<Utf8PathBuf>) -> Self {
        RestoreTarget { path: path.into() }
    }

    /// The target's path.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn refuse(&self, problem: impl Into<String>) -> KeptError {
        KeptError::Target {
            path: self.path.clone(),
            problem: problem.into(),
        }
    }

    /// Fails unless `dir` is on a tmpfs or ramfs.
    fn require_memory(&self, dir: &Utf8Path) -> Result<(), KeptError> {
        let stat = rustix::fs::statfs(dir.as_std_path()).map_err(|error| {
            self.refuse(format!(
                "cannot tell the file system of `{dir}`: {}",
                io::Error::from(error)
            ))
        })?;
        // `f_type` is signed on some architectures and unsigned on others.
        #[allow(clippy::unnecessary_cast)]
        let magic = (stat.f_type as i64) & 0xffff_ffff;
        if magic == TMPFS_MAGIC || magic == RAMFS_MAGIC {
            return Ok(());
        }
        Err(self.refuse(format!(
            "`{dir}` is on a persistent file system (statfs type {magic:#x}, neither tmpfs nor ramfs): a restored config holds secrets and must stay in memory, as the initramfs's / and /run are"
        )))
    }

    /// Writes `bytes` to the target (mode 0600) through a temporary file
    /// renamed over it, after making sure the target's directory is in
    /// memory. The directory is created if missing, once its nearest
    /// existing ancestor is found to be in memory. Nothing is synced: it is
    /// memory.
    ///
    /// # Errors
    ///
    /// [`KeptError::Target`]: the target is not in memory, names no file,
    /// or cannot be written.
    pub fn write(&self, bytes: &[u8]) -> Result<(), KeptError> {
        let target = &self.path;
        let (Some(dir), Some(_)) = (target.parent(), target.file_name()) else {
            return Err(self.refuse("it names no file"));
        };
        let mut existing = dir;
        while !existing.exists() {
            existing = existing
                .parent()
                .ok_or_else(|| self.refuse("no directory of it exists"))?;
        }
        self.require_memory(existing)?;
        std::fs::create_dir_all(dir)
            .map_err(|error| self.refuse(format!("cannot create `{dir}`: {error}")))?;
        self.require_memory(dir)?;
        let temp = self.leftover_path().expect("the target names a file");
        let io_error = |what: &str, error: io::Error| self.refuse(format!("{what}: {error}"));
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

    /// The temporary file a restore writes before it renames it over the
    /// target: `.NAME.provision-journal.new` beside it.
    fn leftover_path(&self) -> Option<Utf8PathBuf> {
        let (dir, name) = (self.path.parent()?, self.path.file_name()?);
        Some(Utf8PathBuf::from(format!(
            "{dir}/.{name}.provision-journal.new"
        )))
    }

    /// The temporary file a restore that was cut off left (a `check`
    /// killed between the write and the rename), if one is there
    /// (`lstat`). It holds the config, in memory until switch-root.
    pub fn leftover(&self) -> Option<Utf8PathBuf> {
        self.leftover_path()
            .filter(|temp| rustix::fs::lstat(temp.as_std_path()).is_ok())
    }

    /// Removes the temporary file a restore that was cut off left, as every
    /// writer with keeping on does. Returns its path when there was one.
    ///
    /// # Errors
    ///
    /// [`KeptError::Storage`] with [`CopyStep::Remove`] and the file's
    /// path: the writer's record is durable by then, and the next writer
    /// tries again.
    pub fn remove_leftover(&self) -> Result<Option<Utf8PathBuf>, KeptError> {
        let Some(temp) = self.leftover_path() else {
            return Ok(None);
        };
        match rustix::fs::unlink(temp.as_std_path()) {
            Ok(()) => Ok(Some(temp)),
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => Ok(None),
            Err(error) => Err(KeptError::Storage {
                step: CopyStep::Remove,
                path: temp,
                source: StorageError::Io(io::Error::from(error)),
            }),
        }
    }
}
