//! `--boot-device`: mount the boot partition privately for one call.
//!
//! In the initramfs `/boot` is not mounted. The call enters a mount
//! namespace of its own, so the mount is invisible to every other process
//! and vanishes with this one even if it is killed, mounts the partition
//! read-write on a fresh directory under `/run`, and unmounts it before
//! exiting (which also writes back everything the journal synced).
//!
//! In the real root the partition may be mounted already: Fedora CoreOS
//! mounts `/boot` read-only. A second mount that wants the other mode fails
//! (`EBUSY`: one superblock per device), so the call then binds the
//! existing mount in its namespace instead; a writer (`reset`) remounts its
//! own bind read-write, as ostree and bootupd write `/boot`, and read-only
//! again before it unmounts. Every other process keeps its read-only view.

use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};
use rustix::thread::UnshareFlags;

use crate::exit::{Exit, Failure};

/// Each call's mount point is this followed by its PID.
const MOUNT_POINT_PREFIX: &str = "/run/provision-journal.";

/// Removes the empty mount points of calls that were killed before they
/// could (their mounts died with their namespaces). A directory that is not
/// empty, or whose process lives, is left alone.
fn remove_stale_mount_points() {
    let Ok(entries) = std::fs::read_dir("/run") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(&MOUNT_POINT_PREFIX["/run/".len()..]))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Utf8Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// File systems a boot partition may carry, in the order they are probed.
const FILE_SYSTEMS: [&str; 4] = ["ext4", "xfs", "vfat", "btrfs"];

/// The file system on `device`, from its superblock's magic (as libblkid
/// finds it): ext2/3/4's 0xEF53 at byte 1080, XFS's `XFSB` at 0, a FAT boot
/// sector (0x55AA at 510, `FAT` at 54 or 82), btrfs's `_BHRfS_M` at 65600.
/// `Ok(None)` when the device carries none of them.
fn probe(device: &Utf8Path) -> std::io::Result<Option<&'static str>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(65_608);
    std::fs::File::open(device)?
        .take(65_608)
        .read_to_end(&mut head)?;
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    Ok(if at(1080, &[0x53, 0xef]) {
        Some("ext4")
    } else if at(0, b"XFSB") {
        Some("xfs")
    } else if at(510, &[0x55, 0xaa]) && (at(54, b"FAT") || at(82, b"FAT")) {
        Some("vfat")
    } else if at(65_600, b"_BHRfS_M") {
        Some("btrfs")
    } else {
        None
    })
}

/// How the journal is used: the reports only read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `status`, `dump`: the device is mounted read-only.
    Read,
    /// `check` and the hooks.
    Write,
}

/// A mounted boot partition; unmounted by [`BootMount::unmount`], or on drop.
pub struct BootMount {
    dir: Utf8PathBuf,
    mounted: bool,
    /// The file system was read-only where it was mounted before, and this
    /// call made it writable: it is made read-only again before unmounting.
    made_writable: bool,
}

/// Where the file system on `device` is mounted already, whole (its root
/// at the mount point), in this mount namespace: `/proc/self/mountinfo`'s
/// `major:minor` against the device's. `None` when it is not, or cannot be
/// told.
fn existing_mount(device: &Utf8Path) -> Option<Utf8PathBuf> {
    let rdev = rustix::fs::stat(device.as_std_path()).ok()?.st_rdev;
    let id = format!("{}:{}", rustix::fs::major(rdev), rustix::fs::minor(rdev));
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|line| {
        // ID PARENT MAJOR:MINOR ROOT MOUNT-POINT OPTIONS ...
        let fields: Vec<&str> = line.split(' ').collect();
        (fields.len() > 4 && fields[2] == id && fields[3] == "/")
            .then(|| Utf8PathBuf::from(unescape_mountinfo(fields[4])))
    })
}

