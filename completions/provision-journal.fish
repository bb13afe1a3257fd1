# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_provision_journal_global_optspecs
    string join \n journal= boot-device= boot-device-timeout= lock-timeout= max-retries= max-planned-reboots= h/help V/version
end

function __fish_provision_journal_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_provision_journal_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_provision_journal_using_subcommand
    set -l cmd (__fish_provision_journal_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c provision-journal -n "__fish_provision_journal_needs_command" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_needs_command" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_needs_command" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_needs_command" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_needs_command" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_needs_command" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_needs_command" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -s V -l version -d 'Print version'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "fetched" -d 'After fetch: record the SHA-256 of the fetched config'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "begin" -d 'Before a stage: record that it begins; returns once that is durable'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "end" -d 'After a stage succeeded: record that it ended'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "fail" -d 'After a stage failed: record the failure (past the red line this stops provisioning until an operator acts)'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "reboot" -d 'Before a planned reboot (only before the disks stage): record why'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "complete" -d 'After the last stage: record that provisioning completed'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "keep-log" -d 'After a stage failed or check stopped provisioning: keep the end of this boot\'s log (at most [FailureLog] MaxSize bytes, 64 KiB by default) beside the journal as NAME.failure-log, for the record this boot stopped on. Writes no record; dump shows the log, reset removes it'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "reset" -d 'Allow a new provisioning attempt after a poisoned or completed one, or one interrupted on an earlier boot; the reason is recorded. Refused while the attempt runs on this boot'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "config" -d 'Print the configuration in force: every setting, its value, and the file, kernel argument or flag it came from'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "simulate" -d 'Run a whole first boot against a journal in memory, cut the power at POINT, and show what the next boot\'s check decides and the journal'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "status" -d 'Show the journal\'s state and what the next check would decide. With PATHs, each of those journals in turn (copies from support bundles, say); the exit status is the worst of them'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "dump" -d 'Print every record of a journal, read-only, with its offset and the state after it, and any torn tail or corruption'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "check" -d 'Before fetch: decide whether provisioning may run on this boot, record the decision, and exit 0 only if it may'
complete -c provision-journal -n "__fish_provision_journal_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -l config -d 'The fetched config file (e.g. /run/ignition.json); its SHA-256 is recorded' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -l sha256 -d 'The config\'s SHA-256, as 64 hex digits' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fetched" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand begin" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand begin" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand begin" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand begin" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand begin" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand begin" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand begin" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand end" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand end" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand end" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand end" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand end" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand end" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand end" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail" -l reason -d 'Why it failed, e.g. the unit\'s result and exit status' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reboot" -l reason -d 'kargs, fips, or any other reason in words' -r -f -a "kargs\t'the kargs stage changed the kernel arguments'
fips\t'FIPS mode is switched on after fetch'"
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reboot" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reboot" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reboot" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reboot" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reboot" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reboot" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reboot" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand complete" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand complete" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand complete" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand complete" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand complete" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand complete" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand complete" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand keep-log" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand keep-log" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand keep-log" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand keep-log" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand keep-log" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand keep-log" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand keep-log" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reset" -l reason -d 'Why, in the operator\'s words (e.g. "disks wiped back to their state before provisioning"); must not be empty' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reset" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reset" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reset" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reset" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reset" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reset" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand reset" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -l get -d 'Print only this setting\'s value (e.g. Boot.Device; empty for none)' -r -f -a "Boot.Device\t'absolute path of the boot partition every call mounts; empty: none (the --journal path is used as it is)'
Boot.DeviceTimeoutSec\t'whole seconds to wait for the boot device to appear, 0 to 3600'
Boot.LockTimeoutSec\t'whole seconds a writer waits for another writer\'s lock on the journal, 0 to 600'
Boot.SavedCopyDir\t'absolute path of the directory where the distribution keeps the boot file system\'s files while a stage recreates it (Fedora CoreOS: /run/ignition-ostree-transposefs/boot); a hook that finds no journal puts it back from there; empty: none'
Boot.FirstbootArguments\t'kernel arguments that mark a provisioning boot, separated by spaces; key matches the key with any value or none, key=value matches exactly'
Boot.FirstbootStamp\t'a file, relative to the journal\'s directory (no ..), whose presence also marks a provisioning boot; empty: none'
Boot.LiveArguments\t'kernel arguments that mark a live system, on which nothing is recorded (as above); empty: none'
Policy.MaxRetries\t'unplanned restarts one attempt may take before the red line, 0 to 50'
Policy.MaxPlannedReboots\t'planned reboots (kargs, fips) one attempt may take, 0 to 50'
Cache.KeepConfig\t'yes or no (also true/false, on/off, 1/0): keep a copy of the fetched config beside the journal, unencrypted, until the attempt completes, and restore it on a retry'
Cache.RestoreTo\t'absolute path where check restores the kept copy; it must be on a tmpfs or ramfs, never on a persistent disk'
Cache.MaxSize\t'the largest config kept, in bytes or with a K or M suffix (1024-based), 1 byte to 16M'
FailureLog.Keep\t'yes or no: keep-log keeps the end of a failed boot\'s log beside the journal (mode 0600; it may hold what Ignition logged)'
FailureLog.MaxSize\t'the most log bytes kept, in bytes or with a K or M suffix, 1 byte to 1M'"
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -l json -d 'Print JSON instead of text'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand simulate" -l cut-at -d 'Where the power is cut (or the boot ends): after-HOOK once the hook returned, during-STAGE while the stage runs, inside-HOOK while the hook appends its record; each with its side of the red line (the start of `disks`)' -r -f -a "before-check\t'before the red line'
after-check\t'before the red line'
inside-fetched\t'before the red line; the power goes inside the hook\'s append (a torn tail)'
after-fetched\t'before the red line'
during-kargs\t'before the red line'
after-fail-kargs\t'before the red line; a boot whose kargs stage fails'
after-kargs\t'before the red line'
after-reboot-kargs\t'before the red line; a boot whose kargs stage asks for a planned reboot'
inside-begin-disks\t'on the red line: a torn `begin disks`, counted as past it; the power goes inside the hook\'s append (a torn tail)'
during-disks\t'past the red line'
after-fail-disks\t'past the red line; a boot whose disks stage fails'
after-disks\t'past the red line'
during-mount\t'past the red line'
after-mount\t'past the red line'
during-files\t'past the red line'
after-files\t'past the red line'
during-umount\t'past the red line'
after-umount\t'past the red line'
after-complete\t'past the red line'"
complete -c provision-journal -n "__fish_provision_journal_using_subcommand simulate" -l keep -d 'Keep the journal the next boot read (and its first-boot stamp) in DIR, created if missing, to try `status`, `dump` and `reset` on it; a DIR that already holds a journal is refused. Without it, the journal lives in a temporary directory removed at the end' -r -f -a "(__fish_complete_directories)"
complete -c provision-journal -n "__fish_provision_journal_using_subcommand simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -l prometheus -d 'Write the status as Prometheus metrics to FILE, for node_exporter\'s textfile collector (a `*.prom` file in its directory), atomically: a temporary file renamed over it. Every call replaces FILE, also for a journal that cannot be read at all (outcome absent or unreadable, may_proceed 0, read_error 1), whose error is still the exit status' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -l json -d 'Print JSON instead of text (one line per journal)'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -l oneline -d 'Print one line per journal: path, state, decision, last boot, last stage, outcome (clean, torn_tail, corrupt, unsupported_version, absent, unreadable); `cut -d\' \' -f2,3,5,6 | sort | uniq -c` counts a fleet\'s journals by all but the path and the last boot'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand status" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand dump" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand dump" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand dump" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand dump" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand dump" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand dump" -l json -d 'Print JSON instead of text (one document per journal)'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand dump" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand check" -l journal -d 'The journal file. Given explicitly, it is used as it is, and the configuration\'s [Boot] Device is not mounted' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand check" -l boot-device -d 'Mount this boot partition privately for the duration of the call and use the journal file of that name on it (for the initramfs, where /boot is not mounted). Default: the configuration\'s [Boot] Device. On a live system hooks record nothing and the device is not touched' -r -F
complete -c provision-journal -n "__fish_provision_journal_using_subcommand check" -l boot-device-timeout -d 'How long to wait for the boot device to appear. Default: the configuration\'s [Boot] DeviceTimeoutSec (30)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand check" -l lock-timeout -d 'How long a writer waits for another writer\'s lock on the journal before it fails (exit 23). Default: [Boot] LockTimeoutSec (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand check" -l max-retries -d 'Unplanned restarts one attempt may take before the red line. Default: provision_journal.max_retries=N, else [Policy] MaxRetries (5)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand check" -l max-planned-reboots -d 'Planned reboots one attempt may take. Default: provision_journal.max_planned_reboots=N, else [Policy] MaxPlannedReboots (4)' -r
complete -c provision-journal -n "__fish_provision_journal_using_subcommand check" -s h -l help -d 'Print help'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "fetched" -d 'After fetch: record the SHA-256 of the fetched config'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "begin" -d 'Before a stage: record that it begins; returns once that is durable'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "end" -d 'After a stage succeeded: record that it ended'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "fail" -d 'After a stage failed: record the failure (past the red line this stops provisioning until an operator acts)'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "reboot" -d 'Before a planned reboot (only before the disks stage): record why'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "complete" -d 'After the last stage: record that provisioning completed'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "keep-log" -d 'After a stage failed or check stopped provisioning: keep the end of this boot\'s log (at most [FailureLog] MaxSize bytes, 64 KiB by default) beside the journal as NAME.failure-log, for the record this boot stopped on. Writes no record; dump shows the log, reset removes it'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "reset" -d 'Allow a new provisioning attempt after a poisoned or completed one, or one interrupted on an earlier boot; the reason is recorded. Refused while the attempt runs on this boot'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "config" -d 'Print the configuration in force: every setting, its value, and the file, kernel argument or flag it came from'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "simulate" -d 'Run a whole first boot against a journal in memory, cut the power at POINT, and show what the next boot\'s check decides and the journal'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "status" -d 'Show the journal\'s state and what the next check would decide. With PATHs, each of those journals in turn (copies from support bundles, say); the exit status is the worst of them'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "dump" -d 'Print every record of a journal, read-only, with its offset and the state after it, and any torn tail or corruption'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "check" -d 'Before fetch: decide whether provisioning may run on this boot, record the decision, and exit 0 only if it may'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand help; and not __fish_seen_subcommand_from fetched begin end fail reboot complete keep-log reset config simulate status dump check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c provision-journal -n "__fish_provision_journal_using_subcommand begin; and not __fish_seen_subcommand_from kargs disks mount files umount" -f -a "kargs\t'' disks\t'' mount\t'' files\t'' umount\t''"
complete -c provision-journal -n "__fish_provision_journal_using_subcommand end; and not __fish_seen_subcommand_from kargs disks mount files umount" -f -a "kargs\t'' disks\t'' mount\t'' files\t'' umount\t''"
complete -c provision-journal -n "__fish_provision_journal_using_subcommand fail; and not __fish_seen_subcommand_from fetch-offline fetch kargs disks mount files umount" -f -a "fetch-offline\t'' fetch\t'' kargs\t'' disks\t'' mount\t'' files\t'' umount\t''"
