//! `fetched --config PATH`: the config's digest, and with `[Cache]
//! KeepConfig=yes` its bytes, to be kept as the attempt's copy.

use std::io::Read;

use std::path::Path;

use camino::Utf8PathBuf;
use provision_journal::Sha256;
use provision_journal::hooks::sha256_of;
use provision_journal::kept::KeptError;

use crate::exit::{Exit, Failure};
use crate::output::complain;

/// The config `fetched --config` read: its digest, and its bytes when they
/// are to be kept.
pub struct Fetched {
    /// SHA-256 of the file.
    pub sha256: Sha256,
    /// The bytes to keep, when keeping is on and the config can be applied
    /// again offline.
    pub keep: Option<Vec<u8>>,
}

fn unreadable(config: &Path, error: std::io::Error) -> Failure {
    Failure::new(
        Exit::ConfigUnreadable,
        format!("failed to read config `{}`: {error}", config.display()),
    )
    // The cause first: a long path is what the record's room cuts short.
    .with_brief(format!(
        "{} reading `{}`",
        crate::failure::io_words(&error),
        config.display()
    ))
}

/// Refuses a config that is a device or a socket, which would give endless
/// or no bytes (`/dev/zero`, a terminal); a regular file and a pipe (a
/// process substitution, `<(...)`) are read.
fn refuse_devices(config: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::FileTypeExt;
    let kind = match std::fs::metadata(config) {
        Ok(metadata) => metadata.file_type(),
        Err(error) => return Err(unreadable(config, error)),
    };
    let what = if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        return Ok(());
    };
    Err(Failure::new(
        Exit::ConfigUnreadable,
        format!(
            "config `{}` is {what}, not a file: give the file Ignition fetched",
            config.display()
        ),
    )
    .with_brief(format!("{what} given as the config")))
}

/// Reads the config at `config`. Without keeping, it is only hashed. With
/// keeping, it is read whole, up to `max_size` bytes: a larger one fails
/// with [`Exit::ConfigTooLarge`] before anything is written.
pub fn read(config: &Path, keeping: bool, max_size: u64) -> Result<Fetched, Failure> {
    refuse_devices(config)?;
    let file = std::fs::File::open(config).map_err(|error| unreadable(config, error))?;
    if !keeping {
        let sha256 = sha256_of(file).map_err(|error| unreadable(config, error))?;
        return Ok(Fetched { sha256, keep: None });
    }
    let mut bytes = Vec::new();
    file.take(max_size + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| unreadable(config, error))?;
    if bytes.len() as u64 > max_size {
        let size = std::fs::metadata(config).map_or(max_size + 1, |meta| meta.len());
        let error = KeptError::TooLarge {
            path: Utf8PathBuf::from(config.to_string_lossy().into_owned()),
            size,
            limit: max_size,
        };
        return Err(
            Failure::new(Exit::ConfigTooLarge, format!("{error}; nothing was kept")).with_brief(
                format!("config of {size} bytes, over [Cache] MaxSize ({max_size})"),
            ),
        );
    }
    let sha256 = sha256_of(bytes.as_slice()).map_err(|error| unreadable(config, error))?;
    let keep = match references(&bytes) {
        None => Some(bytes),
        Some(why) => {
            complain(format_args!(
                "provision-journal: warning: config `{}` is not kept: {why}, so a retry could not apply it without fetching again; only its digest is recorded",
                config.display()
            ));
            None
        }
    };
    Ok(Fetched { sha256, keep })
}

/// Why a rendered Ignition config cannot be applied again offline, if it
/// cannot: it is not JSON, or it still names configs to fetch
/// (`ignition.config.merge` or `ignition.config.replace`), which Ignition
/// keeps in its rendered config and would fetch and merge again.
fn references(bytes: &[u8]) -> Option<&'static str> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Some("it is not JSON");
    };
    let config = &value["ignition"]["config"];
    let merges = config["merge"]
        .as_array()
        .is_some_and(|list| !list.is_empty());
    let replaces = !config["replace"]["source"].is_null();
    (merges || replaces).then_some("it names configs to merge or to replace it with")
}

#[cfg(test)]
mod tests {
    use super::references;

    #[test]
    fn configs_naming_others_are_not_kept() {
        assert_eq!(references(br#"{"ignition":{"version":"3.4.0"}}"#), None);
        assert_eq!(
            references(br#"{"ignition":{"config":{"merge":[],"replace":{"source":null}}}}"#),
            None
        );
        assert!(
            references(br#"{"ignition":{"config":{"merge":[{"source":"http://x"}]}}}"#).is_some()
        );
        assert!(
            references(br#"{"ignition":{"config":{"replace":{"source":"http://x"}}}}"#).is_some()
        );
        assert!(references(b"not json").is_some());
    }
}
