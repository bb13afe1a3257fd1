"""What every real-boot scenario is made of: a machine (`Context`) booted
and checked against spec/STATES.md after every boot, the boots several
scenarios share (`Fixtures`), and the power-cut points. The scenarios are
in matrix.py (Debian's Ignition with stand-ins) and fcos.py (beside Fedora
CoreOS's own units); see tests/boot/README.md.
"""

import json
import os
import re
import subprocess
import threading

from figures import summary as hook_figures
from machine import FCOS, FLATCAR, ROOT_MARKER, Machine
from oracle import RED_LINE_STAGES, VERDICTS, expected_verdict

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "configs")
MUTATING = ("kargs",) + RED_LINE_STAGES

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


class Fixtures:
    """Boots that several scenarios start from, each booted once: the first
    scenario that needs one boots it, the others wait for it and start from
    copies of its disks."""

    def __init__(self, assets, workroot):
        self.assets = assets
        self.workroot = workroot
        self._lock = threading.Lock()
        self._locks = {}
        self._made = {}

    def get(self, name, make):
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._made:
                try:
                    self._made[name] = (True, make())
                except Exception as error:  # every scenario that needs it fails with it
                    self._made[name] = (False, error)
        ok, value = self._made[name]
        if not ok:
            raise Failure(f"the shared boot {name!r} failed: {value}")
        return value

    def first_boot(self, profile, config="a.ign", points=None, disks=2, check=None):
        """A new machine's first boot of `config` (A), which completes, with
        a snapshot at every cut point it passes (`points`, by default
        CUT_POINTS or the profile's own list), checked by `check(ctx, boot,
        dump)` too. Returns its Context and Boot."""
        def make():
            name = f"{profile.name}-{config.removesuffix('.ign')}"
            ctx = Context(self, os.path.join(self.workroot, f"_first-boot-{name}"),
                          profile, f"first boot ({name})", disks=disks)
            cut_points = points if points is not None else PROFILE_CUT_POINTS.get(profile.name, CUT_POINTS)
            boot, dump = ctx.boot(config, snapshots=cut_points)
            ctx.expect_provisioned(boot, dump)
            if check:
                check(ctx, boot, dump)
            return ctx, boot
        return self.get(f"first-boot-{profile.name}-{config}", make)


class Context:
    """One scenario's machine, its tool, and what it has checked."""

    def __init__(self, fixtures, workdir, profile, name, disks=2):
        self.fixtures = fixtures
        self.assets = fixtures.assets
        self.workdir = workdir
        self.profile = profile
        self.machine = Machine(self.assets, workdir, profile, name, disks=disks)
        self.name = name
        self.notes = []
        self.dumps = [None]  # the journal's dump --json before boot 1, after each boot

    def start_from(self, snapshot, lines=()):
        """Replaces the machine by one whose disks are `snapshot`'s, as a
        power cut at its line left them. `lines` is the console up to that
        line: every mutating stage it shows running must have its `begin`
        record in the snapshot's journal."""
        self.machine = Machine(self.assets, self.workdir, self.profile, self.name, start=snapshot)
        before, _ = self.dump()
        self.dumps = [before]
        self.check_intents(f"the boot cut at {snapshot.name}", lines)
        self.notes.append(f"starts from a cut at {snapshot.name}" if snapshot.line
                          else f"starts from the disks of the {snapshot.name}")

    def check_intents(self, which, lines):
        """Every mutating stage `lines` show running has its `begin` record
        in the journal the machine's disks hold now."""
        self._check_stage_intents(which, lines, new_records(None, self.dumps[-1]))

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

    def boot(self, config="a.ign", cut=None, firstboot=True, extra=(), rerun=None, snapshots=()):
        """Boots, then checks the boot against the oracle. Returns the boot
        and the journal's dump after it."""
        before = self.dumps[-1]
        expected = expected_verdict(before, rerun) if firstboot else None
        cut_at = None
        if cut is not None:
            cut_at = [dict(CUT_POINTS)[cut]]
        boot = self.machine.boot(os.path.join(CONFIGS, config), cut_at=cut_at,
                                 firstboot=firstboot, extra=extra, snapshots=snapshots)
        self.notes.append(f"boot {boot.number}: {boot.ended} after {boot.wall:.0f}s"
                          + (f" (cut {cut})" if cut else ""))
        expect(boot.ended != "timeout", f"boot {boot.number} timed out")
        if boot.ended == "unbootable":
            self.dumps.append(before)
            return boot, before
        after, _ = self.dump()
        self.dumps.append(after)
        new = new_records(before, after)
        if firstboot:
            self._check_verdict(boot, expected, new, cut)
        self._check_stage_intents(f"boot {boot.number}", boot.lines, new)
        self._check_console_truth(boot, expected)
        if boot.has(ROOT_MARKER) and firstboot:
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

    def _check_stage_intents(self, which, lines, new):
        """No mutating stage ran before its begin record was durable: every
        stage the console shows running has its record in the journal."""
        began = {r["event"]["stage"] for r in new if r["event"]["kind"] == "stage_began"}
        for line in lines:
            if "the attempt is now poisoned" in line:
                break  # Ignition's teardown (umount) runs in a stopped attempt too
            m = STAGE_LINE.search(line)
            if m and m.group(1) in MUTATING:
                expect(m.group(1) in began,
                       f"{which}: Ignition ran {m.group(1)} but the journal has no "
                       f"`begin {m.group(1)}` from that boot")

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



