#!/bin/bash
# dracut module of the real-boot harness only (never shipped): what every
# harness image needs and Debian's initramfs lacks, each a documented
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
    inst_multiple journalctl
    # On emergency, the journald entries go to the console for the oracle.
    inst_script "$moddir/harness-dump-journal" /usr/lib/provision-journal/harness-dump-journal
    inst_simple "$moddir/harness-dump-journal.service" \
        "$systemdsystemunitdir/harness-dump-journal.service"
    mkdir -p "$initdir/$systemdsystemunitdir/emergency.target.wants"
    ln_r "$systemdsystemunitdir/harness-dump-journal.service" \
        "$systemdsystemunitdir/emergency.target.wants/harness-dump-journal.service"
}
