//! The command line: global options, subcommands and their help texts.

use std::path::PathBuf;

use camino::Utf8PathBuf;
use clap::builder::{PossibleValue, PossibleValuesParser, StringValueParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueHint};
use provision_journal::config::{KEYS, MAX_BUDGET, MAX_DEVICE_TIMEOUT_SEC, MAX_LOCK_TIMEOUT_SEC};
use provision_journal::{RebootReason, Sha256, Stage};

use crate::exit;
use crate::simulate::cut_points::{CUT_POINTS, DEFAULT_CUT_POINT};

/// Where the journal lives when `--journal` is not given.
pub const DEFAULT_JOURNAL: &str = "/boot/provision-journal";

/// The configuration, environment and kernel arguments the commands read:
/// the first part of the long help's epilogue (`provision-journal(8)` says
/// the same in its own sections).
pub const ENVIRONMENT: &str = "\
Configuration (systemd-style INI; later files win key by key):
  /usr/lib/provision-journal/provision-journal.conf   the distribution's default
  /etc/provision-journal.conf                         the administrator's
  /etc/provision-journal.conf.d/*.conf                drop-ins, in lexical order (at most 64)
  each a regular file (or /dev/null) of at most 256 KiB, lines of at most 4096 bytes
  [Boot] Device, DeviceTimeoutSec, LockTimeoutSec, SavedCopyDir, FirstbootArguments,
         FirstbootStamp, LiveArguments
  [Policy] MaxRetries, MaxPlannedReboots
  [Cache] KeepConfig, RestoreTo, MaxSize
  [FailureLog] Keep, MaxSize
  `provision-journal config` shows every value in force and where it came from.

Environment:
  PROVISION_JOURNAL_CONF     read only this configuration file
  PROVISION_JOURNAL_BOOT_ID  boot ID to record, instead of /proc/sys/kernel/random/boot_id
  PROVISION_JOURNAL_CMDLINE  kernel command line to use, instead of /proc/cmdline
  PROVISION_JOURNAL_LIVE     1: this is a live system (hooks record nothing); 0: it is not;
                             unset: live when the command line has one of LiveArguments
                             (by default coreos.liveiso or coreos.live.rootfs_url)
  PROVISION_JOURNAL_RUNTIME_DIR  where check notes, for this boot's hooks, the journal it
                             found (default /run/provision-journal)
  PROVISION_JOURNAL_JOURNALD_SOCKET  where check, the hooks and reset send their journald
                             entries (default /run/systemd/journal/socket); empty: none

Kernel command line:
  one of FirstbootArguments            a provisioning boot (by default ignition.firstboot;
                                       so is the FirstbootStamp file beside the journal)
  provision_journal.rerun=TOKEN        rerun a completed provisioning, once per TOKEN;
                                       only with one of FirstbootArguments (or the stamp)
  provision_journal.max_retries=N      overrides [Policy] MaxRetries
  provision_journal.max_planned_reboots=N  overrides [Policy] MaxPlannedReboots

Precedence: flag > kernel argument > configuration file > built-in default.";

/// The width the exit-status table of `--help` is wrapped to.
const HELP_WIDTH: usize = 80;

/// The epilogue of `--help` (and of `check --help`): [`ENVIRONMENT`], then
/// every exit status with its meaning, from [`exit::Exit::ALL`].
fn after_long_help() -> String {
    format!(
        "{ENVIRONMENT}\n\nExit statuses:\n{}",
        exit::status_table(HELP_WIDTH)
    )
}

/// What `--version` prints after the program's name: the release, and the
/// journal format versions it writes and reads.
fn version() -> String {
    let read = provision_journal::READ_FORMAT_VERSIONS
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let plural = if provision_journal::READ_FORMAT_VERSIONS.len() == 1 {
        ""
    } else {
        "s"
    };
    format!(
        "{}\njournal format: writes version {}, reads version{plural} {read}",
        env!("CARGO_PKG_VERSION"),
        provision_journal::FORMAT_VERSION
    )
}

/// Makes first-boot provisioning run once, even if interrupted: records
/// every stage durably in a journal on /boot, and decides at the next boot
/// whether a retry is safe.
#[derive(Debug, Parser)]
// Not a doc comment (clap would show it): the long version and the
// epilogue of --help are added by documented_command, only to be shown.
#[command(name = "provision-journal", version)]
pub struct Cli {
    /// The journal file. Given explicitly, it is used as it is, and the
    /// configuration's [Boot] Device is not mounted.
    #[arg(long, global = true, help_heading = GLOBAL_OPTIONS, value_name = "PATH", value_hint = ValueHint::FilePath, default_value = DEFAULT_JOURNAL)]
    pub journal: Utf8PathBuf,

    /// Whether --journal was typed (rather than defaulted).
    #[arg(skip)]
    pub journal_given: bool,

    /// Mount this boot partition privately for the duration of the call and
    /// use the journal file of that name on it (for the initramfs, where
    /// /boot is not mounted). Default: the configuration's [Boot] Device.
    /// On a live system hooks record nothing and the device is not touched.
    #[arg(long, global = true, help_heading = GLOBAL_OPTIONS, value_name = "DEV", value_hint = ValueHint::FilePath)]
    pub boot_device: Option<Utf8PathBuf>,

    /// How long to wait for the boot device to appear. Default: the
    /// configuration's [Boot] DeviceTimeoutSec (30).
    #[arg(long, global = true, help_heading = GLOBAL_OPTIONS, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(..=MAX_DEVICE_TIMEOUT_SEC))]
    pub boot_device_timeout: Option<u64>,

    /// How long a writer waits for another writer's lock on the journal
    /// before it fails (exit 23). Default: [Boot] LockTimeoutSec (5).
    #[arg(long, global = true, help_heading = GLOBAL_OPTIONS, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(..=MAX_LOCK_TIMEOUT_SEC))]
    pub lock_timeout: Option<u64>,

    /// Unplanned restarts one attempt may take before the red line.
    /// Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5).
    #[arg(long, global = true, help_heading = GLOBAL_OPTIONS, value_name = "N", value_parser = clap::value_parser!(u32).range(..=MAX_BUDGET as i64))]
    pub max_retries: Option<u32>,

    /// Planned reboots one attempt may take. Default:
    /// provision_journal.max_planned_reboots=N, else [Policy]
    /// MaxPlannedReboots (4).
    #[arg(long, global = true, help_heading = GLOBAL_OPTIONS, value_name = "N", value_parser = clap::value_parser!(u32).range(..=MAX_BUDGET as i64))]
    pub max_planned_reboots: Option<u32>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Before fetch: decide whether provisioning may run on this boot,
    /// record the decision, and exit 0 only if it may.
    ///
    /// When it stops provisioning (exit 10, 11 or 12), its line says why,
    /// and `provision-journal status` says what to do: `reset` only once
    /// the disks are wiped back to their state before provisioning; on a
    /// machine that is provisioned, or was finished by hand, remove the
    /// first-boot marker instead.
    Check,
    /// After fetch: record the SHA-256 of the fetched config.
    Fetched(Fetched),
    /// Before a stage: record that it begins; returns once that is durable.
    Begin {
        /// The stage (one that changes the machine).
        #[arg(value_parser = StageParser(&Stage::MUTATING))]
        stage: Stage,
    },
    /// After a stage succeeded: record that it ended.
    End {
        /// The stage (one that changes the machine).
        #[arg(value_parser = StageParser(&Stage::MUTATING))]
        stage: Stage,
    },
    /// After a stage failed: record the failure (past the red line this
    /// stops provisioning until an operator acts).
    Fail {
        /// The stage.
        #[arg(value_parser = StageParser(&Stage::ALL))]
        stage: Stage,
        /// Why it failed, e.g. the unit's result and exit status.
        #[arg(long, value_name = "TEXT", default_value = "failed")]
        reason: String,
    },
    /// Before a planned reboot (only before the disks stage): record why.
    Reboot {
        /// kargs, fips, or any other reason in words.
        #[arg(long, value_name = "kargs|fips|TEXT", value_parser = reboot_reason_parser(), hide_possible_values = true)]
        reason: String,
    },
    /// After the last stage: record that provisioning completed.
    Complete,
    /// After a stage failed or check stopped provisioning: keep the end of
    /// this boot's log (at most [FailureLog] MaxSize bytes, 64 KiB by
    /// default) beside the journal as NAME.failure-log, for the record this
    /// boot stopped on. Writes no record; dump shows the log, reset
    /// removes it.
    KeepLog {
        /// The log, e.g. `journalctl -b -o short-monotonic` piped in (`-`:
        /// standard input).
        #[arg(value_name = "FILE", value_hint = ValueHint::FilePath, default_value = "-")]
        log: Utf8PathBuf,
    },
    /// Show the journal's state and what the next check would decide.
    /// With PATHs, each of those journals in turn (copies from support
    /// bundles, say); the exit status is the worst of them.
    Status {
        /// Print JSON instead of text (one line per journal).
        #[arg(long, conflicts_with = "oneline")]
        json: bool,
        /// Print one line per journal: path, state, decision, last boot,
        /// last stage, outcome (clean, torn_tail, corrupt,
        /// unsupported_version, absent, unreadable); `cut -d' ' -f2,3,5,6 |
        /// sort | uniq -c` counts a fleet's journals by all but the path and
        /// the last boot.
        #[arg(long)]
        oneline: bool,
        /// Write the status as Prometheus metrics to FILE, for
        /// node_exporter's textfile collector (a `*.prom` file in its
        /// directory), atomically: a temporary file renamed over it.
        /// Every call replaces FILE, also for a journal that cannot be
        /// read at all (outcome absent or unreadable, may_proceed 0,
        /// read_error 1), whose error is still the exit status.
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath, conflicts_with_all = ["json", "oneline"])]
        prometheus: Option<Utf8PathBuf>,
        /// Journals to read, `-` for standard input (a copy, reported from
        /// its bytes alone: no failure log, no file system beside it).
        /// Default: --journal, or the boot device, where no journal yet is
        /// the state `absent`; a PATH that names no file is an error (41).
        #[arg(value_name = "PATH", value_hint = ValueHint::FilePath)]
        paths: Vec<Utf8PathBuf>,
    },
    /// Allow a new provisioning attempt after a poisoned or completed one,
    /// or one interrupted on an earlier boot; the reason is recorded.
    /// Refused while the attempt runs on this boot.
    ///
    /// The next provisioning boot then runs the config from the start, so
    /// reset only once the disks are wiped back to their state before
    /// provisioning. A machine that is provisioned, or was finished by
    /// hand, needs no reset: remove the first-boot marker instead (the
    /// stamp on the boot partition, or the kernel argument), and no boot
    /// provisions it again. `provision-journal status` says which applies.
    Reset {
        /// Why, in the operator's words (e.g. "disks wiped back to their
        /// state before provisioning"); must not be empty.
        #[arg(long, value_name = "TEXT", value_parser = parse_reason)]
        reason: String,
    },
    /// Print every record of a journal, read-only, with its offset and the
    /// state after it, and any torn tail or corruption.
    Dump {
        /// Print JSON instead of text (one document per journal).
        #[arg(long)]
        json: bool,
        /// The journals to read, in turn, `-` for standard input (default:
        /// --journal, or the boot device). With several, each report has a
        /// header, and the exit status is the worst of them.
        #[arg(value_name = "PATH", value_hint = ValueHint::FilePath)]
        paths: Vec<Utf8PathBuf>,
    },
    /// Print the configuration in force: every setting, its value, and the
    /// file, kernel argument or flag it came from.
    Config {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Print only this setting's value (e.g. Boot.Device; empty for none).
        #[arg(
            long,
            value_name = "SECTION.KEY",
            conflicts_with = "json",
            ignore_case = true,
            value_parser = PossibleValuesParser::new(
                KEYS.map(|key| PossibleValue::new(key.name).help(key.value)),
            ),
        )]
        get: Option<String>,
    },
    /// Run a whole first boot against a journal in memory, cut the power at
    /// POINT, and show what the next boot's check decides and the journal.
    Simulate {
        /// Where the power is cut (or the boot ends): after-HOOK once the
        /// hook returned, during-STAGE while the stage runs, inside-HOOK while
        /// the hook appends its record; each with its side of the red line
        /// (the start of `disks`).
        #[arg(
            long,
            value_name = "POINT",
            default_value = DEFAULT_CUT_POINT,
            value_parser = PossibleValuesParser::new(
                CUT_POINTS.map(|point| PossibleValue::new(point.name).help(point.help())),
            ),
        )]
        cut_at: String,
        /// Keep the journal the next boot read (and its first-boot stamp)
        /// in DIR, created if missing, to try `status`, `dump` and `reset`
        /// on it; a DIR that already holds a journal is refused. Without
        /// it, the journal lives in a temporary directory removed at the
        /// end.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        keep: Option<Utf8PathBuf>,
    },
}

/// The heading of the global options in every `--help`, after the
/// command's own options.
const GLOBAL_OPTIONS: &str = "Global options";

/// The global options that locate a journal or set its policy: ids and how
/// they are typed.
const JOURNAL_OPTIONS: [(&str, &str); 6] = [
    ("journal", "--journal"),
    ("boot_device", "--boot-device"),
    ("boot_device_timeout", "--boot-device-timeout"),
    ("lock_timeout", "--lock-timeout"),
    ("max_retries", "--max-retries"),
    ("max_planned_reboots", "--max-planned-reboots"),
];

/// The global options a subcommand does not take, by id, and why: they are
/// left out of its help, its man page and the shell completions, and giving
/// one is a usage error rather than silently ignored.
const NOT_TAKEN: [(&str, &[&str], &str); 3] = [
    (
        "simulate",
        &[
            "journal",
            "boot_device",
            "boot_device_timeout",
            "lock_timeout",
            "max_retries",
            "max_planned_reboots",
        ],
        "runs in memory and in a temporary directory",
    ),
    (
        "status",
        &["lock_timeout"],
        "only reads, without taking the writers' lock",
    ),
    (
        "dump",
        &["lock_timeout"],
        "only reads, without taking the writers' lock",
    ),
];

/// The command line as it parses: [`Cli`], with each subcommand's
/// [`NOT_TAKEN`] global options declared again on it, hidden, under the
/// same id. A subcommand's own argument keeps the global one out of its
/// help; [`parse`] refuses it when given.
fn command() -> clap::Command {
    let mut command = Cli::command();
    let globals: Vec<clap::Arg> = command.get_arguments().cloned().collect();
    for (subcommand, ids, _) in NOT_TAKEN {
        command = command.mut_subcommand(subcommand, |mut subcommand| {
            for global in globals
                .iter()
                .filter(|arg| ids.contains(&arg.get_id().as_str()))
            {
                subcommand = subcommand.arg(global.clone().global(false).hide(true));
            }
            subcommand
        });
    }
    command
}

/// Parses the command line; a usage error exits with status 2.
///
/// `simulate` runs in memory and in a temporary directory, so giving it an
/// option that locates a journal is a usage error rather than silently
/// ignored.
pub fn parse() -> Cli {
    let mut command = command();
    let matches = match command.try_get_matches_from_mut(std::env::args_os()) {
        Ok(matches) => matches,
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                    | ErrorKind::DisplayVersion
            ) =>
        {
            documented_command().get_matches();
            unreachable!("clap exits once it showed the help or the version")
        }
        Err(error) => error.exit(),
    };
    if let Some((name, subcommand)) = matches.subcommand()
        && let Some((_, ids, why)) = NOT_TAKEN.iter().find(|(refusing, ..)| *refusing == name)
    {
        let given = |matches: &ArgMatches, id: &str| {
            matches.value_source(id) == Some(ValueSource::CommandLine)
        };
        for (id, option) in JOURNAL_OPTIONS {
            if ids.contains(&id) && (given(&matches, id) || given(subcommand, id)) {
                command
                    .error(
                        ErrorKind::ArgumentConflict,
                        format!("`{name}` {why}: it takes no {option}"),
                    )
                    .exit();
            }
        }
    }
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let typed =
        |matches: &ArgMatches| matches.value_source("journal") == Some(ValueSource::CommandLine);
    cli.journal_given = typed(&matches) || matches.subcommand().is_some_and(|(_, sub)| typed(sub));
    cli
}

/// The command line with what only `--help`, `--version` and the man pages
/// show: the version with the journal format versions, and the epilogue
/// with the environment and every exit status (on the top level and on
/// `check`). [`parse`] builds it only to show one of them, so a hook does
/// not pay for formatting them.
pub fn documented_command() -> clap::Command {
    command()
        .version(version())
        .after_long_help(after_long_help())
        .mut_subcommand("check", |check| check.after_long_help(after_long_help()))
}

/// How `fetched` learns the config's digest.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Fetched {
    /// The fetched config file (e.g. /run/ignition.json); its SHA-256 is recorded.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub config: Option<PathBuf>,
    /// The config's SHA-256, as 64 hex digits.
    #[arg(long, value_name = "HEX", value_parser = parse_sha256)]
    pub sha256: Option<Sha256>,
}

/// A value parser that parses as `parser` does and offers `values` to
/// `--help` and the shell completions, without limiting what it accepts to
/// them: `begin fetch` reaches the rules, which say why it is refused, and
/// a reboot's reason may be any text.
#[derive(Clone)]
struct Offering<P> {
    parser: P,
    values: Vec<PossibleValue>,
}

impl<P: TypedValueParser> TypedValueParser for Offering<P> {
    type Value = P::Value;

    fn parse_ref(
        &self,
        command: &clap::Command,
        argument: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        self.parser.parse_ref(command, argument, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.values.iter().cloned()))
    }
}

/// Any text, offering the reasons the rules know by name.
fn reboot_reason_parser() -> impl TypedValueParser<Value = String> {
    let named = [
        (
            RebootReason::Kargs,
            "the kargs stage changed the kernel arguments",
        ),
        (RebootReason::Fips, "FIPS mode is switched on after fetch"),
    ];
    Offering {
        parser: StringValueParser::new(),
        values: named
            .into_iter()
            .map(|(reason, help)| PossibleValue::new(reason.to_string()).help(help))
            .collect(),
    }
}

fn parse_reason(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(
            "say why, in words: the reason is kept in the journal for whoever reads it next".into(),
        );
    }
    Ok(text.to_owned())
}

fn parse_sha256(text: &str) -> Result<Sha256, String> {
    Sha256::from_hex(text).ok_or_else(|| "expected 64 hex digits".to_owned())
}

/// Parses a stage name among `stages` (only the mutating ones have `begin`
/// and `end`), so that a wrong name is told with the stages the command
/// takes and the closest of them (`begin disk`: did you mean `disks`?), and
/// a stage the command does not take is told why.
#[derive(Clone, Copy, Debug)]
pub struct StageParser(pub &'static [Stage]);

impl clap::builder::TypedValueParser for StageParser {
    type Value = Stage;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Stage, clap::Error> {
        use clap::error::{ContextKind, ContextValue};
        let text = value.to_string_lossy();
        if let Some(stage) = self.0.iter().find(|stage| stage.name() == text) {
            return Ok(*stage);
        }
        let mut error = clap::Error::new(ErrorKind::InvalidValue).with_cmd(command);
        let arg = arg.map_or_else(|| "STAGE".to_owned(), ToString::to_string);
        error.insert(ContextKind::InvalidArg, ContextValue::String(arg));
        error.insert(
            ContextKind::InvalidValue,
            ContextValue::String(text.clone().into_owned()),
        );
        error.insert(
            ContextKind::ValidValue,
            ContextValue::Strings(self.0.iter().map(|stage| stage.name().to_owned()).collect()),
        );
        match text.parse::<Stage>() {
            Ok(stage) => {
                let tip = format!(
                    "stage `{stage}` does not mutate the machine, so it has no begin or end record"
                );
                error.insert(
                    ContextKind::Suggested,
                    ContextValue::StyledStrs(vec![tip.into()]),
                );
            }
            Err(_) => {
                if let Some(closest) = closest_stage(&text, self.0) {
                    error.insert(
                        ContextKind::SuggestedValue,
                        ContextValue::String(closest.name().to_owned()),
                    );
                }
            }
        }
        Err(error)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            self.0.iter().map(|stage| PossibleValue::new(stage.name())),
        ))
    }
}

/// The stage among `stages` a mistyped `name` most likely meant: the only
/// one whose name begins with it (`disk`), else the nearest, if it is at
/// most two edits away and no other is as near (`mounts`, `umnt`).
fn closest_stage(name: &str, stages: &[Stage]) -> Option<Stage> {
    let name = name.to_ascii_lowercase();
    let unique = |found: Vec<Stage>| match found[..] {
        [only] => Some(only),
        _ => None,
    };
    let prefixed = stages
        .iter()
        .copied()
        .filter(|stage| !name.is_empty() && stage.name().starts_with(&name))
        .collect();
    unique(prefixed).or_else(|| {
        let nearest = stages
            .iter()
            .map(|stage| edit_distance(&name, stage.name()))
            .min()
            .filter(|&distance| distance <= 2)?;
        unique(
            stages
                .iter()
                .copied()
                .filter(|stage| edit_distance(&name, stage.name()) == nearest)
                .collect(),
        )
    })
}

/// The Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}
