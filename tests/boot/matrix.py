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
import os
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from assets import Assets  # noqa: E402
from machine import FCOS, FCOS_CACHE, FLATCAR, remove_images  # noqa: E402
from oracle import VERDICTS, expected_verdict  # noqa: E402
from scenario import (  # noqa: E402
    CUT_POINTS, HERE, STAGE_LINE, Context, Fixtures, Failure, completed, expect, expect_entry,
    expect_labelled, journald_entries, kinds,
)
import fcos  # noqa: E402

# -- the scenarios -------------------------------------------------------------

def scenario_clean(ctx):
    """A clean first boot completes, with `check` ordered after udev (it
    starts only once udev has the boot device, so none of its own device
    budget is spent polling) and the journal labelled for SELinux by the
    real root's policy; the completed disk booted again as a first boot is
    refused (exit 12) without running a stage."""
    first, boot, final = completed(ctx)
    ctx.notes += first.notes
    dump = first.dumps[-1]
    expect(not dump["anomalies"], f"anomalies in a clean boot: {dump['anomalies']}")
    started = boot.first("Starting provision-journal-check.service")
    udev = boot.first("Started systemd-udevd.service")
    expect(started is not None and udev is not None and udev < started,
           f"check started at {started}s, before udevd ({udev}s)")
    expect_labelled(first, boot)
    ctx.start_from(final)
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


def then_reset(ctx):
    """After a fatal boot: an operator runs `reset` in the real root, where
    /boot is mounted read-only, as on Fedora CoreOS (a boot without the
    first-boot argument, so Ignition does not run); the boot after that
    provisions a new attempt and completes."""
    boot, _ = ctx.boot(firstboot=False, extra=["pj_harness.reset"])
    expect(boot.has("PJ-HARNESS: /boot mounted ro before reset"),
           f"boot {boot.number}: /boot was not mounted read-only in the real root ({boot.ended})")
    expect(boot.has("PJ-HARNESS: reset exited 0"),
           f"boot {boot.number}: reset in the real root failed: "
           f"{[line for line in boot.lines if 'provision-journal' in line or 'reset exited' in line]}")
    expect(boot.has("PJ-HARNESS: /boot mounted ro after reset"),
           f"boot {boot.number}: /boot is no longer read-only after reset")
    records = kinds(ctx.dumps[-1])
    expect(records[-1] == "reset", f"boot {boot.number}: the journal does not end in the reset: {records}")
    boot, dump = ctx.boot()
    ctx.expect_provisioned(boot, dump)
    expect(dump["state"]["epoch"] == 2, f"the new attempt is not attempt 2: {dump['state']}")


def scenario_rerun(ctx):
    """A completed disk booted with provision_journal.rerun=TOKEN runs a
    recorded forced rerun; the same token a second time is refused."""
    ctx.start_from(completed(ctx)[2])
    token = "harness-1"
    boot, dump = ctx.boot("b.ign", extra=[f"provision_journal.rerun={token}"], rerun=token)
    ctx.expect_provisioned(boot, dump, config="B")
    boot, dump = ctx.boot("b.ign", extra=[f"provision_journal.rerun={token}"], rerun=token)
    ctx.expect_stopped(boot, dump, "complete")


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


def cut_scenario(point, profile=FCOS, then=None):
    """Starts from the disks a power cut at `point` of the profile's shared
    first boot left, and boots them: the verdict is the one spec/STATES.md
    gives that journal. `then(ctx)` goes on from there."""
    def scenario(ctx):
        _, first = ctx.fixtures.first_boot(profile)
        snapshot = first.snapshots.get(point)
        pattern = dict(CUT_POINTS)[point]
        expect(snapshot is not None, f"the first boot never showed {pattern!r} ({first.ended})")
        ctx.start_from(snapshot, first.lines[: first.snapshot_lines[point] + 1])
        verdict = expected_verdict(ctx.dumps[-1])
        boot, dump = ctx.boot()
        if verdict is None or VERDICTS[verdict][1]:
            if dump["state"]["state"] == "complete" or verdict:
                ctx.expect_provisioned(boot, dump)
        else:
            ctx.expect_stopped(boot, dump, "poisoned" if verdict != "already_complete" else "complete")
        if then:
            then(ctx)
    scenario.__doc__ = f"A power cut at {point}, then a boot judged by spec/STATES.md."
    if then:
        scenario.__doc__ += " " + " ".join(then.__doc__.split())
    return scenario


def profile_scenarios(profile, prefix):
    def clean(ctx):
        first, boot, _ = completed(ctx, profile)
        ctx.notes += first.notes
        conf = os.path.join(HERE, "../../dist/profiles", f"{profile.name}.conf")
        status = ctx.tool("--journal", first.machine.journal_path(label="status"), "status",
                          env={"PROVISION_JOURNAL_CONF": conf})
        expect(status.returncode == 0 and "flatcar.first_boot" in status.stdout,
               f"status with the {profile.name} profile does not name its first-boot argument:\n"
               f"{status.stdout}{status.stderr}")
    clean.__doc__ = f"A clean first boot on the {profile.name} profile ({profile.fs} boot partition)."
    return {f"{prefix}clean": (clean, profile),
            f"{prefix}cut-after-begin-disks": (cut_scenario("after-begin-disks", profile), profile),
            f"{prefix}cut-during-kargs": (cut_scenario("during-kargs", profile), profile)}


