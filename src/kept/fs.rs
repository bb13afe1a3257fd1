//! The kept copy on a real file system, through rustix.

use std::io;
use std::os::fd::OwnedFd;

use camino::{Utf8Path, Utf8PathBuf};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

use super::{CopyContent, CopyStore};
use crate::classify::CopyOnDisk;
use crate::storage::{StorageError, kind_of};

/// The copy `NAME` in its directory.
#[derive(Debug)]
pub struct FsCopyStore {
    path: Utf8PathBuf,
    dir: Utf8PathBuf,
    /// The copy while it is being written, until its `fdatasync`.
    written: Option<OwnedFd>,
}

impl FsCopyStore {
    /// The copy at `path` (nothing is opened yet).
    pub fn new(path: impl Into<Utf8PathBuf>) -> Self {
        let path = path.into();
        let dir = match path.parent() {
            Some(dir) if !dir.as_str().is_empty() => dir.to_owned(),
            _ => Utf8PathBuf::from("."),
        };
        FsCopyStore {
            path,
            dir,
            written: None,
        }
    }
}

/// The link count of a file.
fn links(stat: &rustix::fs::Stat) -> u64 {
    #[allow(
        clippy::useless_conversion,
        reason = "st_nlink is not u64 on every target"
    )]
    u64::from(stat.st_nlink)
}

impl CopyStore for FsCopyStore {
    fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn inspect(&mut self) -> Result<CopyOnDisk, StorageError> {
        match rustix::fs::lstat(self.path.as_std_path()) {
            Ok(stat) if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile => {
                Ok(CopyOnDisk::NotRegular)
            }
            Ok(stat) if links(&stat) != 1 => Ok(CopyOnDisk::HardLinked),
            Ok(stat) => Ok(CopyOnDisk::File {
                size: stat.st_size as u64,
            }),
            Err(Errno::NOENT) => Ok(CopyOnDisk::Absent),
            Err(error) => Err(io::Error::from(error).into()),
        }
    }

    fn read(&mut self, limit: u64) -> Result<CopyContent, StorageError> {
        let file = match rustix::fs::open(
            self.path.as_std_path(),
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK,
            Mode::empty(),
        ) {
            Ok(file) => file,
            Err(Errno::NOENT) => return Ok(CopyContent::Absent),
            Err(Errno::LOOP) => {
                return Ok(CopyContent::NotRegular {
                    kind: "symbolic link",
                });
            }
            Err(error) => return Err(io::Error::from(error).into()),
        };
        let stat = rustix::fs::fstat(&file).map_err(io::Error::from)?;
        let file_type = FileType::from_raw_mode(stat.st_mode);
        if file_type != FileType::RegularFile {
            return Ok(CopyContent::NotRegular {
                kind: kind_of(file_type),
            });
        }
        if links(&stat) != 1 {
            return Ok(CopyContent::HardLinked {
                links: links(&stat),
            });
        }
        let size = stat.st_size as u64;
        if size > limit {
            return Ok(CopyContent::File { size, bytes: None });
        }
        let mut file = std::fs::File::from(file);
        let mut bytes = Vec::with_capacity(size as usize);
        io::Read::read_to_end(&mut io::Read::take(&mut file, limit + 1), &mut bytes)?;
        let bytes = (bytes.len() as u64 <= limit).then_some(bytes);
        Ok(CopyContent::File { size, bytes })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let file = rustix::fs::open(
            self.path.as_std_path(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(io::Error::from)?;
        let mut written = 0;
        while written < bytes.len() {
            match rustix::io::write(&file, &bytes[written..]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(count) => written += count,
                Err(Errno::INTR) => {}
                Err(error) => return Err(io::Error::from(error).into()),
            }
        }
        self.written = Some(file);
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        let file = self
            .written
            .take()
            .ok_or_else(|| io::Error::other("the copy is not open"))?;
        rustix::fs::fdatasync(&file).map_err(|error| io::Error::from(error).into())
    }

    fn remove(&mut self) -> Result<bool, StorageError> {
        self.written = None;
        match rustix::fs::unlink(self.path.as_std_path()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(error) => Err(io::Error::from(error).into()),
        }
    }

    fn sync_dir(&mut self) -> Result<(), StorageError> {
        let dir = rustix::fs::open(
            self.dir.as_std_path(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(io::Error::from)?;
        rustix::fs::fsync(&dir).map_err(|error| io::Error::from(error).into())
    }
}
