//! What `provision-journal(8)` says beyond the options clap knows: the red
//! line, the configuration keys, the files, the environment and kernel
//! arguments, and examples for a support engineer. Names, paths and keys
//! come from the library's constants, so the page cannot name a file or a
//! key the binary does not use.

use clap_mangen::roff::{Inline, Roff, bold, italic, roman};
use provision_journal::boot_context::{
    BOOT_ID_ENV, BOOT_ID_PATH, CMDLINE_ENV, CMDLINE_PATH, LIVE_ENV, RERUN_ARG,
};
use provision_journal::config::{
    CONF_ENV, DROP_IN_DIR, KEYS, MAX_PLANNED_REBOOTS_ARG, MAX_RETRIES_ARG, SEARCH_PATH,
};
use provision_journal::failure_log;
use provision_journal::kept::copy_name;

use crate::args::DEFAULT_JOURNAL;

/// The name the commands are installed under.
const NAME: &str = crate::NAME;

/// One `.TP` entry: a tag line, then its paragraph.
fn entry(roff: &mut Roff, tag: impl Into<Vec<Inline>>, text: impl Into<Vec<Inline>>) {
    roff.control("TP", []);
    roff.text(tag);
    roff.text(text);
}

/// A paragraph.
fn paragraph(roff: &mut Roff, text: impl Into<Vec<Inline>>) {
    roff.control("PP", []);
    roff.text(text);
}

/// Lines shown as typed, indented.
fn typed(roff: &mut Roff, lines: &[&str]) {
    roff.control("RS", ["4"]);
    roff.control("nf", []);
    for line in lines {
        roff.text([bold(*line)]);
    }
    roff.control("fi", []);
    roff.control("RE", []);
}

/// DESCRIPTION: what the journal is for, the red line in two sentences,
/// who calls which command.
pub fn description(roff: &mut Roff) {
    roff.control("SH", ["DESCRIPTION"]);
    roff.text([
        bold(NAME),
        roman(
            " makes a machine's first-boot provisioning (Ignition on Fedora CoreOS, RHCOS, \
             Flatcar and the like) run once, even if the boot is interrupted. It records every \
             step in an append-only, CRC-checked journal on the boot partition, and before the \
             next provisioning boot fetches anything, ",
        ),
        bold("check"),
        roman(" decides from the journal whether provisioning may run again."),
    ]);
    paragraph(
        roff,
        [
            roman("The "),
            italic("red line"),
            roman(
                " is the start of the disks stage, the first step that changes the machine's \
                 disks. A boot interrupted before it is retried safely (within a budget of \
                 retries and planned reboots); a boot interrupted after it poisons the \
                 journal, and provisioning stays stopped on every boot until an operator has \
                 looked at the disks: ",
            ),
            bold(format!("{NAME} reset")),
            roman(
                " once they are wiped back to their state before provisioning, or, on a \
                 machine that is provisioned (or was finished by hand), the first-boot marker \
                 removed; ",
            ),
            bold(format!("{NAME} status")),
            roman(" says which."),
        ],
    );
    paragraph(
        roff,
        [
            roman("The systemd units of the dracut module call the hooks in the initramfs: "),
            bold("check"),
            roman(" before fetch, "),
            bold("fetched"),
            roman(" after it, "),
            bold("begin"),
            roman(", "),
            bold("end"),
            roman(" or "),
            bold("fail"),
            roman(" around each stage, "),
            bold("reboot"),
            roman(" before a planned reboot, and "),
            bold("complete"),
            roman(
                " at the end; each appends one durable record and exits. Operators and \
                 support engineers use ",
            ),
            bold("status"),
            roman(", "),
            bold("dump"),
            roman(" and "),
            bold("config"),
            roman(", which only read, and "),
            bold("reset"),
            roman(". "),
            bold("simulate"),
            roman(" shows, without a machine, what a power cut at any point leads to."),
        ],
    );
}

/// CONFIGURATION: the files in the order they are read, then every key
/// with what it takes and its default.
pub fn configuration(roff: &mut Roff) {
    roff.control("SH", ["CONFIGURATION"]);
    roff.text([roman(
        "Systemd-style INI files, read in this order; later files win key by key, and a \
         missing file is skipped:",
    )]);
    let files = SEARCH_PATH
        .iter()
        .map(|path| (*path).to_owned())
        .chain([format!("{DROP_IN_DIR}/*.conf")]);
    let roles = [
        "the distribution's default",
        "the administrator's",
        "drop-ins, in lexical order",
    ];
    for (file, role) in files.zip(roles) {
        entry(roff, [bold(file)], [roman(role)]);
    }
    paragraph(
        roff,
        [roman(
            "A mistake in a file (an unknown section or key, a malformed line, a value \
                 out of range) is a usage error, exit status 2, naming the file, the line and \
                 the key, before anything is read or written. The keys, by section:",
        )],
    );
    for key in KEYS {
        let default = if key.default.is_empty() {
            roman("Default: empty.")
        } else {
            roman(format!("Default: {}.", key.default))
        };
        entry(
            roff,
            [bold(format!("[{}] {}=", key.section(), key.key()))],
            [roman(format!("{}. ", capitalized(key.value))), default],
        );
    }
    paragraph(
        roff,
        [
            roman(
                "Precedence, highest first: a flag, a kernel argument, a file, the built-in default. ",
            ),
            bold(format!("{NAME} config")),
            roman(" prints every value in force and where it came from."),
        ],
    );
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The built-in default of the key `name` (`Section.Key`).
fn default_of(name: &str) -> &'static str {
    KEYS.iter()
        .find(|key| key.name == name)
        .map_or("", |key| key.default)
}

