"""What every machine of a run shares: the Debian kernel, the initramfs, the
binary, and one template disk per boot profile, built without loop devices
(`mkfs.ext4 -d`, `mkfs.vfat` and mtools write file-system images as plain
files, `sgdisk` and `dd` put them in a GPT disk)."""

import glob
import os
import re
import shutil
import subprocess
import threading

from machine import (
    BLS_OPTIONS,
    BOOT_SECTORS,
    BOOT_START,
    DISK_SECTORS,
    ROOT_SECTORS,
    ROOT_START,
    SECTOR,
)

HERE = os.path.dirname(os.path.abspath(__file__))
SELINUX_FILE_CONTEXTS = "/etc/selinux/default/contexts/files"


def run(*argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


class Assets:
    def __init__(self, workdir, binary, initrds, kernel=None):
        self.workdir = workdir
        self.binary = binary
        self.initrds = initrds  # profile name -> initramfs built with that profile
        self.kernel = kernel or newest_kernel()
        self._templates = {}
        self._lock = threading.Lock()

    def disk_template(self, profile):
        with self._lock:
            if profile.name not in self._templates:
                self._templates[profile.name] = self._build_disk(profile)
            return self._templates[profile.name]

    def _build_disk(self, profile):
        d = os.path.join(self.workdir, f"template-{profile.name}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        root = self._root_part(d)
        boot = self._boot_part(d, profile)
        disk = os.path.join(d, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(DISK_SECTORS * SECTOR)
        boot_type = "ef00" if profile.fs == "vfat" else "8300"
        run(
            "sgdisk", "-o",
            "-n", f"1:{BOOT_START}:{BOOT_START + BOOT_SECTORS - 1}", "-c", f"1:{profile.label}",
            "-t", f"1:{boot_type}",
            "-n", f"2:{ROOT_START}:{ROOT_START + ROOT_SECTORS - 1}", "-c", "2:root",
            disk,
        )
        # Sparse, and without the pieces it was made of: every scenario
        # starts from a copy of it, and CI disks can be small.
        for part, start in ((boot, BOOT_START), (root, ROOT_START)):
            run("dd", f"if={part}", f"of={disk}", "bs=64K", f"seek={start * SECTOR}",
                "oflag=seek_bytes", "conv=sparse,notrunc", "status=none")
            os.unlink(part)
        for tree in ("root", "boot"):
            shutil.rmtree(os.path.join(d, tree), ignore_errors=True)
        return disk

    def _root_part(self, d):
        tree = os.path.join(d, "root")
        for sub in ("bin", "sbin", "etc/selinux", "proc", "sys", "dev", "mnt", "var/data", "run", "tmp",
                    "boot"):
            os.makedirs(os.path.join(tree, sub), exist_ok=True)
        busybox = shutil.which("busybox")
        shutil.copy(busybox, os.path.join(tree, "bin/busybox"))
        for applet in ("sh", "mount", "umount", "cat", "mkdir", "poweroff", "sync", "ls", "sleep"):
            os.symlink("busybox", os.path.join(tree, "bin", applet))
        shutil.copy(os.path.join(HERE, "root/init"), os.path.join(tree, "sbin/init"))
        os.chmod(os.path.join(tree, "sbin/init"), 0o755)
        self._install_tool(tree)
        with open(os.path.join(tree, "etc/os-release"), "w") as f:
            f.write('NAME="provision-journal real-boot harness"\nID=pj-harness\n')
        # A real policy's file contexts (Debian's selinux-policy-default),
        # which Ignition's setfiles and our relabel unit label by; the
        # kernel runs without SELinux, as the harness's always does.
        with open(os.path.join(tree, "etc/selinux/config"), "w") as f:
            f.write("SELINUX=disabled\nSELINUXTYPE=default\n")
        shutil.copytree(SELINUX_FILE_CONTEXTS, os.path.join(tree, "etc/selinux/default/contexts/files"))
        part = os.path.join(d, "root.part")
        run("mkfs.ext4", "-q", "-F", "-L", "root", "-d", tree, part, f"{ROOT_SECTORS // 2}k")
        return part

    def _install_tool(self, tree):
        """Our binary in the real root, as a package installs it (with the
        shared libraries it links, and the fcos profile), for what an
        operator runs there (`reset` with /boot mounted read-only)."""
        target = os.path.join(tree, "usr/bin/provision-journal")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy(self.binary, target)
        linked = subprocess.run(["ldd", self.binary], check=True, capture_output=True, text=True).stdout
        for library in re.findall(r"(/\S+) \(0x", linked):
            copy = os.path.join(tree, library.lstrip("/"))
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            shutil.copy(os.path.realpath(library), copy)
        conf = os.path.join(tree, "usr/lib/provision-journal/provision-journal.conf")
        os.makedirs(os.path.dirname(conf), exist_ok=True)
        shutil.copy(os.path.join(HERE, "../../dist/profiles/fcos.conf"), conf)

    def _boot_part(self, d, profile):
        part = os.path.join(d, "boot.part")
        size_k = BOOT_SECTORS // 2
        if profile.fs == "ext4":
            tree = os.path.join(d, "boot")
            stamp = os.path.join(tree, profile.stamp)
            os.makedirs(os.path.dirname(stamp), exist_ok=True)
            open(stamp, "w").close()
            uuid = ["-U", profile.uuid] if profile.uuid else []
            if profile.bls:
                # What GRUB boots: one BLS entry, as an ostree deployment's.
                entries = os.path.join(tree, "loader/entries")
                os.makedirs(entries)
                with open(os.path.join(entries, "ostree-1-pj-harness.conf"), "w") as f:
                    f.write("title provision-journal harness (ostree:0)\nversion 1\n"
                            "linux /ostree/pj-harness/vmlinuz\ninitrd /ostree/pj-harness/initramfs.img\n"
                            f"options {BLS_OPTIONS}\n")
            run("mkfs.ext4", "-q", "-F", "-L", profile.label, *uuid, "-d", tree, part, f"{size_k}k")
        else:
            run("mkfs.vfat", "-n", profile.label, "-C", part, str(size_k))
            stamp_dir = os.path.dirname(profile.stamp)
            if stamp_dir:
                run("mmd", "-i", part, f"::{stamp_dir}")
            empty = os.path.join(d, "empty")
            open(empty, "w").close()
            run("mcopy", "-i", part, empty, f"::{profile.stamp}")
        return part


def newest_kernel():
    kernels = sorted(glob.glob("/boot/vmlinuz-*-amd64"))
    if not kernels:
        raise SystemExit("no Debian kernel in /boot (tests/boot/deps.sh installs linux-image-amd64)")
    return kernels[-1]
