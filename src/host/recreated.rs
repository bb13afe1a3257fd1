//! A boot file system that a stage recreated: the journal put back first.
//!
//! Boot disk mirroring and boot reprovisioning on Fedora CoreOS wipe the
//! boot file system in Ignition's `disks` stage and make a new one. The
//! distribution copies the old file system's files into memory before the
//! stage (`ignition-ostree-transposefs save`, into `[Boot] SavedCopyDir`)
//! and moves them onto the new one after it (`… restore`). The journal is
//! among them, and holds `begin disks`: that record is written before the
//! copy is taken. The first hook that finds the journal gone from the new
//! file system takes it from the saved copy, before its own record and
//! before the distribution's restore, together with the files that must be
//! there before anything makes the file system bootable again: the journal
//! first, then the kept copy of the config, then the first-boot stamp, so
//! that a boot file system that can boot always holds the record that the
//! disks stage began and always makes the boot a provisioning one
//! (`spec/STATES.md`, "A recreated boot file system").
//!
//! Each file is written under a temporary name, synced, renamed into place
//! (never over an existing file) and its directory synced; only then is
//! the saved copy removed, so that the restore that follows cannot put an
//! older copy over it.

use std::io;
use std::os::fd::OwnedFd;

use camino::{Utf8Path, Utf8PathBuf};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags, XattrFlags};
use rustix::io::Errno;

use crate::format::error::JournalError;
use crate::journal::Journal;
use crate::storage::{FsStorage, Storage, StorageError};

/// The largest saved file read: well above the journal's growth bound and
/// the kept copy's largest size (`spec/STATES.md`).
const MAX_SAVED_LEN: u64 = 32 << 20;

/// The SELinux label, copied with each file so that the carried file is
/// labelled as the saved one was.
const LABEL_XATTR: &str = "security.selinux";

/// What [`carry_saved_journal`] put back.
#[non_exhaustive]
pub struct Carried {
    /// The journal, open for appending (its lock held).
    pub journal: Journal<FsStorage>,
    /// Where it was taken from.
    pub saved: Utf8PathBuf,
    /// The other files put back, by their names relative to the journal's
    /// directory, in the order they were written.
    pub companions: Vec<String>,
}

/// Why the journal could not be put back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CarryError {
    /// A saved file could not be read.
    #[error("failed to read the saved copy `{path}`: {source}")]
    ReadSaved {
        /// The saved file.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: StorageError,
    },
    /// The saved journal is refused (corrupt, of a newer version), or
    /// writing it on the new file system failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A companion file could not be written on the new file system.
    #[error("failed to carry `{from}` to `{to}`: {source}")]
    Companion {
        /// The saved file.
        from: Utf8PathBuf,
        /// Where it was being written.
        to: Utf8PathBuf,
        /// Why.
        #[source]
        source: StorageError,
    },
    /// A saved file, already carried, could not be removed from the saved
    /// copy (the distribution's restore would put it over the carried one).
    #[error("carried `{path}`, but could not remove it from the saved copy: {source}")]
    RemoveSaved {
        /// The saved file.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: StorageError,
    },
}

impl CarryError {
    /// The raw OS error number behind the failure, if there is one.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            CarryError::ReadSaved { source, .. }
            | CarryError::Companion { source, .. }
            | CarryError::RemoveSaved { source, .. } => source.raw_os_error(),
            CarryError::Journal(_) => None,
        }
    }
}

/// Puts the journal at `journal_path` back from `saved_dir`, where the
/// distribution saved the boot file system's files, if the journal is
/// absent and a saved one is there; then each of `companions` (names
/// relative to the journal's directory) that is saved and absent. Returns
/// `Ok(None)` when there is no saved journal. `storage` is the journal's
/// storage (its lock wait), at `journal_path`.
///
/// # Errors
///
/// [`CarryError`]: a saved file that cannot be read, a saved journal the
/// rules refuse, a failure to write on the new file system, a saved file
/// that cannot be removed once carried.
pub fn carry_saved_journal(
    saved_dir: &Utf8Path,
    storage: FsStorage,
    companions: &[&str],
) -> Result<Option<Carried>, CarryError> {
    let journal_path = storage.path().to_owned();
    let name = journal_path.file_name().unwrap_or("provision-journal");
    let saved = saved_dir.join(name);
    let Some(bytes) = read_saved(&saved)? else {
        return Ok(None);
    };
    let journal = Journal::carry(storage, &bytes)?;
    let dir = parent(&journal_path);
    let mut carried = Vec::new();
    for companion in companions {
        let from = saved_dir.join(companion);
        let to = dir.join(companion);
        if carry_file(&from, &to).map_err(|source| CarryError::Companion {
            from: from.clone(),
            to: to.clone(),
            source,
        })? {
            remove_saved(&from)?;
            carried.push((*companion).to_owned());
        }
    }
    remove_saved(&saved)?;
    Ok(Some(Carried {
        journal,
        saved,
        companions: carried,
    }))
}

fn parent(path: &Utf8Path) -> &Utf8Path {
    match path.parent() {
        Some(dir) if !dir.as_str().is_empty() => dir,
        _ => Utf8Path::new("."),
    }
}