/// FILES: every file the binary writes (the journal, the kept copy, the
/// failure log, their temporary names, check's note for the hooks, the
/// private mount points), the stamp it reads, and the configuration.
pub fn files(roff: &mut Roff) {
    let dir = DEFAULT_JOURNAL.rsplit_once('/').map_or("", |(dir, _)| dir);
    let journal_name = DEFAULT_JOURNAL
        .rsplit('/')
        .next()
        .unwrap_or(DEFAULT_JOURNAL);
    let stamp = default_of("Boot.FirstbootStamp");
    let restore_to = default_of("Cache.RestoreTo");
    let (restore_dir, restore_name) = restore_to.rsplit_once('/').unwrap_or(("", restore_to));
    roff.control("SH", ["FILES"]);
    entry(
        roff,
        [bold(DEFAULT_JOURNAL)],
        [roman(
            "The journal (--journal), mode 0600 (on vfat, the mount's). Records are only ever \
             appended; copy the file for a support bundle. In the initramfs, where the boot \
             partition is not mounted, every call mounts [Boot] Device in a private mount \
             namespace and uses the file of this name on it. There is no lock file: a writer \
             locks the journal itself with flock(2) (its directory while it creates the \
             journal), and status and dump take no lock.",
        )],
    );
    entry(
        roff,
        [bold(format!("{dir}/{}", copy_name(journal_name)))],
        [roman(
            "With [Cache] KeepConfig=yes, the kept copy of the fetched config, unencrypted \
             (mode 0600 on ext4), from fetched until complete, or until a writer removes it \
             from a poisoned or reset attempt; every removal is recorded. Configs carry \
             secrets: keep it off where others can read the boot partition.",
        )],
    );
    entry(
        roff,
        [bold(format!(
            "{dir}/{}",
            failure_log::file_name(journal_name)
        ))],
        [roman(
            "The failure log, mode 0600 (on vfat, the mount's): the end of the log of the boot \
             that failed or was stopped, Ignition's own messages included, which keep-log \
             keeps for the record that boot stopped on (a failed stage or call, or check \
             poisoning the attempt or refusing the boot); at most [FailureLog] MaxSize bytes, \
             one file at a time. dump shows it, reset removes it, [FailureLog] Keep=no \
             switches it off.",
        )],
    );
    entry(
        roff,
        [bold(format!(
            "{dir}/.{journal_name}.new, {dir}/.NAME.carried"
        ))],
        [roman(
            "Temporary files beside the journal, renamed into place once durable: the new \
             journal while it is created, and each file (the journal, the kept copy, the \
             stamp) a hook puts back from [Boot] SavedCopyDir after a stage recreated the boot \
             file system. One that a power cut left behind is on no record; the next creation \
             or carry removes it.",
        )],
    );
    entry(
        roff,
        [bold(format!("{dir}/{stamp}"))],
        [roman(
            "[Boot] FirstbootStamp, relative to the journal's directory: while it exists, \
             every boot is a provisioning boot, as with the first-boot kernel argument.",
        )],
    );
    entry(
        roff,
        [bold(restore_to)],
        [roman(
            "[Cache] RestoreTo: where check restores the kept copy on a retry, in the \
             initramfs's memory, for Ignition's fetch-offline stage to read.",
        )],
    );
    entry(
        roff,
        [bold(format!(
            "{restore_dir}/.{restore_name}.provision-journal.new"
        ))],
        [roman(
            "The restore's temporary file beside [Cache] RestoreTo, renamed over it. One that \
             a check cut off left holds the config; with [Cache] KeepConfig=yes the next \
             writer removes it.",
        )],
    );
    entry(
        roff,
        [bold("/run/provision-journal/checked")],
        [roman(
            "check's note for the hooks of this boot (PROVISION_JOURNAL_RUNTIME_DIR replaces \
             the directory): the boot ID and the file system it found the journal on. In \
             memory, gone at the next boot; a hook that finds no journal reads it to say \
             whether the journal vanished (exit 32).",
        )],
    );
    entry(
        roff,
        [bold("/run/provision-journal.PID")],
        [roman(
            "The private mount point of one call on a boot device, removed when the call ends \
             (and by the next call if the process was killed).",
        )],
    );
    entry(
        roff,
        [bold(SEARCH_PATH[0])],
        [roman("The configuration files: see CONFIGURATION.")],
    );
}

