"""Real boots beside Fedora CoreOS's own initramfs units, unmodified, from
the checkout of coreos/fedora-coreos-config that PJ_FCOS_CONFIG names
(tests/boot/dracut/98pj-fcos installs them; tests/boot/README.md says which
and what stands in for rdcore and chcon). Without PJ_FCOS_CONFIG these
scenarios are skipped, each with a message.

The machine boots as Fedora CoreOS's GRUB boots it (machine.py, `bls`):
from the boot partition's BLS entry, with the first-boot argument while
the stamp is there; a boot partition without an entry does not boot. That
is what a power cut while Fedora CoreOS recreates the boot file system
(boot reprovisioning, boot disk mirroring) leaves between its wipe and the
restore, and spec/STATES.md ("A recreated boot file system") says which
cut leaves which: a decision the spec calls safe, or a machine that cannot
boot at all, never a bootable boot file system without the journal that
shows the disks stage began.
"""

import hashlib
import os
import subprocess

from machine import FCOS_IMAGE_BOOT_UUID, FCOS_UNITS, FCOS_UNITS_CACHE, Machine
from oracle import expected_verdict
from scenario import (
    CONFIGS, completed, expect, expect_apart, expect_before, expect_labelled, kinds,
)

ENV = "PJ_FCOS_CONFIG"


def available():
    """Why the scenarios cannot run here, or None."""
    path = os.environ.get(ENV, "")
    if not path:
        return f"{ENV} is not set (a checkout of coreos/fedora-coreos-config; .ci/run sets it)"
    if not os.path.isdir(os.path.join(path, "overlay.d")):
        return f"{ENV}={path} is not a fedora-coreos-config checkout (no overlay.d/)"
    return None


def began_disks(dump):
    return dump is not None and any(
        r["event"]["kind"] == "stage_began" and r["event"].get("stage") == "disks"
        for r in dump["records"])


# -- a first boot beside FCOS's units ------------------------------------------

def check_first_boot_order(ctx, boot, dump):
    """What a first boot beside FCOS's units must show, whatever its config:
    our rw mounts never meet the boot file system's UUID restamp, check
    waits for the unique-label check, and the switch-root records come
    after coreos-boot-edit edited /boot."""
    expect(boot.has("Regenerated UUID for /dev/disk/by-label/boot"),
           "ignition-ostree-uuid-boot did not restamp the image's boot file system")
    for ours in ("provision-journal-check.service", "provision-journal-fetched.service"):
        expect_apart(boot, "ignition-ostree-uuid-boot.service", ours)
    expect_before(boot, "ignition-ostree-uuid-boot.service", "provision-journal-check.service")
    expect_before(boot, "coreos-unique-boot.service", "provision-journal-check.service")
    expect_before(boot, "coreos-boot-edit.service", "recorded `begin umount`")
    expect(ctx.machine.file_system_uuid() != FCOS_IMAGE_BOOT_UUID,
           "the boot file system still has the image's UUID")
    expect(ctx.machine.read_file(".root_uuid") is not None,
           "coreos-boot-edit's .root_uuid is not on the boot partition beside the journal")
    expect_labelled(ctx, boot)


def scenario_clean(ctx):
    """A clean first boot beside FCOS's units completes: the boot file
    system's UUID is restamped while no hook of ours has it mounted, check
    runs after the unique-label check, coreos-boot-edit's files and the
    completed journal share /boot; booted again, it is refused (exit 12)."""
    first, boot, final = completed(ctx, FCOS_UNITS, points=[], check=check_first_boot_order)
    ctx.notes += first.notes
    ctx.start_from(final)
    boot, dump = ctx.boot()
    ctx.expect_stopped(boot, dump, "complete")


# -- boot reprovisioning ------------------------------------------------------------

# Where a power cut can fall while FCOS recreates the boot file system, and
# what the next boot may be, as spec/STATES.md ("A recreated boot file
# system") says: `fatal` (the old or the new file system boots, and its
# journal shows the disks stage began) or `unbootable` (between the wipe
# and the restore of the boot entries: no kernel, no boot menu). Where a
# write may or may not have reached the disk at the cut (the wipe, the
# restore's moves), either is right.
REPROVISION_POINTS = [
    ("after-begin-disks", "recorded `begin disks`", {"fatal"}),
    ("during-save", "Moving bootfs to RAM", {"fatal"}),
    ("boot-wiped", '[finished] wiping filesystem signatures from "/run/ignition/dev_aliases/dev/disk/by-partlabel/boot"', {"unbootable", "fatal"}),
    ("boot-recreated", '[finished] creating "ext4" filesystem on "/run/ignition/dev_aliases/dev/disk/by-partlabel/boot"', {"unbootable"}),
    ("after-journal-put-back", "put the journal", {"unbootable"}),
    ("after-end-disks", "recorded `end disks`", {"unbootable"}),
    ("during-restore", "Restoring bootfs from RAM", {"unbootable", "fatal"}),
    ("after-restore", "Finished ignition-ostree-transposefs-restore", {"fatal"}),
]


