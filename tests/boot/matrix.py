#!/usr/bin/env python3
"""The real-boot scenario matrix: Debian's real Ignition in a real dracut
initramfs with our units, booted under QEMU, with power cuts at console
markers. Run through tests/boot/run, which builds what this needs.

Every boot is checked against spec/STATES.md (oracle.py) on its console, on
check's exit status, and on the journal read back off the image with our
own `dump --json`. See tests/boot/README.md.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from assets import Assets  # noqa: E402
from machine import FCOS, FCOS_CACHE, ROOT_MARKER, BootProfile, Machine  # noqa: E402
from figures import summary as hook_figures  # noqa: E402
from oracle import RED_LINE_STAGES, VERDICTS, expected_verdict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "configs")
MUTATING = ("kargs",) + RED_LINE_STAGES

# Debian's ignition-generator starts Ignition only with ignition.firstboot;
# Flatcar's own generator keys on flatcar.first_boot, which is what the
# flatcar profile makes our tool look for.
FLATCAR = BootProfile(
    "flatcar", "vfat", "EFI-SYSTEM", "flatcar/first_boot",
    "ignition.firstboot flatcar.first_boot=detected",
)

# Where a power cut can fall, in boot order: a console line and the cut's
# name. Every hook's record line, every Ignition stage's first line (the
# stage is running), and switch-root.
CUT_POINTS = [
    ("after-check", "first run: provisioning attempt"),
    ("during-fetch-offline", "Stage: fetch-offline"),
    ("after-fetched", "recorded `fetched"),
    ("after-begin-kargs", "recorded `begin kargs`"),
    ("during-kargs", "Stage: kargs"),
    ("after-end-kargs", "recorded `end kargs`"),
    ("after-begin-disks", "recorded `begin disks`"),
    ("during-disks", "Stage: disks"),
    ("after-end-disks", "recorded `end disks`"),
    ("after-begin-mount", "recorded `begin mount`"),
    ("during-mount", "Stage: mount"),
    ("after-end-mount", "recorded `end mount`"),
    ("after-begin-files", "recorded `begin files`"),
    ("during-files", "Stage: files"),
    ("after-end-files", "recorded `end files`"),
    ("after-begin-umount", "recorded `begin umount`"),
    ("during-umount", "Stage: umount"),
    ("after-end-umount", "recorded `end umount`"),
    ("after-complete", "recorded `complete`"),
    ("at-switch-root", "Switching root"),
]

STAGE_LINE = re.compile(r"ignition\[\d+\]: (?:INFO +: )?Stage: (\S+)")
UNIT_FAILED = re.compile(
    r"(provision-journal-\S+\.service): (?:Failed with result|Control process exited|Main process exited, code=exited, status=[1-9])"
)
CHECK_EXIT = re.compile(r"provision-journal-check\.service: Main process exited, code=exited, status=(\d+)")


class Failure(AssertionError):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


class Context:
    """One scenario's machine, its tool, and what it has checked."""

    def __init__(self, assets, workdir, profile, name):
        self.assets = assets
        self.machine = Machine(assets, workdir, profile, name)
        self.name = name
        self.notes = []
        self.dumps = [None]  # the journal's dump --json before boot 1, after each boot

    def tool(self, *args, env=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        return subprocess.run(
            [self.assets.binary, *args], capture_output=True, text=True, env=full_env
        )

    def dump(self):
        path = self.machine.journal_path()
        if path is None:
            return None, None
        # The failure log beside it on the image goes beside the copy, where
        # dump looks for it.
        log = self.machine.read_file(self.machine.profile.journal + ".failure-log")
        if log is not None:
            with open(path + ".failure-log", "wb") as f:
                f.write(log)
        result = self.tool("dump", "--json", path)
        expect(result.returncode in (0, 24),
               f"dump of the journal after boot {len(self.machine.boots)} exited "
               f"{result.returncode} (0 clean or 24 torn tail expected):\n{result.stderr}")
        return json.loads(result.stdout), path

    # -- one boot, checked against the spec --------------------------------

    def boot(self, config="a.ign", cut=None, firstboot=True, extra=(), rerun=None):
        """Boots, then checks the boot against the oracle. Returns the boot
        and the journal's dump after it."""
        before = self.dumps[-1]
        expected = expected_verdict(before, rerun) if firstboot else None
        cut_at = None
        if cut is not None:
            cut_at = [dict(CUT_POINTS)[cut]]
        boot = self.machine.boot(os.path.join(CONFIGS, config), cut_at=cut_at,
                                 firstboot=firstboot, extra=extra)
        self.notes.append(f"boot {boot.number}: {boot.ended} after {boot.wall:.0f}s"
                          + (f" (cut {cut})" if cut else ""))
        expect(boot.ended != "timeout", f"boot {boot.number} timed out")
        after, _ = self.dump()
        self.dumps.append(after)
        new = new_records(before, after)
        if firstboot:
            self._check_verdict(boot, expected, new, cut)
        self._check_stage_intents(boot, new)
        self._check_console_truth(boot, expected)
        if boot.has(ROOT_MARKER):
            self.notes.append(f"boot {boot.number} hooks: {hook_figures(boot.lines)}")
        return boot, after

    def _check_console_truth(self, boot, expected):
        """The console tells an operator only what happened: no hook is
        refused, and none of our units fails, except `check` when it stops
        the boot."""
        refused = boot.matching(r"provision-journal.*: cannot run `")
        if boot.ended == "reboot":
            # A stage the reboot's transaction still started in this boot
            # is refused for the reason that is true: a reboot was announced.
            refused = [line for line in refused if "a reboot was announced" not in line]
        expect(not refused, f"boot {boot.number}: a hook was refused: {refused}")
        failed = {m.group(1) for m in map(UNIT_FAILED.search, boot.lines) if m}
        if expected and not VERDICTS[expected][1]:
            failed.discard("provision-journal-check.service")
        expect(not failed, f"boot {boot.number}: units failed: {sorted(failed)}")

    def _check_verdict(self, boot, expected, new, cut):
        n = boot.number
        verdict_line = next((l for l in boot.lines if "provision-journal[" in l), None)
        if boot.ended == "cut" and verdict_line is None:
            return  # cut before check said anything
        expect(verdict_line is not None, f"boot {n}: check printed nothing on the console")
        candidates = [expected] if expected else ["safe_retry", "fatal_interruption"]
        statuses = [VERDICTS[v][0] for v in candidates]
        exit_match = next((CHECK_EXIT.search(l) for l in boot.lines if CHECK_EXIT.search(l)), None)
        status = int(exit_match.group(1)) if exit_match else 0
        if boot.ended == "cut" and status == 0 and not boot.has("Finished provision-journal-check"):
            status = None  # cut before check exited
        expect(status is None or status in statuses,
               f"boot {n}: check exited {status}, spec/STATES.md says {candidates} ({statuses})")
        verdict = next(v for v in candidates if status is None or VERDICTS[v][0] == status)
        words = VERDICTS[verdict][2]
        expect(words in verdict_line.lower(),
               f"boot {n}: check's console line does not say {words!r}: {verdict_line}")
        self.notes.append(f"boot {n}: check {verdict} (exit {status})")
        # The record check wrote.
        if new:
            first = new[0]["event"]
            want = {
                "first_run": ("attempt_started", lambda e: e["trigger"] == "firstboot"),
                "forced_rerun": ("attempt_started", lambda e: e["trigger"] == "forced_rerun"),
                "safe_retry": ("restarted", lambda e: not e["planned"]),
                "resume_after_planned_reboot": ("restarted", lambda e: e["planned"]),
                "fatal_interruption": ("poisoned", lambda e: True),
                "poisoned": ("boot_refused", lambda e: True),
                "already_complete": ("boot_refused", lambda e: True),
            }[verdict]
            expect(first["kind"] == want[0] and want[1](first),
                   f"boot {n}: check recorded {first}, expected a {want[0]} record for {verdict}")
        elif boot.ended != "cut":
            raise Failure(f"boot {n}: check recorded nothing")
        ran = [m.group(1) for m in map(STAGE_LINE.search, boot.lines) if m]
        if not VERDICTS[verdict][1]:
            expect(not ran, f"boot {n}: {verdict}, yet Ignition ran stages {ran}")
            if boot.ended != "cut":
                expect(boot.ended == "emergency",
                       f"boot {n}: {verdict} should stop in emergency mode, it ended {boot.ended}")

    def _check_stage_intents(self, boot, new):
        """No mutating stage ran before its begin record was durable: every
        stage the console shows running has its record in the journal."""
        began = {r["event"]["stage"] for r in new if r["event"]["kind"] == "stage_began"}
        for line in boot.lines:
            if "the attempt is now poisoned" in line:
                break  # Ignition's teardown (umount) runs in a stopped attempt too
            m = STAGE_LINE.search(line)
            if m and m.group(1) in MUTATING:
                expect(m.group(1) in began,
                       f"boot {boot.number}: Ignition ran {m.group(1)} but the journal has no "
                       f"`begin {m.group(1)}` from this boot")

    # -- what a completed provisioning looks like ---------------------------

    def expect_provisioned(self, boot, dump, config="A"):
        n = boot.number
        expect(boot.has(ROOT_MARKER), f"boot {n}: the real root was not reached ({boot.ended})")
        expect(boot.has(f"root file /etc/pj-harness/config: {config}"),
               f"boot {n}: /etc/pj-harness/config does not hold {config}")
        expect(boot.has(f"data file /written-by: config {config[0]}"),
               f"boot {n}: the data disk does not hold config {config[0]}'s file")
        expect(dump is not None and dump["state"]["state"] == "complete",
               f"boot {n}: the journal is not complete: {dump and dump['state']}")
        expect(dump["summary"]["outcome"] == "clean", f"boot {n}: journal not clean: {dump['summary']}")
        complete_at = boot.first("recorded `complete`")
        switch_at = boot.first("Switching root")
        expect(complete_at is not None and switch_at is not None and complete_at < switch_at,
               f"boot {n}: `complete` was not recorded before switch-root "
               f"(complete at {complete_at}, switch-root at {switch_at})")

    def expect_stopped(self, boot, dump, state):
        expect(boot.ended == "emergency", f"boot {boot.number}: expected emergency, got {boot.ended}")
        expect(not boot.has(ROOT_MARKER), f"boot {boot.number}: reached the real root")
        expect(dump["state"]["state"] == state,
               f"boot {boot.number}: journal state {dump['state']['state']}, expected {state}")


# The journald entries' MESSAGE_IDs (spec/EVIDENCE.md).
MESSAGE_IDS = {
    "proceed": "5ab8dd689a634ad4a222f35d1c6e184a",
    "recorded": "3b6dc4d0e83c4a119732b4e74cde70a4",
    "stage_failed": "1d76cfcfd4d445218bf53ace1a584f1e",
    "poisoned": "92280bf30e684729a66d2211965ee409",
    "failure_log_kept": "9f5df3134fa44984b5973788a01b21fb",
}


def journald_entries(boot):
    """The entries harness-dump-journal printed on the console in emergency
    mode (`journalctl -o json`), or None if it printed none."""
    if not boot.has("PJ-HARNESS-ENTRY-END"):
        return None
    entries = []
    for line in boot.lines:
        at = line.find("PJ-HARNESS-ENTRY {")
        if at >= 0:
            try:
                entries.append(json.loads(line[at + len("PJ-HARNESS-ENTRY "):]))
            except ValueError:
                pass  # a line the console interleaved with another
    return entries


def expect_entry(boot, entries, outcome, **fields):
    """One of `entries` has the MESSAGE_ID of `outcome` and these fields."""
    want = {"MESSAGE_ID": MESSAGE_IDS[outcome], "PROVISION_JOURNAL_OUTCOME": outcome}
    want.update({f"PROVISION_JOURNAL_{k.upper()}": str(v) for k, v in fields.items()})
    found = [e for e in entries if all(e.get(k) == v for k, v in want.items())]
    expect(found, f"boot {boot.number}: no journald entry {want} among "
                  f"{[(e.get('PROVISION_JOURNAL_OUTCOME'), e.get('PROVISION_JOURNAL_COMMAND')) for e in entries]}")


def new_records(before, after):
    if after is None:
        return []
    seen = len(before["records"]) if before else 0
    return [r for r in after["records"][seen:] if r["event"]["kind"] != "tail_repaired"]


def kinds(dump):
    return [r["event"]["kind"] + (f" {r['event']['stage']}" if r["event"].get("stage") else "")
            for r in dump["records"]]


# -- the scenarios -------------------------------------------------------------

def scenario_clean(ctx):
    """A clean first boot completes; the completed disk booted again as a
    first boot is refused (exit 12) without running a stage."""
    boot, dump = ctx.boot()
    ctx.expect_provisioned(boot, dump)
    expect(not dump["anomalies"], f"anomalies in a clean boot: {dump['anomalies']}")
    boot, dump = ctx.boot()
    ctx.expect_stopped(boot, dump, "complete")


def scenario_invalid_config(ctx):
    """An invalid config fails fetch-offline, which is recorded; the next
    boot, with a good config, retries safely and completes."""
    boot, dump = ctx.boot("invalid.ign")
    expect(boot.ended == "emergency", f"boot 1 ended {boot.ended}, expected emergency")
    failed = [r for r in dump["records"] if r["event"]["kind"] == "stage_failed"]
    expect(failed and failed[-1]["event"]["stage"] == "fetch-offline",
           f"no `fail fetch-offline` recorded: {kinds(dump)}")
    boot, dump = ctx.boot("a.ign")
    verdict = next(line for line in boot.lines if "provision-journal[" in line)
    expect("fetch-offline" in verdict and "failed" in verdict,
           f"boot 2: check does not word the recorded failure as a failure: {verdict}")
    ctx.expect_provisioned(boot, dump)


def scenario_stage_fails(config, stage):
    def scenario(ctx):
        boot, dump = ctx.boot(config)
        ctx.expect_stopped(boot, dump, "poisoned")
        last = dump["records"][-1]["event"]
        expect(last["kind"] == "stage_failed" and last["stage"] == stage,
               f"the last record is not `fail {stage}`: {kinds(dump)}")
        expect(not boot.has("recorded `begin umount`"), "umount was recorded after a failed stage")
        expect(boot.has("nothing to complete"), "the completion unit did not say why it records nothing")
        # The structured journald entries, dumped on the console in emergency mode.
        entries = journald_entries(boot)
        expect(entries is not None, "boot 1: the journald entries were not dumped on the console")
        fail_seq = dump["records"][-1]["seq"]
        expect_entry(boot, entries, "proceed", verdict="first_run", command="check")
        expect_entry(boot, entries, "recorded", command="begin disks", stage="disks")
        expect_entry(boot, entries, "stage_failed", command=f"fail {stage}", seq=fail_seq,
                     state="poisoned")
        expect_entry(boot, entries, "failure_log_kept", seq=fail_seq)
        # The failure log, beside the journal on the image, bound to the record.
        kept = dump.get("failure_log")
        expect(kept is not None, "boot 1: no failure log beside the journal")
        expect(kept["bound"] and kept["seq"] == fail_seq and kept["stage"] == stage,
               f"boot 1: the failure log is not bound to `fail {stage}` (#{fail_seq}): "
               f"{ {k: v for k, v in kept.items() if k != 'text'} }")
        expect(f"ignition-{stage}" in (kept["text"] or ""),
               f"boot 1: the failure log does not show the {stage} unit's lines")
        ctx.notes.append(f"boot 1: {len(entries)} journald entries; failure log of "
                         f"{kept['kept_bytes']} of {kept['total_bytes']} bytes")
        boot, dump = ctx.boot("a.ign")
        ctx.expect_stopped(boot, dump, "poisoned")
        entries = journald_entries(boot)
        expect(entries is not None, "boot 2: the journald entries were not dumped on the console")
        expect_entry(boot, entries, "poisoned", verdict="poisoned", command="check")
        # The refused boot does not replace the failure's log.
        expect(dump.get("failure_log", {}).get("seq") == fail_seq,
               f"boot 2: the failure log no longer belongs to `fail {stage}`")
    scenario.__doc__ = (f"Ignition's {stage} stage fails: `fail {stage}` poisons the attempt, the "
                        "console shows no refused hook, the journald entries and the failure log "
                        "show it, and the next boot is refused (exit 11).")
    return scenario


def scenario_planned_reboot(ctx):
    """Ignition's kargs stage changes the kernel arguments; the reboot unit
    announces the reboot; the resumed boot completes, and the dump shows a
    planned reboot, not a restart."""
    boot, dump = ctx.boot("a-kargs.ign")
    expect(boot.ended == "reboot", f"boot 1 ended {boot.ended}, expected a reboot")
    expect(kinds(dump)[-1] == "reboot_planned", f"last record is not the reboot: {kinds(dump)}")
    expect(not any(STAGE_LINE.search(l) and "disks" in l for l in boot.lines),
           "boot 1: disks ran after the reboot was announced")
    boot, dump = ctx.boot("a-kargs.ign")
    expect("pj_harness.karg=applied" in boot.cmdline, "the kargs were not applied to boot 2")
    ctx.expect_provisioned(boot, dump, config="A-kargs")
    restarts = [r for r in dump["records"] if r["event"]["kind"] == "restarted"]
    expect(len(restarts) == 1 and restarts[0]["event"]["planned"], f"restarts: {restarts}")
    expect(not dump["anomalies"], f"a planned reboot reported as an anomaly: {dump['anomalies']}")


def scenario_reset(ctx):
    """Cut after `begin disks`: fatal on the next boot. An operator runs
    `reset` on the image from the host; the boot after that provisions a new
    attempt and completes."""
    ctx.boot(cut="after-begin-disks")
    boot, dump = ctx.boot()
    ctx.expect_stopped(boot, dump, "poisoned")
    path = ctx.machine.journal_path()
    result = ctx.tool("--journal", path, "reset", "--reason", "data disk wiped by hand",
                      env={"PROVISION_JOURNAL_BOOT_ID": "0f" * 16})
    expect(result.returncode == 0, f"reset exited {result.returncode}: {result.stderr}")
    ctx.machine.write_back(ctx.machine.profile.journal, path)
    ctx.dumps.append(ctx.dump()[0])
    boot, dump = ctx.boot()
    ctx.expect_provisioned(boot, dump)
    expect(dump["state"]["epoch"] == 2, f"the new attempt is not attempt 2: {dump['state']}")


def scenario_rerun(ctx):
    """A completed disk booted with provision_journal.rerun=TOKEN runs a
    recorded forced rerun; the same token a second time is refused."""
    boot, dump = ctx.boot()
    ctx.expect_provisioned(boot, dump)
    token = "harness-1"
    boot, dump = ctx.boot("b.ign", extra=[f"provision_journal.rerun={token}"], rerun=token)
    ctx.expect_provisioned(boot, dump, config="B")
    boot, dump = ctx.boot("b.ign", extra=[f"provision_journal.rerun={token}"], rerun=token)
    ctx.expect_stopped(boot, dump, "complete")


def scenario_check_waits_for_udev(ctx):
    """check is ordered after the boot device: it starts only once udev
    has it, so none of its own device budget is spent polling."""
    boot, dump = ctx.boot()
    ctx.expect_provisioned(boot, dump)
    started = boot.first("Starting provision-journal-check.service")
    udev = boot.first("Started systemd-udevd.service")
    expect(started is not None and udev is not None and udev < started,
           f"check started at {started}s, before udevd ({udev}s)")


USER_IGN = "/usr/lib/ignition/user.ign"
KEPT_COPY = "provision-journal.config"


def scenario_cache(cut):
    """Boot 1 fetches config A with the kept config on, and is cut during
    kargs (or reboots for kargs). Every later boot is given config B on
    fw_cfg: check restores A from the boot partition, Ignition reads it as
    its system config before asking the platform, and the attempt completes
    with A, never B. After completion the copy is gone from the image."""
    def scenario(ctx):
        boot, dump = ctx.boot("a-kargs.ign", cut=cut)
        expect(boot.ended == ("cut" if cut else "reboot"),
               f"boot 1 ended {boot.ended}, expected {'a cut' if cut else 'a reboot'}")
        kept = [r["event"] for r in dump["records"] if r["event"]["kind"] == "config_kept"]
        expect(len(kept) == 1, f"boot 1: expected one config_kept record: {kinds(dump)}")
        bound = kept[0]["sha256"]
        copy = ctx.machine.read_file(KEPT_COPY)
        expect(copy is not None, f"boot 1: no {KEPT_COPY} on the boot partition")
        expect(len(copy) == kept[0]["size"] and hashlib.sha256(copy).hexdigest() == bound,
               f"boot 1: the copy on the image ({len(copy)} bytes) is not the one recorded")
        for _ in range(2):  # a cut during kargs retries kargs, which reboots once
            boot, dump = ctx.boot("b.ign")
            expect(boot.has("restored the kept config"),
                   f"boot {boot.number}: check did not restore the kept config")
            expect(boot.has(f'reading system config file "{USER_IGN}"')
                   and not boot.has(f'no config at "{USER_IGN}"'),
                   f"boot {boot.number}: Ignition did not read the restored {USER_IGN}")
            if boot.ended != "reboot":
                break
        ctx.expect_provisioned(boot, dump, config="A-kargs")
        records = [r["event"] for r in dump["records"]]
        digests = {e["sha256"] for e in records if e["kind"] in ("config_fetched", "config_kept")}
        expect(digests == {bound}, f"a config other than A was fetched: {digests} (A is {bound})")
        restored = [e for e in records if e["kind"] == "config_restored"]
        expect(restored and all(e["sha256"] == bound for e in restored),
               f"the journal shows no restore of A: {kinds(dump)}")
        expect(kinds(dump)[-2:] == ["kept_config_removed", "completed"]
               and records[-2]["cause"] == "completed",
               f"the copy was not removed before completion: {kinds(dump)[-3:]}")
        expect(ctx.machine.read_file(KEPT_COPY) is None,
               f"{KEPT_COPY} is still on the boot partition after completion")
    scenario.__doc__ = scenario_cache.__doc__.replace(
        "cut during\n    kargs (or reboots for kargs)",
        "cut during kargs" if cut else "rebooted for kargs")
    return scenario


def cut_scenario(point):
    def scenario(ctx):
        boot, dump = ctx.boot(cut=point)
        expect(boot.ended == "cut", f"boot 1 never showed {dict(CUT_POINTS)[point]!r} ({boot.ended})")
        verdict = expected_verdict(dump)
        boot, dump = ctx.boot()
        if verdict is None or VERDICTS[verdict][1]:
            if dump["state"]["state"] == "complete" or verdict:
                ctx.expect_provisioned(boot, dump)
        else:
            ctx.expect_stopped(boot, dump, "poisoned" if verdict != "already_complete" else "complete")
    scenario.__doc__ = f"A power cut at {point}, then a boot judged by spec/STATES.md."
    return scenario


def profile_scenarios(profile, prefix):
    def clean(ctx):
        boot, dump = ctx.boot()
        ctx.expect_provisioned(boot, dump)
        conf = os.path.join(HERE, "../../dist/profiles", f"{profile.name}.conf")
        status = ctx.tool("--journal", ctx.machine.journal_path(), "status",
                          env={"PROVISION_JOURNAL_CONF": conf})
        expect(status.returncode == 0 and "flatcar.first_boot" in status.stdout,
               f"status with the {profile.name} profile does not name its first-boot argument:\n"
               f"{status.stdout}{status.stderr}")
    clean.__doc__ = f"A clean first boot on the {profile.name} profile ({profile.fs} boot partition)."
    return {f"{prefix}clean": (clean, profile),
            f"{prefix}cut-after-begin-disks": (cut_scenario("after-begin-disks"), profile),
            f"{prefix}cut-during-kargs": (cut_scenario("during-kargs"), profile)}


SCENARIOS = {
    "clean": (scenario_clean, FCOS),
    "invalid-config": (scenario_invalid_config, FCOS),
    "planned-reboot": (scenario_planned_reboot, FCOS),
    "reset": (scenario_reset, FCOS),
    "mount-fails": (scenario_stage_fails("mount-fails.ign", "mount"), FCOS),
    "files-fails": (scenario_stage_fails("files-fails.ign", "files"), FCOS),
    "rerun": (scenario_rerun, FCOS),
    "check-after-udev": (scenario_check_waits_for_udev, FCOS),
}
SCENARIOS.update(profile_scenarios(FLATCAR, "vfat-"))
SCENARIOS.update({
    "cache-planned-reboot": (scenario_cache(None), FCOS_CACHE),
    "cache-cut-during-kargs": (scenario_cache("during-kargs"), FCOS_CACHE),
})
SWEEP = {f"cut-{name}": (cut_scenario(name), FCOS) for name, _ in CUT_POINTS}


def run_one(assets, workroot, name, entry):
    func, profile = entry
    ctx = Context(assets, os.path.join(workroot, name), profile, name)
    started = time.monotonic()
    try:
        func(ctx)
        ok, error = True, None
    except Failure as e:
        ok, error = False, str(e)
    except Exception:  # a harness bug is a failure too, with its trace
        ok, error = False, traceback.format_exc()
    return name, ok, error, time.monotonic() - started, ctx.notes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--initrd", action="append", default=[], metavar="PROFILE=PATH",
                        help="the initramfs built with a profile (fcos, flatcar, fcos-cache)")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the scenarios and cut points")
    parser.add_argument("names", nargs="*",
                        help="scenarios to run (default: all); `sweep` is every cut point")
    args = parser.parse_args()

    everything = dict(SCENARIOS)
    everything.update(SWEEP)
    if args.list:
        for name, (func, profile) in everything.items():
            print(f"{name:28} [{profile.name}] {(func.__doc__ or '').splitlines()[0]}")
        return 0
    chosen = []
    for name in args.names or list(everything):
        if name == "sweep":
            chosen += list(SWEEP)
        elif name in everything:
            chosen.append(name)
        else:
            parser.error(f"unknown scenario {name!r} (--list shows them)")

    initrds = dict(item.split("=", 1) for item in args.initrd)
    assets = Assets(args.workdir, args.binary, initrds)
    started = time.monotonic()
    results = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_one, assets, args.workdir, n, everything[n]) for n in chosen]
        for future in futures:
            name, ok, error, wall, notes = future.result()
            results.append((name, ok))
            print(f"{'PASS' if ok else 'FAIL'} {name:28} {wall:6.0f}s  {'; '.join(notes)}", flush=True)
            if error:
                print("     " + error.replace("\n", "\n     "), flush=True)
                print(f"     consoles: {os.path.join(args.workdir, name)}/boot*.log", flush=True)
    passed = sum(ok for _, ok in results)
    print(f"real-boot matrix: {len(results)} scenarios in {time.monotonic() - started:.0f}s")
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
