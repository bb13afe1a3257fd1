#!/bin/bash
# dracut module of the real-boot harness only (never shipped): Fedora
# CoreOS's own initramfs units and scripts around Ignition, installed
# unmodified from a checkout of coreos/fedora-coreos-config
# ($PJ_FCOS_CONFIG), the way its modules install them (each unit required by
# ignition-complete.target or ignition-diskful.target), plus stand-ins for
# the two binaries Debian cannot supply (rdcore, chcon). See
# tests/boot/README.md, "Fedora CoreOS's own units".

check() {
    return 255
}

depends() {
    echo ignition provision-journal-harness
}

installkernel() {
    # ignition-ostree-transposefs keeps the saved file systems on an XFS
    # file system in zram; boot disk mirroring is md RAID1.
    instmods zram xfs raid1 md_mod
}

install() {
    local modules="${PJ_FCOS_CONFIG:?the Fedora CoreOS config checkout}/overlay.d/05core/usr/lib/dracut/modules.d"
    local ostree="$modules/40ignition-ostree" coreos="$modules/35coreos-ignition"
    local live="$modules/35coreos-live"

    # FCOS's install_ignition_unit, for the units the harness boots.
    install_unit() {
        local dir=$1 unit=$2 target=${3:-complete}
        inst_simple "$dir/$unit" "$systemdsystemunitdir/$unit"
        systemctl -q --root="$initdir" add-requires "ignition-$target.target" "$unit" || exit 1
    }

    # 40ignition-ostree: boot reprovisioning (transposefs), the boot file
    # system's new UUID, the relabel helper.
    inst_script "$ostree/ignition-ostree-transposefs.sh" /usr/libexec/ignition-ostree-transposefs
    local x
    for x in detect save restore; do
        install_unit "$ostree" "ignition-ostree-transposefs-$x.service"
    done
    install_unit "$ostree" ignition-ostree-uuid-boot.service diskful
    # Its root counterpart finds nothing to do on the harness's ext4 root,
    # but orders the root's mount after Ignition's disks stage and the
    # second unique-label check, as on FCOS.
    install_unit "$ostree" ignition-ostree-uuid-root.service diskful
    inst_script "$ostree/ignition-ostree-firstboot-uuid" /usr/sbin/ignition-ostree-firstboot-uuid
    inst_script "$ostree/coreos-relabel" /usr/bin/coreos-relabel

    # 35coreos-ignition: the unique boot label (before Ignition and after
    # its disks stage), the late edit of /boot, the kargs reboot, the user
    # config from /boot, and the generator that wires the last to the boot
    # device.
    install_unit "$coreos" coreos-unique-boot.service diskful
    install_unit "$coreos" coreos-ignition-unique-boot.service diskful
    install_unit "$coreos" coreos-boot-edit.service diskful
    inst_script "$coreos/coreos-boot-edit.sh" /usr/sbin/coreos-boot-edit
    install_unit "$coreos" coreos-kargs-reboot.service
    # As FCOS's module does: its helper replaces Ignition's.
    cp "$coreos/coreos-kargs.sh" "$initdir/usr/sbin/ignition-kargs-helper"
    install_unit "$coreos" coreos-ignition-setup-user.service
    inst_script "$coreos/coreos-ignition-setup-user.sh" /usr/sbin/coreos-ignition-setup-user
    # The root's mount options, for the sysroot.mount the generator makes
    # (installed, not enabled, as FCOS's module does).
    inst_simple "$coreos/coreos-rootflags.service" "$systemdsystemunitdir/coreos-rootflags.service"
    inst_script "$coreos/coreos-rootflags.sh" /usr/sbin/coreos-rootflags
    inst_simple "$coreos/coreos-diskful-generator" \
        "$systemdutildir/system-generators/coreos-diskful-generator"
    inst_simple "$coreos/80-coreos-boot-disk.rules" /usr/lib/coreos/80-coreos-boot-disk.rules
    inst_script "$coreos/coreos-disk-contains-fs.sh" /usr/lib/udev/coreos-disk-contains-fs
    inst_script "$live/is-live-image.sh" /usr/bin/is-live-image

    inst_script "$moddir/rdcore" /usr/bin/rdcore
    inst_script "$moddir/chcon" /usr/bin/chcon

    # What those scripts run (FCOS's modules install most of these), bash
    # first: their interpreter, which dracut's bash module leaves out when
    # another module installed /bin/sh before it.
    inst_multiple bash
    inst_multiple jq chattr realpath tune2fs blkid blockdev mkfs.xfs xfs_info \
        find mv cp awk grep sed sort wc lsblk findmnt udevadm mdadm basename \
        dirname mktemp touch mkdir umount mount modprobe ls head sync echo rmdir
}