# The cut points each profile's shared first boot snapshots (every one for
# fcos, whose sweep uses them all).
PROFILE_CUT_POINTS = {
    FLATCAR.name: [(n, p) for n, p in CUT_POINTS if n in ("after-begin-disks", "during-kargs")],
}


def completed(ctx, profile=FCOS, **first_boot):
    """The shared first boot of `profile`, which completed, and its disks
    after it."""
    first, boot = ctx.fixtures.first_boot(profile, **first_boot)
    return first, boot, first.machine.snapshot_now("completed first boot")


# The label Debian's selinux-policy-default gives a file on /boot (the
# harness's real root carries its file contexts).
BOOT_LABEL = "system_u:object_r:boot_t:s0"


def expect_labelled(ctx, boot):
    """Our files on /boot carry the real root's label, which
    provision-journal-relabel.service set once the root's policy was known
    (made in the initramfs before, they had none)."""
    expect(boot.has("provision-journal: labelled"), f"boot {boot.number}: the relabel unit did not run")
    label = ctx.machine.label(ctx.machine.profile.journal)
    expect(label == BOOT_LABEL,
           f"boot {boot.number}: the journal's SELinux label is {label!r}, not {BOOT_LABEL!r}")


def unit_span(boot, unit):
    """The console lines (indices) where systemd started and finished
    `unit`, or None if it never started; the end is None if it did not
    finish (failed, or still running)."""
    start = next((i for i, line in enumerate(boot.lines)
                  if f"systemd[1]: Starting {unit}" in line), None)
    if start is None:
        return None
    end = next((i for i, line in enumerate(boot.lines[start:], start)
                if f"systemd[1]: Finished {unit}" in line or f"Failed to start {unit}" in line), None)
    return start, end


def where(boot, what):
    """A unit's span, or the span of the first console line containing
    `what`."""
    if what.endswith((".service", ".target")):
        return unit_span(boot, what)
    index = next((i for i, line in enumerate(boot.lines) if what in line), None)
    return None if index is None else (index, index)


def expect_before(boot, first, then):
    """`first` (a unit or a console text) ended before `then` began."""
    a, b = where(boot, first), where(boot, then)
    expect(a is not None and a[1] is not None, f"boot {boot.number}: {first} never ran to its end")
    expect(b is not None, f"boot {boot.number}: {then} never ran")
    expect(a[1] < b[0], f"boot {boot.number}: {then} began (console line {b[0]}) before {first} "
                        f"ended (line {a[1]})")


def expect_apart(boot, unit, other):
    """`unit` and `other` (units, both of which ran) did not run at the
    same time."""
    a, b = unit_span(boot, unit), unit_span(boot, other)
    expect(a is not None and b is not None, f"boot {boot.number}: {unit} or {other} never ran")
    a_end = a[1] if a[1] is not None else len(boot.lines)
    b_end = b[1] if b[1] is not None else len(boot.lines)
    expect(a_end < b[0] or b_end < a[0],
           f"boot {boot.number}: {unit} (console lines {a[0]}-{a_end}) and {other} "
           f"({b[0]}-{b_end}) ran at the same time")
