#!/bin/bash
# dracut module of the real-boot harness only (never shipped), for the
# images without Fedora CoreOS's own units: stand-ins for how Fedora
# CoreOS applies kernel arguments and reboots for them
# (tests/boot/README.md).

check() {
    return 255
}

depends() {
    echo provision-journal-harness
}

install() {
    # Applies kernel arguments the way FCOS's coreos-kargs.sh does: it asks
    # for a reboot when the running kernel lacks one that should exist. It
    # replaces 30ignition's helper (which only says kargs are unsupported);
    # dracut's inst_* never overwrite, so it is copied in place.
    command install -D -m 0755 "$moddir/ignition-kargs-helper" "$initdir/usr/sbin/ignition-kargs-helper"
    inst_simple "$moddir/coreos-kargs-reboot.service" \
        "$systemdsystemunitdir/coreos-kargs-reboot.service"
    mkdir -p "$initdir/$systemdsystemunitdir/ignition-complete.target.requires"
    ln_r "$systemdsystemunitdir/coreos-kargs-reboot.service" \
        "$systemdsystemunitdir/ignition-complete.target.requires/coreos-kargs-reboot.service"
    inst_multiple systemctl
}
