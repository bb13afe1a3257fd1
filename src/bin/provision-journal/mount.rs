//! `--boot-device`: mount the boot partition privately for one call.
//!
//! In the initramfs `/boot` is not mounted. The call enters a mount
//! namespace of its own, so the mount is invisible to every other process
//! and vanishes with this one even if it is killed, mounts the partition
//! read-write on a fresh directory under `/run`, and unmounts it before
//! exiting (which also writes back everything the journal synced).

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

/// File systems tried, in order, when mounting the boot partition.
const FILE_SYSTEMS: [&str; 4] = ["ext4", "xfs", "vfat", "btrfs"];

/// A mounted boot partition; unmounted by [`BootMount::unmount`], or on drop.
pub struct BootMount {
    dir: Utf8PathBuf,
    mounted: bool,
}

impl BootMount {
    /// Waits up to `timeout` for `device`, then mounts it.
    pub fn mount(device: &Utf8Path, timeout: Duration) -> Result<Self, Failure> {
        let deadline = Instant::now() + timeout;
        while !device.exists() {
            if Instant::now() >= deadline {
                return Err(Failure::new(
                    Exit::BootDeviceMissing,
                    format!(
                        "boot device `{device}` does not exist (waited {}s); if this is a live system, say so with PROVISION_JOURNAL_LIVE=1",
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
        let mut last = None;
        for file_system in FILE_SYSTEMS {
            let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
            match rustix::mount::mount(device.as_str(), dir.as_str(), file_system, flags, None) {
                Ok(()) => {
                    return Ok(BootMount { dir, mounted: true });
                }
                Err(error) => last = Some(error),
            }
        }
        let _ = std::fs::remove_dir(&dir);
        let error = last.expect("at least one file system was tried");
        Err(fail(
            &format!("none of {} would mount it", FILE_SYSTEMS.join(", ")),
            error.into(),
        ))
    }

    /// Where the partition is mounted.
    pub fn dir(&self) -> &Utf8Path {
        &self.dir
    }

    /// Unmounts the partition and removes the mount point.
    pub fn unmount(mut self) -> Result<(), Failure> {
        self.mounted = false;
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
        if self.mounted {
            let _ = rustix::mount::unmount(self.dir.as_str(), UnmountFlags::DETACH);
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}
