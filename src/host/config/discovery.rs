//! Which files are read, and how: the search path or the one file
//! `PROVISION_JOURNAL_CONF` names, the drop-ins, and reading each without
//! ever blocking or reading without bound.

use std::io;

use camino::{Utf8Path, Utf8PathBuf};
use rustix::fs::{FileType, Mode, OFlags};

use super::ConfigError;
use super::settings::Config;
use crate::storage::kind_of;

/// The files read, in order, when `PROVISION_JOURNAL_CONF` is not set:
/// the distribution's default, the administrator's file, then every
/// `*.conf` in [`DROP_IN_DIR`] in lexical order.
pub const SEARCH_PATH: [&str; 2] = [
    "/usr/lib/provision-journal/provision-journal.conf",
    "/etc/provision-journal.conf",
];
/// The administrator's drop-in directory.
pub const DROP_IN_DIR: &str = "/etc/provision-journal.conf.d";
/// The environment variable naming the one configuration file to read.
pub const CONF_ENV: &str = "PROVISION_JOURNAL_CONF";
/// The largest configuration file read, in bytes (256 KiB: a generous
/// INI file is a few hundred bytes). A larger one is refused unread.
pub const MAX_FILE_SIZE: u64 = 256 * 1024;
/// The most `*.conf` drop-ins read from [`DROP_IN_DIR`].
pub const MAX_DROP_INS: usize = 64;
impl Config {
    /// Reads the configuration: the one file `PROVISION_JOURNAL_CONF` names
    /// (which must exist), or else every file of the search path that
    /// exists, in order.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for a file that cannot be read, a line that is
    /// wrong, or settings that contradict each other.
    pub fn load() -> Result<Self, ConfigError> {
        match std::env::var_os(CONF_ENV) {
            Some(path) => {
                let path = Utf8PathBuf::from(path.to_string_lossy().into_owned());
                Self::from_files(&[path], false)
            }
            None => {
                let files: Vec<Utf8PathBuf> = SEARCH_PATH.iter().map(Utf8PathBuf::from).collect();
                Self::from_search_path(&files, Utf8Path::new(DROP_IN_DIR))
            }
        }
    }

    /// Reads `files` that exist, in order, then the `*.conf` drop-ins of
    /// `drop_in_dir` in lexical order: [`Config::load`] with
    /// [`SEARCH_PATH`] and [`DROP_IN_DIR`].
    ///
    /// # Errors
    ///
    /// As [`Config::load`], and [`ConfigError::TooManyDropIns`].
    pub fn from_search_path(
        files: &[Utf8PathBuf],
        drop_in_dir: &Utf8Path,
    ) -> Result<Self, ConfigError> {
        let mut files = files.to_vec();
        files.extend(drop_ins(drop_in_dir)?);
        Self::from_files(&files, true)
    }

    /// Reads `files` in order over the built-in defaults; a missing file is
    /// skipped when `skip_missing`, an error otherwise.
    ///
    /// # Errors
    ///
    /// As [`Config::load`].
    pub fn from_files(files: &[Utf8PathBuf], skip_missing: bool) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        for path in files {
            let text = match read_file(path)? {
                Some(bytes) => String::from_utf8(bytes).map_err(|_| ConfigError::Line {
                    path: path.clone(),
                    line: 1,
                    key: None,
                    problem: "the file is not UTF-8 text".to_owned(),
                })?,
                None if skip_missing => continue,
                None => {
                    return Err(ConfigError::Read {
                        path: path.clone(),
                        source: io::Error::from(rustix::io::Errno::NOENT),
                    });
                }
            };
            config.apply_text(path, &text)?;
            config.files.push(path.clone());
        }
        config.validate()?;
        Ok(config)
    }
}

/// What a configuration file's `stat` says about reading it: `Ok(true)` for
/// a regular file, `Ok(false)` for the null device (read as empty, as
/// systemd reads a drop-in linked to it), the error otherwise.
fn readable(path: &Utf8Path, stat: &rustix::fs::Stat) -> Result<bool, ConfigError> {
    let file_type = FileType::from_raw_mode(stat.st_mode);
    let null = file_type == FileType::CharacterDevice
        && (
            rustix::fs::major(stat.st_rdev),
            rustix::fs::minor(stat.st_rdev),
        ) == (1, 3);
    match file_type {
        FileType::RegularFile => Ok(true),
        _ if null => Ok(false),
        other => Err(ConfigError::NotRegularFile {
            path: path.to_owned(),
            kind: kind_of(other),
        }),
    }
}

/// Reads one configuration file, `None` if there is none. Symbolic links
/// are followed (distributions and administrators link configuration
/// files), but what they lead to must be a regular file: its type is
/// checked before it is opened (opening a FIFO would wait for a writer, a
/// device may act on being opened, as a watchdog does). Something swapped
/// in between cannot block or flood the call either: the file is opened
/// `O_NONBLOCK | O_NOCTTY`, and at most [`MAX_FILE_SIZE`] bytes are read,
/// whatever it is. (An `fstat` of the descriptor would close that window
/// for good, at one more system call on every hook.)
fn read_file(path: &Utf8Path) -> Result<Option<Vec<u8>>, ConfigError> {
    let failed = |error: rustix::io::Errno| ConfigError::Read {
        path: path.to_owned(),
        source: io::Error::from(error),
    };
    let stat = match rustix::fs::stat(path.as_std_path()) {
        Ok(stat) => stat,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(error) => return Err(failed(error)),
    };
    if !readable(path, &stat)? {
        return Ok(Some(Vec::new()));
    }
    let fd = rustix::fs::open(
        path.as_std_path(),
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(failed)?;
    let too_large = || ConfigError::TooLarge {
        path: path.to_owned(),
        limit: MAX_FILE_SIZE,
    };
    if stat.st_size as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(stat.st_size as usize);
    io::Read::read_to_end(
        &mut io::Read::take(std::fs::File::from(fd), MAX_FILE_SIZE + 1),
        &mut bytes,
    )
    .map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(Some(bytes))
}

/// The `*.conf` files of `dir` in lexical order, at most [`MAX_DROP_INS`];
/// none if it does not exist.
fn drop_ins(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, ConfigError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ConfigError::Read {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ConfigError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let name = entry.file_name();
        if let Some(name) = name.to_str().filter(|name| name.ends_with(".conf")) {
            files.push(dir.join(name));
        }
    }
    if files.len() > MAX_DROP_INS {
        return Err(ConfigError::TooManyDropIns {
            dir: dir.to_owned(),
            count: files.len(),
            limit: MAX_DROP_INS,
        });
    }
    files.sort();
    Ok(files)
}