/// ENVIRONMENT and KERNEL COMMAND LINE.
pub fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    let variables = [
        (
            CONF_ENV,
            "Read only this configuration file, which must exist.".to_owned(),
        ),
        (
            BOOT_ID_ENV,
            format!("The boot ID to record (32 hex digits), instead of {BOOT_ID_PATH}."),
        ),
        (
            CMDLINE_ENV,
            format!("The kernel command line to use, instead of {CMDLINE_PATH}."),
        ),
        (
            LIVE_ENV,
            "1: this is a live system, on which hooks record nothing; 0: it is not. Unset: \
             live when the command line has one of [Boot] LiveArguments."
                .to_owned(),
        ),
        (
            "PROVISION_JOURNAL_RUNTIME_DIR",
            "Where check notes, for the hooks of this boot, the journal and the file system it \
             found it on (default /run/provision-journal): a hook that then finds no journal \
             says it vanished (exit 32)."
                .to_owned(),
        ),
        (
            "PROVISION_JOURNAL_JOURNALD_SOCKET",
            "Where check, the hooks and reset send their structured journald entries \
             (default /run/systemd/journal/socket); empty: none, the lines are printed."
                .to_owned(),
        ),
    ];
    for (name, meaning) in variables {
        entry(roff, [bold(name)], [roman(meaning)]);
    }
    roff.control("SH", ["KERNEL COMMAND LINE"]);
    let arguments = [
        (
            default_of("Boot.FirstbootArguments").replace(' ', ", "),
            "By default (one of [Boot] FirstbootArguments): this boot provisions, and check \
             decides whether it may.",
        ),
        (
            format!("{RERUN_ARG}=TOKEN"),
            "Rerun a completed provisioning, once per TOKEN; the rerun is recorded. Only on a \
             provisioning boot: together with one of [Boot] FirstbootArguments, or with the \
             [Boot] FirstbootStamp beside the journal; alone it does nothing.",
        ),
        (
            format!("{MAX_RETRIES_ARG}=N"),
            "Overrides [Policy] MaxRetries for this boot.",
        ),
        (
            format!("{MAX_PLANNED_REBOOTS_ARG}=N"),
            "Overrides [Policy] MaxPlannedReboots for this boot.",
        ),
        (
            default_of("Boot.LiveArguments").replace(' ', ", "),
            "By default (one of [Boot] LiveArguments): a live system, on which nothing is \
             recorded.",
        ),
    ];
    for (argument, meaning) in arguments {
        entry(roff, [bold(argument)], [roman(meaning)]);
    }
}

/// EXAMPLES: what a support engineer runs, on the machine and on copies.
pub fn examples(roff: &mut Roff) {
    roff.control("SH", ["EXAMPLES"]);
    let examples: [(&str, &[&str]); 9] = [
        (
            "What the next provisioning boot will decide and what to do, on the machine (the \
             boot partition is mounted read-only for the call):",
            &["provision-journal status"],
        ),
        (
            "The whole story: every record, each boot's stages with their durations, every \
             anomaly in words, and the next check's decision with the operator's advice:",
            &["provision-journal dump"],
        ),
        (
            "A journal copied out of a support bundle; dump only reads, so a copy or a \
             read-only mount will do:",
            &["provision-journal dump sosreport-m17/boot/provision-journal"],
        ),
        (
            "The journal of a machine's disk, from another system:",
            &[
                "mount -o ro /dev/disk/by-label/boot /mnt",
                "provision-journal dump /mnt/provision-journal",
            ],
        ),
        (
            "A fleet's journals, counted by state, decision, last stage and outcome (the \
             path and the last boot's ID, which differ from machine to machine, cut away):",
            &[
                "provision-journal status --oneline */provision-journal |",
                "    cut -d' ' -f2,3,5,6 | sort | uniq -c",
            ],
        ),
        (
            "The system journal of a boot, on that machine, if it survived (dump's TIMELINE \
             gives each boot's full ID). A boot that stopped in the initramfs keeps none: the \
             failure log kept beside the journal is what is left of its log, and dump shows it:",
            &["journalctl -b BOOT_ID -u ignition-disks.service"],
        ),
        (
            "The configuration in force, and one value for a script:",
            &[
                "provision-journal config",
                "provision-journal config --get Boot.Device",
            ],
        ),
        (
            "After wiping the disks back to their state before provisioning, allow a new provisioning attempt (on a machine that is provisioned, remove the first-boot marker instead):",
            &[
                "provision-journal reset --reason \"disks wiped back to their state before provisioning\"",
            ],
        ),
        (
            "What a power cut during the mount stage leads to, without a machine:",
            &["provision-journal simulate --cut-at during-mount"],
        ),
    ];
    for (index, (what, lines)) in examples.iter().enumerate() {
        if index > 0 {
            roff.control("PP", []);
        }
        roff.text([roman(*what)]);
        typed(roff, lines);
    }
}

/// The pages of other programs the top page refers to.
pub const OTHER_PAGES: [(&str, &str); 3] = [("dracut", "8"), ("journalctl", "1"), ("bootup", "7")];
