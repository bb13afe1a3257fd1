"""One virtual machine of the real-boot harness: its disks, its boots, its
power cuts, and the journal read back off its boot partition.

A machine is two raw disk images: `disk.img` (GPT: a `boot` partition,
ext4 or vfat, holding the firstboot stamp and, later, the journal; and a
`root` partition, the real root with a tiny init) and `data.img` (empty, for
Ignition's disks stage). Each boot is one QEMU process under TCG with the
serial console on a pipe; a power cut is SIGKILL of that process the moment
a console line matches, which loses the guest's page cache but keeps every
write QEMU already made to the images (a disk with a non-volatile cache).

A snapshot is the same cut without ending the boot: the process is stopped
(SIGSTOP) the moment its line matches, the image files are copied, and it
goes on (SIGCONT). The copies hold exactly what a SIGKILL at that moment
would have left, so one boot yields the disks of a power cut at every point
it passes, and a later machine boots from each (`Machine(..., start=...)`).
"""

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

SECTOR = 512
BOOT_START = 2048  # sectors: 1 MiB
BOOT_SECTORS = 32 * 2048  # 32 MiB
ROOT_START = BOOT_START + BOOT_SECTORS
ROOT_SECTORS = 64 * 2048  # 64 MiB
DISK_SECTORS = ROOT_START + ROOT_SECTORS + 2048

ROOT_MARKER = "PJ-HARNESS: real root reached"
# dracut-emergency with rd.shell=0: "Boot has failed. To debug this issue..."
EMERGENCY_PATTERNS = ("Boot has failed", "Reached target emergency.target", "Emergency Mode")


@dataclass
class BootProfile:
    """What the machine's boot partition is and how its distribution names
    things: ext4 `boot` (Fedora CoreOS) or vfat `EFI-SYSTEM` (Flatcar)."""

    name: str
    fs: str  # "ext4" or "vfat"
    label: str
    stamp: str  # path of the firstboot stamp on the boot partition
    firstboot_arg: str  # the kernel argument GRUB adds while the stamp exists
    journal: str = "provision-journal"


FCOS = BootProfile("fcos", "ext4", "boot", "ignition.firstboot", "ignition.firstboot")
# The same system with `[Cache] KeepConfig=yes` (tests/boot/cache.conf).
FCOS_CACHE = BootProfile("fcos-cache", "ext4", "boot", "ignition.firstboot", "ignition.firstboot")


@dataclass
class Snapshot:
    """The disks as a power cut at one console line would have left them."""

    name: str
    line: str
    disk: str
    data: str
    extra_kargs: list  # the kernel arguments applied before that line


@dataclass
class Boot:
    """What one boot showed: its console, how it ended, and when."""

    number: int
    cmdline: str
    config: str
    lines: list = field(default_factory=list)
    times: list = field(default_factory=list)  # seconds since QEMU start, per line
    cut_at: str | None = None  # the pattern whose line triggered the cut
    cut_line: str | None = None
    snapshots: dict = field(default_factory=dict)  # name -> Snapshot
    snapshot_lines: dict = field(default_factory=dict)  # name -> index into lines
    ended: str = "running"  # cut, poweroff, reboot, emergency, timeout, qemu-exit
    wall: float = 0.0

    def has(self, text):
        return any(text in line for line in self.lines)

    def first(self, text):
        """Seconds since QEMU start of the first line containing text."""
        for line, t in zip(self.lines, self.times):
            if text in line:
                return t
        return None

    def matching(self, regex):
        return [line for line in self.lines if re.search(regex, line)]