/// `/proc/self/mountinfo` writes space, tab, newline and backslash in a
/// path as `\040` and the like (octal).
fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|digits| {
            bytes[i] == b'\\' && digits.iter().all(|digit| (b'0'..=b'7').contains(digit))
        });
        match octal {
            Some(digits) => {
                out.push(digits.iter().fold(0u8, |n, digit| n * 8 + (digit - b'0')));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl BootMount {
    /// Waits up to `timeout` for `device`, then mounts it, read-only for
    /// [`Access::Read`] (the reports).
    pub fn mount(device: &Utf8Path, timeout: Duration, access: Access) -> Result<Self, Failure> {
        let deadline = Instant::now() + timeout;
        while !device.exists() {
            if Instant::now() >= deadline {
                // A report that finds no boot device most likely runs
                // away from the machine (a laptop or a container with a
                // distribution's profile), with a copy of the journal to
                // read. The live override would not help it: reports
                // never skip the device.
                let advice = match access {
                    Access::Read => {
                        "to read a copy of a journal (from a support bundle, say), give its path: `provision-journal status PATH` or `provision-journal dump PATH`; for the journal on another device, --boot-device DEV; a live system keeps no journal to read"
                    }
                    Access::Write => {
                        "if this is a live system, say so with PROVISION_JOURNAL_LIVE=1"
                    }
                };
                return Err(Failure::new(
                    Exit::BootDeviceMissing,
                    format!(
                        "boot device `{device}` does not exist (waited {}s); {advice}",
                        timeout.as_secs()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let fail = |what: &str, error: std::io::Error| {
            Failure::new(
                Exit::Mount,
                format!("failed to mount boot device `{device}`: {what}: {error}"),
            )
        };
        // SAFETY: the program is single-threaded and unshares no file table.
        unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWNS) }
            .map_err(|error| fail("cannot enter a private mount namespace", error.into()))?;
        rustix::mount::mount_change(
            "/",
            MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
        )
        .map_err(|error| fail("cannot make mounts private", error.into()))?;
        remove_stale_mount_points();
        let dir = Utf8PathBuf::from(format!("{MOUNT_POINT_PREFIX}{}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(fail(&format!("cannot create `{dir}`"), error)),
        }
        if let Some(existing) = existing_mount(device) {
            return Self::bind(device, &existing, dir, access);
        }
        let mut flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
        if access == Access::Read {
            flags |= MountFlags::RDONLY;
        }
        // Mount the file system the device carries, so that a failure is
        // that mount's own error, not the last of four guesses.
        let candidates: Vec<&str> = match probe(device) {
            Ok(Some(file_system)) => vec![file_system],
            Ok(None) => {
                let _ = std::fs::remove_dir(&dir);
                return Err(Failure::new(
                    Exit::Mount,
                    format!(
                        "failed to mount boot device `{device}`: it holds none of the file systems {}",
                        FILE_SYSTEMS.join(", ")
                    ),
                ));
            }
            // Unreadable here (permissions): let the kernel tell.
            Err(_) => FILE_SYSTEMS.to_vec(),
        };
        let mut errors = Vec::new();
        for file_system in &candidates {
            match rustix::mount::mount(device.as_str(), dir.as_str(), *file_system, flags, None) {
                Ok(()) => {
                    return Ok(BootMount {
                        dir,
                        mounted: true,
                        made_writable: false,
                    });
                }
                Err(error) => {
                    errors.push(format!("{file_system}: {}", std::io::Error::from(error)))
                }
            }
        }
        let _ = std::fs::remove_dir(&dir);
        let what = match candidates.as_slice() {
            [file_system] => format!(
                "it holds {file_system}, and mounting it {}",
                if access == Access::Read {
                    "read-only failed"
                } else {
                    "read-write failed"
                }
            ),
            _ => "no file system would mount it".to_owned(),
        };
        Err(Failure::new(
            Exit::Mount,
            format!(
                "failed to mount boot device `{device}`: {what}: {}",
                errors.join("; ")
            ),
        ))
    }

    /// Binds `existing`, where `device` is mounted already, on `dir`, in
    /// this call's namespace: read-only for [`Access::Read`]; writable for
    /// [`Access::Write`], remounting the file system read-write if it was
    /// read-only (as ostree and bootupd do). The bind is this namespace's
    /// alone, so every other view of the file system keeps its mode.
    fn bind(
        device: &Utf8Path,
        existing: &Utf8Path,
        dir: Utf8PathBuf,
        access: Access,
    ) -> Result<Self, Failure> {
        let fail = |what: String, error: rustix::io::Errno| {
            let _ = rustix::mount::unmount(dir.as_str(), UnmountFlags::DETACH);
            let _ = std::fs::remove_dir(&dir);
            Failure::new(
                Exit::Mount,
                format!(
                    "failed to use boot device `{device}`, mounted at `{existing}`: {what}: {}",
                    std::io::Error::from(error)
                ),
            )
        };
        rustix::mount::mount_bind(existing.as_str(), dir.as_str())
            .map_err(|error| fail(format!("cannot bind it on `{dir}`"), error))?;
        let private = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
        let read_only = rustix::fs::statvfs(dir.as_std_path())
            .map(|stat| stat.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
            .unwrap_or(false);
        let made_writable = match access {
            Access::Read => {
                rustix::mount::mount_remount(
                    dir.as_str(),
                    MountFlags::BIND | MountFlags::RDONLY | private,
                    "",
                )
                .map_err(|error| fail("cannot make the bind read-only".to_owned(), error))?;
                false
            }
            Access::Write if read_only => {
                // Without MS_BIND: the superblock becomes writable too;
                // the other mounts keep their own read-only flag.
                rustix::mount::mount_remount(dir.as_str(), private, "")
                    .map_err(|error| fail("cannot remount it read-write".to_owned(), error))?;
                true
            }
            Access::Write => false,
        };
        Ok(BootMount {
            dir,
            mounted: true,
            made_writable,
        })
    }

    /// Where the partition is mounted.
    pub fn dir(&self) -> &Utf8Path {
        &self.dir
    }

    /// Unmounts the partition and removes the mount point (after making a
    /// file system it made writable read-only again).
    pub fn unmount(mut self) -> Result<(), Failure> {
        self.mounted = false;
        if self.made_writable {
            // Best effort: another writer may hold it writable meanwhile.
            let _ = rustix::mount::mount_remount(
                self.dir.as_str(),
                MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
                "",
            );
        }
        rustix::mount::unmount(self.dir.as_str(), UnmountFlags::empty()).map_err(|error| {
            Failure::new(
                Exit::Mount,
                format!(
                    "failed to unmount boot partition from `{}`: {error}",
                    self.dir
                ),
            )
        })?;
        let _ = std::fs::remove_dir(&self.dir);
        Ok(())
    }
}

impl Drop for BootMount {
    fn drop(&mut self) {
        if self.mounted && self.made_writable {
            let _ = rustix::mount::mount_remount(self.dir.as_str(), MountFlags::RDONLY, "");
        }
        if self.mounted {
            let _ = rustix::mount::unmount(self.dir.as_str(), UnmountFlags::DETACH);
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::unescape_mountinfo;

    #[test]
    fn mountinfo_octal_escapes_are_undone() {
        assert_eq!(unescape_mountinfo("/boot"), "/boot");
        assert_eq!(unescape_mountinfo("/mnt/a\\040b"), "/mnt/a b");
        assert_eq!(unescape_mountinfo("/x\\011y\\134z"), "/x\ty\\z");
        assert_eq!(unescape_mountinfo("/trailing\\04"), "/trailing\\04");
    }
}
