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
    # Ignition 2.14 labels what it wrote with setfiles and the real root's
    # file contexts (Debian's selinux-policy-default in the harness's root),
    # as our relabel unit labels the journal: the real setfiles.
    inst_multiple setfiles
    # Debian's Ignition generator and Fedora CoreOS's scripts are bash
    # scripts, installed without their interpreter (inst_simple): dracut's
    # bash module comes only when a module asks for it.
    inst_multiple bash
    inst_multiple journalctl
    # On emergency, the journald entries go to the console for the oracle.
    inst_script "$moddir/harness-dump-journal" /usr/lib/provision-journal/harness-dump-journal
    inst_simple "$moddir/harness-dump-journal.service" \
        "$systemdsystemunitdir/harness-dump-journal.service"
    mkdir -p "$initdir/$systemdsystemunitdir/emergency.target.wants"
    ln_r "$systemdsystemunitdir/harness-dump-journal.service" \
        "$systemdsystemunitdir/emergency.target.wants/harness-dump-journal.service"
}