fn open_saved(path: &Utf8Path) -> Result<Option<OwnedFd>, StorageError> {
    match rustix::fs::open(
        path.as_std_path(),
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK,
        Mode::empty(),
    ) {
        Ok(fd) => {
            let stat = rustix::fs::fstat(&fd).map_err(io::Error::from)?;
            if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
                return Err(StorageError::NotRegularFile {
                    kind: "file of another type",
                });
            }
            Ok(Some(fd))
        }
        Err(Errno::NOENT) => Ok(None),
        Err(Errno::LOOP) => Err(StorageError::NotRegularFile {
            kind: "symbolic link",
        }),
        Err(error) => Err(io::Error::from(error).into()),
    }
}

fn read_all(fd: OwnedFd) -> Result<Vec<u8>, StorageError> {
    let mut bytes = Vec::new();
    io::Read::read_to_end(
        &mut io::Read::take(std::fs::File::from(fd), MAX_SAVED_LEN + 1),
        &mut bytes,
    )?;
    if bytes.len() as u64 > MAX_SAVED_LEN {
        return Err(io::Error::other(format!("it is larger than {MAX_SAVED_LEN} bytes")).into());
    }
    Ok(bytes)
}

fn read_saved(path: &Utf8Path) -> Result<Option<Vec<u8>>, CarryError> {
    let read =
        || -> Result<Option<Vec<u8>>, StorageError> { open_saved(path)?.map(read_all).transpose() };
    read().map_err(|source| CarryError::ReadSaved {
        path: path.to_owned(),
        source,
    })
}

fn remove_saved(path: &Utf8Path) -> Result<(), CarryError> {
    match rustix::fs::unlink(path.as_std_path()) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(error) => Err(CarryError::RemoveSaved {
            path: path.to_owned(),
            source: io::Error::from(error).into(),
        }),
    }
}

/// Writes `from`'s bytes, mode and label as `to`, durably, unless `from`
/// is absent or `to` exists. Whether it wrote.
fn carry_file(from: &Utf8Path, to: &Utf8Path) -> Result<bool, StorageError> {
    let Some(source) = open_saved(from)? else {
        return Ok(false);
    };
    let mode = rustix::fs::fstat(&source).map_err(io::Error::from)?.st_mode & 0o7777;
    let label = read_label(&source);
    let bytes = read_all(source)?;
    let dir_path = parent(to);
    let name = to.file_name().unwrap_or(to.as_str());
    let dir = rustix::fs::open(
        dir_path.as_std_path(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io::Error::from)?;
    match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(_) => return Ok(false),
        Err(Errno::NOENT) => {}
        Err(error) => return Err(io::Error::from(error).into()),
    }
    let temp = format!(".{name}.carried");
    let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
    let file = rustix::fs::openat(
        &dir,
        temp.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(io::Error::from)?;
    let written = (|| -> Result<(), StorageError> {
        io::Write::write_all(&mut std::fs::File::from(file.try_clone()?), &bytes)?;
        rustix::fs::fchmod(&file, Mode::from_raw_mode(mode)).map_err(io::Error::from)?;
        if let Some(label) = &label {
            // Best effort: a file system without labels keeps the
            // policy's default, which a relabel corrects.
            let _ = rustix::fs::fsetxattr(&file, LABEL_XATTR, label, XattrFlags::empty());
        }
        rustix::fs::fdatasync(&file).map_err(io::Error::from)?;
        match rustix::fs::renameat_with(&dir, temp.as_str(), &dir, name, RenameFlags::NOREPLACE) {
            Ok(()) => Ok(()),
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
                rustix::fs::renameat(&dir, temp.as_str(), &dir, name)
                    .map_err(|e| io::Error::from(e).into())
            }
            Err(error) => Err(io::Error::from(error).into()),
        }
    })();
    if let Err(error) = written {
        let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
        return Err(error);
    }
    rustix::fs::fsync(&dir).map_err(io::Error::from)?;
    Ok(true)
}

fn read_label(fd: &OwnedFd) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    let len = rustix::fs::fgetxattr(fd, LABEL_XATTR, &mut buf[..]).ok()?;
    buf.truncate(len);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> Utf8PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pj-recreated-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Utf8PathBuf::from_path_buf(dir).unwrap()
    }

    #[test]
    fn a_companion_is_carried_with_its_bytes_and_mode_and_never_over_an_existing_file() {
        use std::os::unix::fs::PermissionsExt;
        let saved = temp_dir("companion-saved");
        let new = temp_dir("companion-new");
        std::fs::write(saved.join("stamp"), b"set ignition_network_kcmdline=\"\"\n").unwrap();
        std::fs::set_permissions(saved.join("stamp"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        assert!(carry_file(&saved.join("stamp"), &new.join("stamp")).unwrap());
        assert_eq!(
            std::fs::read(new.join("stamp")).unwrap(),
            b"set ignition_network_kcmdline=\"\"\n"
        );
        let mode = std::fs::metadata(new.join("stamp"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(mode, 0o644);
        assert!(!new.join(".stamp.carried").exists());

        std::fs::write(new.join("other"), b"kept").unwrap();
        std::fs::write(saved.join("other"), b"older").unwrap();
        assert!(!carry_file(&saved.join("other"), &new.join("other")).unwrap());
        assert_eq!(std::fs::read(new.join("other")).unwrap(), b"kept");
        assert!(!carry_file(&saved.join("absent"), &new.join("absent")).unwrap());
    }
}
