#!/bin/bash
# dracut module of the real-boot harness only (never shipped): the pieces a
# Fedora CoreOS initramfs has and Debian's does not, each a documented
# stand-in (tests/boot/README.md).

check() {
    return 255
}

depends() {
    echo provision-journal
}

install() {
    # Ignition 2.14 runs setfiles after the files stage; the harness's real
    # root has SELinux disabled, so relabeling is a no-op.
    inst_script "$moddir/setfiles" /usr/sbin/setfiles
    # Applies kernel arguments the way FCOS's coreos-kargs.sh does: it asks
    # for a reboot when the running kernel lacks one that should exist. It
    # replaces 30ignition's helper (which only says kargs are unsupported);
    # dracut's inst_* never overwrite, so it is copied in place.
    command install -D -m 0755 "$moddir/ignition-kargs-helper" "$initdir/usr/sbin/ignition-kargs-helper"
    inst_simple "$moddir/harness-kargs-reboot.service" \
        "$systemdsystemunitdir/harness-kargs-reboot.service"
    mkdir -p "$initdir/$systemdsystemunitdir/ignition-complete.target.requires"
    ln_r "$systemdsystemunitdir/harness-kargs-reboot.service" \
        "$systemdsystemunitdir/ignition-complete.target.requires/harness-kargs-reboot.service"
    inst_multiple systemctl sleep journalctl
    # On emergency, the journald entries go to the console for the oracle.
    inst_script "$moddir/harness-dump-journal" /usr/lib/provision-journal/harness-dump-journal
    inst_simple "$moddir/harness-dump-journal.service" \
        "$systemdsystemunitdir/harness-dump-journal.service"
    mkdir -p "$initdir/$systemdsystemunitdir/emergency.target.wants"
    ln_r "$systemdsystemunitdir/harness-dump-journal.service" \
        "$systemdsystemunitdir/emergency.target.wants/harness-dump-journal.service"
}