# In the order they are started: those that boot a shared first boot come
# first, so that the scenarios starting from its disks find it booted.
SCENARIOS = {
    "clean": (scenario_clean, FCOS),
    "vfat-clean": None,
    "invalid-config": (scenario_invalid_config, FCOS),
    "planned-reboot": (scenario_planned_reboot, FCOS),
    "mount-fails": (scenario_stage_fails("mount-fails.ign", "mount"), FCOS),
    "files-fails": (scenario_stage_fails("files-fails.ign", "files"), FCOS),
    "cache-planned-reboot": (scenario_cache(None), FCOS_CACHE),
    "cache-cut-during-kargs": (scenario_cache("during-kargs"), FCOS_CACHE),
    "rerun": (scenario_rerun, FCOS),
}
SCENARIOS.update(profile_scenarios(FLATCAR, "vfat-"))
SWEEP = {f"cut-{name}": (cut_scenario(name, then=then_reset if name == "after-begin-disks" else None), FCOS)
         for name, _ in CUT_POINTS}


class DiskUse(threading.Thread):
    """The most bytes the files under `workdir` took at once, sampled."""

    def __init__(self, workdir, every=2.0):
        super().__init__(daemon=True)
        self.workdir, self.every, self.peak = workdir, every, 0
        self._done = threading.Event()
        self.start()

    def run(self):
        while not self._done.wait(self.every):
            self.peak = max(self.peak, bytes_under(self.workdir))

    def stop(self):
        self._done.set()
        self.join()
        self.peak = max(self.peak, bytes_under(self.workdir))


def bytes_under(workdir):
    total = 0
    for directory, _, files in os.walk(workdir):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def run_one(fixtures, workroot, name, entry, keep_images):
    func, profile = entry
    workdir = os.path.join(workroot, name)
    started = time.monotonic()
    notes = []
    try:
        ctx = Context(fixtures, workdir, profile, name)
        notes = ctx.notes
        func(ctx)
        ok, error = True, None
    except Failure as e:
        ok, error = False, str(e)
    except Exception:  # a harness bug is a failure too, with its trace
        ok, error = False, traceback.format_exc()
    # A passing scenario's disks are of no further use, and 44 of them
    # would fill a small CI disk; a failing one keeps them for a post-mortem.
    if ok and not keep_images:
        remove_images(workdir)
    return name, ok, error, time.monotonic() - started, notes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--initrd", action="append", default=[], metavar="PROFILE=PATH",
                        help="the initramfs built for a profile (fcos, flatcar, fcos-cache, fcos-units, "
                             "fcos-units-cache)")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the scenarios and cut points")
    parser.add_argument("--keep-images", action="store_true",
                        help="keep the disk images of passing scenarios too (by default only a "
                             "failing scenario's stay, beside every scenario's consoles)")
    parser.add_argument("names", nargs="*",
                        help="scenarios to run (default: all); `sweep` is every cut point, `fcos` "
                             "every scenario beside Fedora CoreOS's units")
    args = parser.parse_args()

    # Fedora CoreOS's scenarios go after the first boots the others share
    # and before the sweep, which starts from them.
    everything = dict(SCENARIOS)
    everything.update(fcos.SCENARIOS)
    everything.update(SWEEP)
    if args.list:
        for name, (func, profile) in everything.items():
            print(f"{name:28} [{profile.name}] {(func.__doc__ or '').splitlines()[0]}")
        return 0
    chosen = []
    for name in args.names or list(everything):
        if name == "sweep":
            chosen += list(SWEEP)
        elif name == "fcos":
            chosen += list(fcos.SCENARIOS)
        elif name in everything:
            chosen.append(name)
        else:
            parser.error(f"unknown scenario {name!r} (--list shows them)")

    unavailable = fcos.available()
    if unavailable:
        for name in [n for n in chosen if n in fcos.SCENARIOS]:
            print(f"SKIP {name:28} beside Fedora CoreOS's units: {unavailable}", flush=True)
            chosen.remove(name)

    initrds = dict(item.split("=", 1) for item in args.initrd)
    assets = Assets(args.workdir, args.binary, initrds)
    fixtures = Fixtures(assets, args.workdir)
    started = time.monotonic()
    disk_use = DiskUse(args.workdir)
    results = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_one, fixtures, args.workdir, n, everything[n], args.keep_images) for n in chosen]
        for future in futures:
            name, ok, error, wall, notes = future.result()
            results.append((name, ok))
            print(f"{'PASS' if ok else 'FAIL'} {name:28} {wall:6.0f}s  {'; '.join(notes)}", flush=True)
            if error:
                print("     " + error.replace("\n", "\n     "), flush=True)
                print(f"     consoles: {os.path.join(args.workdir, name)}/boot*.log", flush=True)
    disk_use.stop()
    passed = sum(ok for _, ok in results)
    print(f"real-boot matrix: {len(results)} scenarios in {time.monotonic() - started:.0f}s; "
          f"{disk_use.peak / 2**20:.0f} MiB on disk in {args.workdir} at most")
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
