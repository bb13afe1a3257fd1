//! The kept copy on a real file system, through rustix.

use std::io;

use camino::{Utf8Path, Utf8PathBuf};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

use super::{CopyContent, CopyStore};
use crate::classify::CopyOnDisk;
use crate::storage::StorageError;

/// The copy `NAME` and its temporary file `.NAME.new` in one directory.
#[derive(Debug)]
pub struct FsCopyStore {
    path: Utf8PathBuf,
    temp: Utf8PathBuf,
    dir: Utf8PathBuf,
    temp_file: Option<std::os::fd::OwnedFd>,
}

impl FsCopyStore {
    /// The copy at `path` (nothing is opened yet).
    pub fn new(path: impl Into<Utf8PathBuf>) -> Self {
        let path = path.into();
        let dir = match path.parent() {
            Some(dir) if !dir.as_str().is_empty() => dir.to_owned(),
            _ => Utf8PathBuf::from("."),
        };
        let name = path.file_name().unwrap_or("config");
        let temp = dir.join(format!(".{name}.new"));
        FsCopyStore {
            path,
            temp,
            dir,
            temp_file: None,
        }
    }

    /// The temporary file's path.
    pub fn temp_path(&self) -> &Utf8Path {
        &self.temp
    }
}

fn kind_of(file_type: FileType) -> &'static str {
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

fn unlink(path: &Utf8Path) -> Result<bool, StorageError> {
    match rustix::fs::unlink(path.as_std_path()) {
        Ok(()) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        Err(error) => Err(io::Error::from(error).into()),
    }
}

impl CopyStore for FsCopyStore {
    fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn inspect(&mut self) -> Result<CopyOnDisk, StorageError> {
        match rustix::fs::lstat(self.path.as_std_path()) {
            Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile => {
                Ok(CopyOnDisk::File {
                    size: stat.st_size as u64,
                })
            }
            Ok(_) => Ok(CopyOnDisk::NotRegular),
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

    fn write_temp(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let file = rustix::fs::open(
            self.temp.as_std_path(),
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
        self.temp_file = Some(file);
        Ok(())
    }

    fn sync_temp(&mut self) -> Result<(), StorageError> {
        let file = self
            .temp_file
            .take()
            .ok_or_else(|| io::Error::other("no temporary file is open"))?;
        rustix::fs::fdatasync(&file).map_err(|error| io::Error::from(error).into())
    }

    fn rename_temp(&mut self) -> Result<(), StorageError> {
        rustix::fs::rename(self.temp.as_std_path(), self.path.as_std_path())
            .map_err(|error| io::Error::from(error).into())
    }

    fn remove_temp(&mut self) -> Result<bool, StorageError> {
        self.temp_file = None;
        unlink(&self.temp)
    }

    fn remove_copy(&mut self) -> Result<bool, StorageError> {
        unlink(&self.path)
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
