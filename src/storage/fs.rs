//! The real storage: one file under a directory, through rustix.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use super::{Access, Storage, StorageError};

/// A journal file on a real file system.
///
/// Opened `O_CLOEXEC | O_NOFOLLOW`, appended with `O_APPEND`, created with
/// mode 0600, locked with `flock` for writers. A writer that finds no
/// journal locks its directory instead until it has created the journal,
/// so that concurrent first writers take turns like any others. See
/// `spec/FORMAT.md`, "Durability".
#[derive(Debug)]
pub struct FsStorage {
    path: Utf8PathBuf,
    file: Option<OwnedFd>,
    /// The journal's directory, locked while this writer may create the
    /// journal (from an `open` that found none to the end of `create`).
    creation_lock: Option<OwnedFd>,
    lock_wait: Duration,
}

impl FsStorage {
    /// Storage for the journal at `path` (nothing is opened yet). A writer
    /// that finds the lock held fails at once; see
    /// [`FsStorage::waiting_for_lock`].
    pub fn new(path: impl Into<Utf8PathBuf>) -> Self {
        FsStorage {
            path: path.into(),
            file: None,
            creation_lock: None,
            lock_wait: Duration::ZERO,
        }
    }

    /// Makes a writer wait up to `wait` for another writer's lock (two
    /// hooks of one boot may overlap) before it fails with
    /// [`StorageError::Locked`].
    #[must_use]
    pub fn waiting_for_lock(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    fn file(&self) -> Result<&OwnedFd, StorageError> {
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("journal is not open").into())
    }

    fn dir_and_name(&self) -> (&Utf8Path, &str) {
        let dir = match self.path.parent() {
            Some(parent) if !parent.as_str().is_empty() => parent,
            _ => Utf8Path::new("."),
        };
        (dir, self.path.file_name().unwrap_or(self.path.as_str()))
    }

    fn open_dir(&self) -> Result<OwnedFd, Errno> {
        let (dir, _) = self.dir_and_name();
        rustix::fs::open(
            dir.as_std_path(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    }

    /// Opens the journal file itself with `flags`; `None` if there is none.
    fn open_file(&self, flags: OFlags) -> Result<Option<OwnedFd>, StorageError> {
        match rustix::fs::open(self.path.as_std_path(), flags, Mode::empty()) {
            Ok(fd) => Ok(Some(fd)),
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP) => Err(StorageError::NotRegularFile {
                kind: "symbolic link",
            }),
            Err(Errno::ISDIR) => Err(StorageError::NotRegularFile { kind: "directory" }),
            Err(error) => Err(io::Error::from(error).into()),
        }
    }
}

/// What a file of this type is, in words: the one spelling every refusal
/// of a file that is not what it should be uses.
pub(crate) fn kind_of(file_type: FileType) -> &'static str {
    match file_type {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Symlink => "symbolic link",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Unknown => "file of unknown type",
    }
}

/// Refuses anything but a regular file, and, for a writer, a file with more
/// than one name.
fn check_regular(fd: &OwnedFd, access: Access) -> Result<(), StorageError> {
    let stat = rustix::fs::fstat(fd).map_err(io::Error::from)?;
    let file_type = FileType::from_raw_mode(stat.st_mode);
    if file_type != FileType::RegularFile {
        return Err(StorageError::NotRegularFile {
            kind: kind_of(file_type),
        });
    }
    #[allow(
        clippy::useless_conversion,
        reason = "st_nlink is not u64 on every target"
    )]
    let links = u64::from(stat.st_nlink);
    if access == Access::Write && links != 1 {
        return Err(StorageError::HardLinked { links });
    }
    Ok(())
}

/// Takes the exclusive lock, retrying a held one every few milliseconds for
/// up to `wait`; then names the holder if `/proc/locks` does.
fn lock(fd: &OwnedFd, wait: Duration) -> Result<(), StorageError> {
    lock_within(fd, Instant::now(), wait)
}

/// [`lock`], for a wait that `started` earlier (one wait may cover two
/// locks, the directory's and then the file's).
fn lock_within(fd: &OwnedFd, started: Instant, wait: Duration) -> Result<(), StorageError> {
    let mut pause = Duration::from_millis(1);
    loop {
        match rustix::fs::flock(fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(()),
            Err(Errno::WOULDBLOCK) if started.elapsed() < wait => {
                std::thread::sleep(pause.min(wait.saturating_sub(started.elapsed())));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(Errno::WOULDBLOCK) => {
                return Err(StorageError::Locked {
                    holder: lock_holder(fd),
                    timeout_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                });
            }
            Err(error) => return Err(io::Error::from(error).into()),
        }
    }
}

/// The PID holding a `flock` on the file behind `fd`, from `/proc/locks`
/// (`N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF`), if it can be told.
fn lock_holder(fd: &OwnedFd) -> Option<u32> {
    let stat = rustix::fs::fstat(fd).ok()?;
    let (major, minor) = (
        rustix::fs::major(stat.st_dev),
        rustix::fs::minor(stat.st_dev),
    );
    let file = format!("{major:02x}:{minor:02x}:{}", stat.st_ino);
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "FLOCK", _, _, pid, id, ..] if *id == file => pid.parse().ok(),
            _ => None,
        }
    })
}

fn write_all(fd: impl AsFd, mut bytes: &[u8]) -> Result<(), StorageError> {
    while !bytes.is_empty() {
        match rustix::io::write(&fd, bytes) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
            Ok(written) => bytes = &bytes[written..],
            Err(Errno::INTR) => continue,
            Err(error) => return Err(io::Error::from(error).into()),
        }
    }
    Ok(())
}

