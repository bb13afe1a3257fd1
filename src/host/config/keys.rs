//! Every key of the configuration files, in one list: `config` prints them
//! in this order, `config --get` and the shell completions offer these
//! names, and `provision-journal(8)` documents them from it, so a key
//! cannot be missing from one of them.

/// One key of the configuration files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Key {
    /// `Section.Key`, as `config --get` takes it (e.g. `Boot.Device`).
    pub name: &'static str,
    /// What the value may be, in words.
    pub value: &'static str,
    /// The built-in default, as `config` prints it (empty for none).
    pub default: &'static str,
}

impl Key {
    /// The section, without brackets (`Boot`).
    pub fn section(&self) -> &'static str {
        self.split().0
    }

    /// The key within its section (`Device`).
    pub fn key(&self) -> &'static str {
        self.split().1
    }

    fn split(&self) -> (&'static str, &'static str) {
        self.name
            .split_once('.')
            .expect("every name is Section.Key")
    }
}

/// Every key, in the order `config` prints them.
pub const KEYS: [Key; 14] = [
    Key {
        name: "Boot.Device",
        value: "absolute path of the boot partition every call mounts; empty: none (the --journal path is used as it is)",
        default: "",
    },
    Key {
        name: "Boot.DeviceTimeoutSec",
        value: "whole seconds to wait for the boot device to appear, 0 to 3600",
        default: "30",
    },
    Key {
        name: "Boot.LockTimeoutSec",
        value: "whole seconds a writer waits for another writer's lock on the journal, 0 to 600",
        default: "5",
    },
    Key {
        name: "Boot.SavedCopyDir",
        value: "absolute path of the directory where the distribution keeps the boot file system's files while a stage recreates it (Fedora CoreOS: /run/ignition-ostree-transposefs/boot); a hook that finds no journal puts it back from there; empty: none",
        default: "",
    },
    Key {
        name: "Boot.FirstbootArguments",
        value: "kernel arguments that mark a provisioning boot, separated by spaces; key matches the key with any value or none, key=value matches exactly",
        default: "ignition.firstboot",
    },
    Key {
        name: "Boot.FirstbootStamp",
        value: "a file, relative to the journal's directory (no ..), whose presence also marks a provisioning boot; empty: none",
        default: "ignition.firstboot",
    },
    Key {
        name: "Boot.LiveArguments",
        value: "kernel arguments that mark a live system, on which nothing is recorded (as above); empty: none",
        default: "coreos.liveiso coreos.live.rootfs_url",
    },
    Key {
        name: "Policy.MaxRetries",
        value: "unplanned restarts one attempt may take before the red line, 0 to 50",
        default: "5",
    },
    Key {
        name: "Policy.MaxPlannedReboots",
        value: "planned reboots (kargs, fips) one attempt may take, 0 to 50",
        default: "4",
    },
    Key {
        name: "Cache.KeepConfig",
        value: "yes or no (also true/false, on/off, 1/0): keep a copy of the fetched config beside the journal, unencrypted, until the attempt completes, and restore it on a retry",
        default: "no",
    },
    Key {
        name: "Cache.RestoreTo",
        value: "absolute path where check restores the kept copy; it must be on a tmpfs or ramfs, never on a persistent disk",
        default: "/usr/lib/ignition/user.ign",
    },
    Key {
        name: "Cache.MaxSize",
        value: "the largest config kept, in bytes or with a K or M suffix (1024-based), 1 byte to 16M",
        default: "1048576",
    },
    Key {
        name: "FailureLog.Keep",
        value: "yes or no: keep-log keeps the end of a failed boot's log beside the journal (mode 0600; it may hold what Ignition logged)",
        default: "yes",
    },
    Key {
        name: "FailureLog.MaxSize",
        value: "the most log bytes kept, in bytes or with a K or M suffix, 1 byte to 1M",
        default: "65536",
    },
];