class Machine:
    """A fresh pair of disks in `workdir`, booted as often as a scenario asks."""

    def __init__(self, assets, workdir, profile=FCOS, name="machine", start=None):
        """A new machine, or with `start` (a Snapshot) one whose disks are
        a copy of that snapshot's."""
        self.assets = assets
        self.workdir = workdir
        self.profile = profile
        self.name = name
        self.boots = []
        self.extra_kargs = list(start.extra_kargs) if start else []
        os.makedirs(workdir, exist_ok=True)
        self.disk = os.path.join(workdir, "disk.img")
        self.data = os.path.join(workdir, "data.img")
        if start is not None:
            copy_image(start.disk, self.disk)
            copy_image(start.data, self.data)
        else:
            shutil.copyfile(assets.disk_template(profile), self.disk)
            with open(self.data, "wb") as f:
                f.truncate(64 * 1024 * 1024)

    # -- booting ---------------------------------------------------------

    def cmdline(self, firstboot=True, extra=()):
        args = [
            "console=ttyS0",
            "root=LABEL=root",
            "rw",
            "ignition.platform.id=qemu",
            "systemd.journald.forward_to_console=1",
            "systemd.show_status=1",
            "rd.shell=0",
            "rd.emergency=poweroff",
            "panic=1",
        ]
        if firstboot:
            args.append(self.profile.firstboot_arg)
        return " ".join(args + list(self.extra_kargs) + list(extra))

    def boot(self, config, cut_at=None, firstboot=True, extra=(), timeout=420, snapshots=()):
        """Boots once with `config` on fw_cfg. `cut_at` is a list of console
        substrings: the first line containing any of them cuts the power at
        once. `snapshots` is a list of (name, substring): the first line
        containing each takes a snapshot named so. Returns the Boot."""
        number = len(self.boots) + 1
        cmdline = self.cmdline(firstboot, extra)
        boot = Boot(number, cmdline, os.path.basename(config))
        log_path = os.path.join(self.workdir, f"boot{number}.log")
        argv = [
            "qemu-system-x86_64",
            "-accel", "tcg",
            "-m", "1024",
            "-smp", "1",
            "-nographic",
            "-no-reboot",
            "-nodefaults",
            "-serial", "stdio",
            "-monitor", "none",
            "-kernel", self.assets.kernel,
            "-initrd", self.assets.initrds[self.profile.name],
            "-append", cmdline,
            "-drive", f"file={self.disk},format=raw,if=virtio,cache=writeback",
            "-drive", f"file={self.data},format=raw,if=virtio,cache=writeback",
            "-fw_cfg", f"name=opt/com.coreos/config,file={config}",
        ]
        started = time.monotonic()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        killer = threading.Timer(timeout, self._timeout, args=(proc, boot))
        killer.start()
        with open(log_path, "w", errors="replace") as log:
            log.write(f"# cmdline: {cmdline}\n# config: {config}\n")
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                now = time.monotonic() - started
                boot.lines.append(line)
                boot.times.append(now)
                log.write(f"[{now:7.2f}] {line}\n")
                for snap_name, pattern in snapshots:
                    if snap_name not in boot.snapshots and pattern in line and boot.ended == "running":
                        boot.snapshots[snap_name] = self._snapshot(proc, boot, snap_name, line)
                        boot.snapshot_lines[snap_name] = len(boot.lines) - 1
                        log.write(f"# snapshot {snap_name!r} at {now:.2f}s\n")
                if cut_at and boot.ended == "running":
                    hit = next((p for p in cut_at if p in line), None)
                    if hit is not None:
                        os.kill(proc.pid, signal.SIGKILL)
                        boot.ended = "cut"
                        boot.cut_at = hit
                        boot.cut_line = line
                        log.write(f"# power cut (SIGKILL) at {now:.2f}s on {hit!r}\n")
        proc.wait()
        killer.cancel()
        boot.wall = time.monotonic() - started
        if boot.ended == "running":
            boot.ended = self._how_it_ended(boot, proc.returncode)
        self._apply_kargs(boot)
        self.boots.append(boot)
        return boot

    def _snapshot(self, proc, boot, name, line):
        """Stops the guest, copies its disks, lets it go on."""
        directory = os.path.join(self.workdir, "snapshots", name)
        os.makedirs(directory, exist_ok=True)
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            disk = os.path.join(directory, "disk.img")
            data = os.path.join(directory, "data.img")
            copy_image(self.disk, disk)
            copy_image(self.data, data)
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        return Snapshot(name, line, disk, data, kargs_after(self.extra_kargs, boot.lines))

    @staticmethod
    def _timeout(proc, boot):
        if proc.poll() is None:
            boot.ended = "timeout"
            proc.kill()

    @staticmethod
    def _how_it_ended(boot, returncode):
        if any(p in line for line in boot.lines for p in ("Boot has failed",)):
            return "emergency"
        if boot.has("reboot: Restarting system"):
            return "reboot"
        if boot.has("reboot: Power down") or boot.has("PJ-HARNESS: powering off"):
            return "poweroff"
        if boot.has("Kernel panic"):
            return "panic"
        return f"qemu-exit {returncode}"

    def _apply_kargs(self, boot):
        """The harness's boot loader: kernel arguments the kargs helper
        stand-in applied are on every later boot's command line."""
        self.extra_kargs = kargs_after(self.extra_kargs, boot.lines)

    # -- reading the boot partition on the host ---------------------------

    def boot_partition(self, disk=None):
        """A copy of the boot partition's bytes, cut out of disk.img (or
        `disk`), as the kernel would see it at the next mount: for ext4, its
        journal is replayed first (debugfs reads the home locations only, and
        after a cut a record that fdatasync made durable may still sit in the
        ext4 journal alone)."""
        path = os.path.join(self.workdir, "boot.part")
        with open(disk or self.disk, "rb") as src, open(path, "wb") as dst:
            src.seek(BOOT_START * SECTOR)
            dst.write(src.read(BOOT_SECTORS * SECTOR))
        if self.profile.fs == "ext4":
            fsck = subprocess.run(["e2fsck", "-f", "-y", path], capture_output=True, text=True)
            if fsck.returncode not in (0, 1):
                raise RuntimeError(f"e2fsck of the boot partition exited {fsck.returncode}:\n"
                                   f"{fsck.stdout}{fsck.stderr}")
        return path

    def read_file(self, name, disk=None):
        """The bytes of `name` on the boot partition (of disk.img, or of
        `disk`), or None if absent."""
        part = self.boot_partition(disk)
        out = os.path.join(self.workdir, "extracted")
        if os.path.exists(out):
            os.unlink(out)
        if self.profile.fs == "ext4":
            subprocess.run(
                ["debugfs", "-R", f"dump /{name} {out}", part],
                check=True, capture_output=True,
            )
        else:
            subprocess.run(
                ["mcopy", "-n", "-i", part, f"::{name}", out], capture_output=True
            )
        if not os.path.exists(out) or (
            self.profile.fs == "ext4" and not self.list_files_contains(part, name)
        ):
            return None
        with open(out, "rb") as f:
            return f.read()

    def list_files_contains(self, part, name):
        out = subprocess.run(
            ["debugfs", "-R", f"stat /{name}", part], capture_output=True, text=True
        )
        return "File not found" not in (out.stderr + out.stdout)


    def journal_path(self, disk=None, label=None):
        """The journal copied out of the image (or `disk`), or None if there
        is none."""
        data = self.read_file(self.profile.journal, disk)
        if data is None:
            return None
        label = label or f"after-boot{len(self.boots)}"
        path = os.path.join(self.workdir, f"journal.{label}")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def write_back(self, name, path):
        """Replaces `name` on the boot partition with `path`'s bytes (an
        operator who repaired the journal from another machine)."""
        part = self.boot_partition()
        if self.profile.fs == "ext4":
            subprocess.run(
                ["debugfs", "-w", "-R", f"rm /{name}", part], capture_output=True
            )
            subprocess.run(
                ["debugfs", "-w", "-R", f"write {path} /{name}", part],
                check=True, capture_output=True,
            )
        else:
            subprocess.run(
                ["mcopy", "-o", "-i", part, path, f"::{name}"], check=True, capture_output=True
            )
        with open(part, "rb") as src, open(self.disk, "r+b") as dst:
            dst.seek(BOOT_START * SECTOR)
            dst.write(src.read())


def kargs_after(kargs, lines):
    """The kernel arguments after the kargs helper stand-in's console
    `lines` added and removed some."""
    kargs = list(kargs)
    for line in lines:
        m = re.search(r"PJ-HARNESS: karg add (\S+)", line)
        if m and m.group(1) not in kargs:
            kargs.append(m.group(1))
        m = re.search(r"PJ-HARNESS: karg remove (\S+)", line)
        if m and m.group(1) in kargs:
            kargs.remove(m.group(1))
    return kargs


def copy_image(src, dst):
    """A copy of a raw disk image that keeps its holes."""
    subprocess.run(["cp", "--sparse=always", src, dst], check=True)