def check_reprovisioned(ctx, boot, dump):
    """The first boot of a config that recreates /boot: FCOS saved the old
    file system after `begin disks`, the first hook after the stage put the
    journal back before FCOS's restore, and the new file system holds every
    record of the attempt."""
    check_first_boot_order(ctx, boot, dump)
    expect(boot.has("Moving bootfs to RAM"), "ignition-ostree-transposefs did not save /boot")
    expect_before(boot, "provision-journal-disks.service", "ignition-ostree-transposefs-save.service")
    for ours in ("provision-journal-fetched.service", "ignition-kargs.service"):
        expect_apart(boot, "ignition-ostree-transposefs-save.service", ours)
    expect_before(boot, "put the journal", "Restoring bootfs from RAM")
    records = kinds(dump)
    expect(records[0] == "attempt_started" and records[-1] == "completed" and "stage_began disks" in records,
           f"the new boot file system's journal does not hold the whole attempt: {records}")
    expect(ctx.machine.bls_options() is not None, "FCOS's restore did not put the boot entry back")


def reprovision_first_boot(ctx, config="reprovision.ign", **kwargs):
    return ctx.fixtures.first_boot(FCOS_UNITS, config=config,
                                   points=[(n, p) for n, p, _ in REPROVISION_POINTS],
                                   check=check_reprovisioned, **kwargs)


def scenario_reprovision(ctx):
    """A first boot whose config recreates the boot file system (boot
    reprovisioning: `wipeFilesystem` on the partition labelled boot)
    completes beside FCOS's transposefs, and the new /boot holds every
    record of the attempt; booted again, it is refused (exit 12)."""
    first, boot = reprovision_first_boot(ctx)
    ctx.notes += first.notes
    ctx.start_from(first.machine.snapshot_now("reprovisioned first boot"))
    boot, dump = ctx.boot("reprovision.ign")
    ctx.expect_stopped(boot, dump, "complete")


def reprovision_cut(point):
    pattern, outcomes = next((p, o) for n, p, o in REPROVISION_POINTS if n == point)

    def scenario(ctx):
        _, first = reprovision_first_boot(ctx)
        snapshot = first.snapshots.get(point)
        expect(snapshot is not None, f"the first boot never showed {pattern!r}")
        ctx.start_from(snapshot)
        before = ctx.dumps[-1]
        bootable = ctx.machine.cmdline() is not None
        if bootable:
            ctx.check_intents(f"the boot cut at {point}", first.lines[: first.snapshot_lines[point] + 1])
            expect(began_disks(before),
                   f"a cut at {point} leaves a bootable /boot without the journal's `begin disks`: "
                   f"{kinds(before) if before else 'no journal'}")
        boot, dump = ctx.boot("reprovision.ign")
        outcome = "unbootable" if boot.ended == "unbootable" else (
            "fatal" if expected_verdict(before) == "fatal_interruption" else expected_verdict(before))
        expect(outcome in outcomes,
               f"a cut at {point}: the next boot is {outcome}; spec/STATES.md allows {sorted(outcomes)}")
        if boot.ended != "unbootable":
            ctx.expect_stopped(boot, dump, "poisoned")
    scenario.__doc__ = (f"Boot reprovisioning cut at {point}: the next boot is "
                        f"{' or '.join(sorted(outcomes))}, as spec/STATES.md says, never a "
                        "bootable /boot without the record that disks began.")
    return scenario


# -- boot disk mirroring ------------------------------------------------------------

def check_mirrored(ctx, boot, dump):
    """The first boot of a mirrored /boot: the RAID1 (metadata 1.0) was
    made, FCOS saved and restored /boot around it, and the journal was put
    back on the mirror."""
    check_first_boot_order(ctx, boot, dump)
    expect(boot.has("put the journal"), "no hook put the journal back on the mirror")
    part = ctx.machine.boot_partition()
    kind = subprocess.run(["blkid", "-p", "-o", "value", "-s", "TYPE", part],
                          capture_output=True, text=True).stdout.strip()
    expect(kind == "linux_raid_member", f"the boot partition is {kind!r}, not a RAID member")


