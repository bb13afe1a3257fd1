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
    things: ext4 `boot` (Fedora CoreOS) or vfat `EFI-SYSTEM` (Flatcar).

    With `bls`, the machine boots as Fedora CoreOS's GRUB does: the kernel
    arguments are the `options` of the boot partition's BLS entry
    (`loader/entries/*.conf`, which rdcore edits), the first-boot argument
    is added while the stamp exists, and a boot partition without an entry
    does not boot at all (no kernel, no boot menu)."""

    name: str
    fs: str  # "ext4" or "vfat"
    label: str
    stamp: str  # path of the firstboot stamp on the boot partition
    firstboot_arg: str  # the kernel argument GRUB adds while the stamp exists
    journal: str = "provision-journal"
    bls: bool = False
    uuid: str | None = None  # the boot file system's UUID as the image ships it


FCOS = BootProfile("fcos", "ext4", "boot", "ignition.firstboot", "ignition.firstboot")
# The same system with `[Cache] KeepConfig=yes` (tests/boot/cache.conf).
FCOS_CACHE = BootProfile("fcos-cache", "ext4", "boot", "ignition.firstboot", "ignition.firstboot")
# Debian's ignition-generator starts Ignition only with ignition.firstboot;
# Flatcar's own generator keys on flatcar.first_boot, which is what the
# flatcar profile makes our tool look for.
FLATCAR = BootProfile(
    "flatcar", "vfat", "EFI-SYSTEM", "flatcar/first_boot",
    "ignition.firstboot flatcar.first_boot=detected",
)
# Fedora CoreOS's own units around Ignition (tests/boot/dracut/98pj-fcos),
# booted from a BLS entry, with the boot file system's UUID that
# coreos-assembler's images ship (ignition-ostree-uuid-boot replaces it on
# first boot).
FCOS_IMAGE_BOOT_UUID = "96d15588-3596-4b3c-adca-a2ff7279ea63"
FCOS_UNITS = BootProfile("fcos-units", "ext4", "boot", "ignition.firstboot", "ignition.firstboot",
                         bls=True, uuid=FCOS_IMAGE_BOOT_UUID)
FCOS_UNITS_CACHE = BootProfile("fcos-units-cache", "ext4", "boot", "ignition.firstboot",
                               "ignition.firstboot", bls=True, uuid=FCOS_IMAGE_BOOT_UUID)
# The kernel arguments of the harness's BLS entry: what FCOS's entry has
# that the harness needs (`ostree` makes ignition-ostree's units run). No
# `root=` on first boot, as on FCOS: coreos-diskful-generator mounts the
# root by label, and coreos-boot-edit adds `root=` (rdcore rootmap).
BLS_OPTIONS = "rw ostree=/ostree/boot.1/pj-harness/0 ignition.platform.id=qemu"


@dataclass
class Snapshot:
    """The disks as a power cut at one console line would have left them."""

    name: str
    line: str
    images: list  # the disk images, in the machine's order
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

    def __init__(self, assets, workdir, profile=FCOS, name="machine", start=None, disks=2):
        """A new machine with `disks` disks (the boot disk, Ignition's data
        disk, and empty ones after them), or with `start` (a Snapshot) one
        whose disks are a copy of that snapshot's."""
        self.assets = assets
        self.workdir = workdir
        self.profile = profile
        self.name = name
        self.boots = []
        self.extra_kargs = list(start.extra_kargs) if start else []
        os.makedirs(workdir, exist_ok=True)
        count = len(start.images) if start is not None else disks
        self.images = [os.path.join(workdir, name) for name in
                       ["disk.img", "data.img"] + [f"extra{n}.img" for n in range(1, count - 1)]]
        self.disk, self.data = self.images[0], self.images[1]
        if start is not None:
            for source, image in zip(start.images, self.images):
                copy_image(source, image)
        else:
            copy_image(assets.disk_template(profile), self.disk)
            for image in self.images[1:]:
                with open(image, "wb") as f:
                    f.truncate(64 * 1024 * 1024)

    # -- booting ---------------------------------------------------------

    def cmdline(self, firstboot=True, extra=()):
        """The kernel command line of the next boot, or None when the boot
        loader finds nothing to boot (a BLS profile's boot partition
        without an entry)."""
        args = [
            "console=ttyS0",
            "systemd.journald.forward_to_console=1",
            "systemd.show_status=1",
            "rd.shell=0",
            "rd.emergency=poweroff",
            "panic=1",
        ]
        if self.profile.bls:
            options = self.bls_options()
            if options is None:
                return None
            args.append(options)
            firstboot = firstboot and self.read_file(self.profile.stamp) is not None
        else:
            args += ["root=LABEL=root", "rw", "ignition.platform.id=qemu"]
        if firstboot:
            args.append(self.profile.firstboot_arg)
        return " ".join(args + list(self.extra_kargs) + list(extra))

    def bls_options(self):
        """The `options` of the boot partition's BLS entry, as GRUB reads
        them, or None when it has no entry."""
        entries = self.list_dir("loader/entries")
        for name in sorted(entries or []):
            if name.endswith(".conf"):
                text = (self.read_file(f"loader/entries/{name}") or b"").decode()
                for line in text.splitlines():
                    if line.startswith("options "):
                        return line[len("options "):].strip()
        return None

    def boot(self, config, cut_at=None, firstboot=True, extra=(), timeout=420, snapshots=()):
        """Boots once with `config` on fw_cfg. `cut_at` is a list of console
        substrings: the first line containing any of them cuts the power at
        once. `snapshots` is a list of (name, substring): the first line
        containing each takes a snapshot named so. Returns the Boot."""
        number = len(self.boots) + 1
        cmdline = self.cmdline(firstboot, extra)
        boot = Boot(number, cmdline or "", os.path.basename(config))
        log_path = os.path.join(self.workdir, f"boot{number}.log")
        if cmdline is None:
            with open(log_path, "w") as log:
                log.write("# the boot partition holds no boot entry: the machine does not boot\n")
            boot.ended = "unbootable"
            self.boots.append(boot)
            return boot
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
            "-fw_cfg", f"name=opt/com.coreos/config,file={config}",
        ]
        for image in self.images:
            argv += ["-drive", f"file={image},format=raw,if=virtio,cache=writeback"]
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
            images = [os.path.join(directory, os.path.basename(image)) for image in self.images]
            for source, copy in zip(self.images, images):
                copy_image(source, copy)
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        return Snapshot(name, line, images, kargs_after(self.extra_kargs, boot.lines))

    def snapshot_now(self, name):
        """The machine's disks as they are, as a Snapshot others start from."""
        return Snapshot(name, None, list(self.images), list(self.extra_kargs))

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
            if self.profile.bls:
                # What GRUB and the kernel read: the primary superblock. A
                # wiped signature leaves backups e2fsck would recover from;
                # a boot loader does not.
                with open(path, "rb") as f:
                    f.seek(1080)
                    if f.read(2) != b"\x53\xef":
                        return None  # wiped, or cut while a stage was making it
            fsck = subprocess.run(["e2fsck", "-f", "-y", path], capture_output=True, text=True)
            if fsck.returncode not in (0, 1):
                raise RuntimeError(f"e2fsck of the boot partition exited {fsck.returncode}:\n"
                                   f"{fsck.stdout}{fsck.stderr}")
        return path

    def list_dir(self, name, disk=None):
        """The names in directory `name` of the boot partition (ext4), or
        None if it has no such directory or no file system."""
        part = self.boot_partition(disk)
        if part is None:
            return None
        out = subprocess.run(["debugfs", "-R", f"ls -p /{name}", part],
                             capture_output=True, text=True)
        if "File not found" in out.stderr + out.stdout:
            return None
        # /inode/mode/uid/gid/name/size/
        names = [line.split("/")[5] for line in out.stdout.splitlines() if line.count("/") >= 6]
        return [n for n in names if n not in (".", "..")]

    def file_system_uuid(self, disk=None):
        """The boot file system's UUID (ext4), or None without one."""
        part = self.boot_partition(disk)
        if part is None:
            return None
        out = subprocess.run(["dumpe2fs", "-h", part], capture_output=True, text=True)
        m = re.search(r"Filesystem UUID:\s+(\S+)", out.stdout)
        return m.group(1) if m else None

    def label(self, name, disk=None):
        """The SELinux label (`security.selinux`) of `name` on the boot
        partition (ext4), or None without one."""
        part = self.boot_partition(disk)
        if part is None:
            return None
        out = subprocess.run(["debugfs", "-R", f"ea_get -V /{name} security.selinux", part],
                             capture_output=True, text=True)
        value = out.stdout.strip().rstrip("\x00").strip()
        return value if out.returncode == 0 and value and "not found" not in out.stderr else None

    def write_file(self, name, data):
        """Writes `data` as `name` (a path under the boot partition's root,
        whose directories are made) into disk.img's boot partition, as an
        operator on another machine would."""
        source = os.path.join(self.workdir, "to-write")
        with open(source, "wb") as f:
            f.write(data)
        parts = name.split("/")
        for depth in range(1, len(parts)):
            self._debugfs_write(f"mkdir /{'/'.join(parts[:depth])}")
        self._debugfs_write(f"rm /{name}")
        self._debugfs_write(f"write {source} /{name}", check=True)

    def _debugfs_write(self, request, check=False):
        part = self.boot_partition()
        subprocess.run(["debugfs", "-w", "-R", request, part], capture_output=True, check=check)
        with open(part, "rb") as src, open(self.disk, "r+b") as dst:
            dst.seek(BOOT_START * SECTOR)
            dst.write(src.read())

    def read_file(self, name, disk=None):
        """The bytes of `name` on the boot partition (of disk.img, or of
        `disk`), or None if absent."""
        part = self.boot_partition(disk)
        if part is None:
            return None
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


IMAGE_SUFFIXES = (".img", ".part")


def remove_images(workdir):
    """Removes the disk images under a scenario's `workdir` (its disks, the
    boot partitions cut out of them, its snapshots), keeping its consoles
    and the journals copied out. Returns the bytes freed."""
    freed = 0
    for directory, _, files in os.walk(workdir):
        for name in files:
            if name.endswith(IMAGE_SUFFIXES) or name in ("extracted", "to-write"):
                path = os.path.join(directory, name)
                freed += os.stat(path).st_blocks * 512
                os.unlink(path)
    return freed
