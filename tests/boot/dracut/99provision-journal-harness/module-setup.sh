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
}