def scenario_mirror(ctx):
    """A first boot that mirrors /boot (RAID1 over two disks, metadata 1.0,
    as Butane's boot_device.mirror does for /boot) completes, the mirror
    holds every record; booted again (the mirror assembled in the
    initramfs), it is refused (exit 12)."""
    first, boot, final = completed(ctx, FCOS_UNITS, config="mirror.ign", points=[], disks=3,
                                   check=check_mirrored)
    ctx.notes += first.notes
    ctx.start_from(final)
    # dracut assembles md arrays only when the command line names them
    # (rd.md.uuid, which rdcore rootmap adds for a root on RAID) or allows
    # all (rd.auto); here /boot is the only array.
    boot, dump = ctx.boot("mirror.ign", extra=["rd.auto=1"])
    ctx.expect_stopped(boot, dump, "complete")


# -- two boot file systems ------------------------------------------------------------

def scenario_duplicate_boot_label(ctx):
    """A machine with an old disk beside the new one, both with a file
    system labelled boot, the old one with the journal of a completed
    provisioning: FCOS's coreos-unique-boot stops the boot, and check never
    reads either journal (nothing is written to either)."""
    _, _, final = completed(ctx, FCOS_UNITS, points=[], check=check_first_boot_order)
    old_disk = final.images[0]
    ctx.machine = Machine(ctx.assets, ctx.workdir, FCOS_UNITS, ctx.name, disks=3)
    subprocess.run(["cp", "--sparse=always", old_disk, ctx.machine.images[2]], check=True)
    old_journal = ctx.machine.read_file("provision-journal", disk=ctx.machine.images[2])
    expect(old_journal is not None, "the old disk holds no journal")
    boot = ctx.machine.boot(os.path.join(CONFIGS, "a.ign"))
    ctx.notes.append(f"boot 1: {boot.ended} after {boot.wall:.0f}s")
    expect(boot.ended == "emergency", f"the boot ended {boot.ended}, not in emergency mode")
    expect(boot.has("file systems labelled \"boot\""), "coreos-unique-boot did not find the two labels")
    spoke = boot.matching(r"provision-journal\[\d+\]: ")
    expect(not spoke, f"check ran beside two boot file systems: {spoke}")
    expect(ctx.machine.read_file("provision-journal") is None, "a journal was written on the new disk")
    expect(ctx.machine.read_file("provision-journal", disk=ctx.machine.images[2]) == old_journal,
           "the old disk's journal changed")


# -- the kept config and the user config on /boot ------------------------------------

def scenario_cache_setup_user(ctx):
    """With the kept config on, the config embedded in /boot
    (ignition/config.ign, which FCOS's coreos-ignition-setup-user copies to
    /usr/lib/ignition/user.ign) is A, which changes kargs; the machine
    reboots for them. Before the next boot the embedded config becomes B:
    setup-user copies B, then check (ordered after it) restores A over it,
    and the attempt completes with A."""
    with open(os.path.join(CONFIGS, "a-kargs.ign"), "rb") as f:
        config_a = f.read()
    with open(os.path.join(CONFIGS, "b.ign"), "rb") as f:
        config_b = f.read()
    ctx.machine.write_file("ignition/config.ign", config_a)
    boot, dump = ctx.boot("b.ign")
    expect(boot.ended == "reboot", f"boot 1 ended {boot.ended}, expected a reboot for kargs")
    # What is kept is Ignition's rendered config (/run/ignition.json), so the
    # digest is the record's, not the embedded file's.
    kept = [r["event"] for r in dump["records"] if r["event"]["kind"] == "config_kept"]
    expect(kept, f"A was not kept: {kinds(dump)}")
    bound = kept[0]["sha256"]
    copy = ctx.machine.read_file("provision-journal.config")
    expect(copy is not None and hashlib.sha256(copy).hexdigest() == bound,
           "the kept copy on the image is not the one the journal binds")
    ctx.machine.write_file("ignition/config.ign", config_b)
    boot, dump = ctx.boot("b.ign")
    expect_before(boot, "coreos-ignition-setup-user.service", "provision-journal-check.service")
    expect(boot.has("restored the kept config"), "check did not restore the kept config")
    ctx.expect_provisioned(boot, dump, config="A-kargs")
    digests = {r["event"]["sha256"] for r in dump["records"]
               if r["event"]["kind"] in ("config_fetched", "config_kept")}
    expect(digests == {bound}, f"a config other than A was applied: {digests}")


SCENARIOS = {
    "fcos-clean": (scenario_clean, FCOS_UNITS),
    "fcos-reprovision": (scenario_reprovision, FCOS_UNITS),
    "fcos-mirror": (scenario_mirror, FCOS_UNITS),
    "fcos-cache-setup-user": (scenario_cache_setup_user, FCOS_UNITS_CACHE),
    "fcos-duplicate-boot-label": (scenario_duplicate_boot_label, FCOS_UNITS),
}
SCENARIOS.update({f"fcos-reprovision-cut-{name}": (reprovision_cut(name), FCOS_UNITS)
                  for name, _, _ in REPROVISION_POINTS})