impl Storage for FsStorage {
    fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn open(&mut self, access: Access) -> Result<bool, StorageError> {
        let mode = match access {
            Access::Read => OFlags::RDONLY,
            Access::Write => OFlags::RDWR | OFlags::APPEND,
        };
        // O_NONBLOCK keeps a FIFO from blocking the open; it has no effect on
        // a regular file.
        let flags = mode | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
        let started = Instant::now();
        let fd = match self.open_file(flags)? {
            Some(fd) => fd,
            None if access == Access::Read => return Ok(false),
            None => {
                // No journal: this writer may create it, and so may another
                // one right now. Creators take turns on the directory's
                // lock; one that waited opens what the other created.
                let dir = match self.open_dir() {
                    Ok(dir) => dir,
                    // Reported by `create`, which needs the directory.
                    Err(Errno::NOENT | Errno::NOTDIR) => return Ok(false),
                    Err(error) => return Err(io::Error::from(error).into()),
                };
                lock_within(&dir, started, self.lock_wait)?;
                match self.open_file(flags)? {
                    Some(fd) => fd,
                    None => {
                        self.creation_lock = Some(dir);
                        return Ok(false);
                    }
                }
            }
        };
        check_regular(&fd, access)?;
        if access == Access::Write {
            lock_within(&fd, started, self.lock_wait)?;
        }
        self.file = Some(fd);
        Ok(true)
    }

    fn create(&mut self, initial: &[u8]) -> Result<(), StorageError> {
        // The directory, locked since `open` found no journal (or now, for
        // a caller that did not open first); released once the journal
        // exists and is locked itself.
        let dir = match self.creation_lock.take() {
            Some(dir) => dir,
            None => {
                let dir = self.open_dir().map_err(io::Error::from)?;
                lock(&dir, self.lock_wait)?;
                dir
            }
        };
        let (_, name) = self.dir_and_name();
        match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => return Err(StorageError::AlreadyExists),
            Err(Errno::NOENT) => {}
            Err(error) => return Err(io::Error::from(error).into()),
        }
        let temp = format!(".{name}.new");
        let create = OFlags::CREATE
            | OFlags::EXCL
            | OFlags::RDWR
            | OFlags::APPEND
            | OFlags::CLOEXEC
            | OFlags::NOFOLLOW;
        let mode = Mode::from_raw_mode(0o600);
        let fd = match rustix::fs::openat(&dir, temp.as_str(), create, mode) {
            Ok(fd) => fd,
            Err(Errno::EXIST) => {
                // A temporary file left by a creation that crashed, unless
                // another creator holds it right now.
                let stale = rustix::fs::openat(
                    &dir,
                    temp.as_str(),
                    OFlags::RDWR | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK,
                    Mode::empty(),
                )
                .map_err(io::Error::from)?;
                lock(&stale, Duration::ZERO)?;
                rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty())
                    .map_err(io::Error::from)?;
                drop(stale);
                rustix::fs::openat(&dir, temp.as_str(), create, mode).map_err(io::Error::from)?
            }
            Err(error) => return Err(io::Error::from(error).into()),
        };
        lock(&fd, Duration::ZERO)?;
        write_all(&fd, initial)?;
        rustix::fs::fdatasync(&fd).map_err(|error| StorageError::SyncFailed {
            what: "the `fdatasync` of the new journal before its rename (nothing was renamed into place)",
            source: error.into(),
        })?;
        match rustix::fs::renameat_with(&dir, temp.as_str(), &dir, name, RenameFlags::NOREPLACE) {
            Ok(()) => {}
            Err(Errno::EXIST) => {
                let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
                return Err(StorageError::AlreadyExists);
            }
            // File systems without RENAME_NOREPLACE: the check above stands.
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
                rustix::fs::renameat(&dir, temp.as_str(), &dir, name).map_err(io::Error::from)?
            }
            Err(error) => return Err(io::Error::from(error).into()),
        }
        rustix::fs::fsync(&dir).map_err(|error| StorageError::SyncFailed {
            what: "the `fsync` of the directory after the new journal's rename (its name may not survive a power cut)",
            source: error.into(),
        })?;
        self.file = Some(fd);
        Ok(())
    }

    fn file_len(&mut self) -> Result<u64, StorageError> {
        let stat = rustix::fs::fstat(self.file()?).map_err(io::Error::from)?;
        Ok(stat.st_size as u64)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        let fd = self.file()?;
        let mut filled = 0;
        while filled < buf.len() {
            match rustix::io::pread(fd, &mut buf[filled..], offset + filled as u64) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(Errno::INTR) => continue,
                Err(error) => return Err(io::Error::from(error).into()),
            }
        }
        Ok(filled)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        write_all(self.file()?, bytes)
    }

    fn sync_data(&mut self) -> Result<(), StorageError> {
        rustix::fs::fdatasync(self.file()?).map_err(|error| io::Error::from(error).into())
    }

    fn truncate(&mut self, len: u64) -> Result<(), StorageError> {
        rustix::fs::ftruncate(self.file()?, len).map_err(|error| io::Error::from(error).into())
    }

    fn sync_dir(&mut self) -> Result<(), StorageError> {
        let (dir_path, _) = self.dir_and_name();
        let dir = rustix::fs::open(
            dir_path.as_std_path(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(io::Error::from)?;
        rustix::fs::fsync(&dir).map_err(|error| StorageError::SyncFailed {
            what: "the `fsync` of the journal's directory (its name may not survive a power cut)",
            source: error.into(),
        })
    }
}
