#!/bin/bash
# dracut module: journals every Ignition stage with provision-journal, so an
# interrupted first boot is retried only when that is safe.
#
# Packaging installs this file together with everything in dist/systemd/
# into the module directory ($moddir).
#
# Like afterburn's module, it is never pulled in by default: a distribution
# that ships Ignition adds it explicitly (add_dracutmodules+=" provision-journal ").

check() {
    return 255
}

depends() {
    echo ignition systemd
}

install() {
    inst_multiple /usr/bin/provision-journal /bin/sh mkdir rm

    inst_script "$moddir/record-failure" /usr/lib/provision-journal/record-failure
    inst_script "$moddir/umount-bracket" /usr/lib/provision-journal/umount-bracket

    local unit
    for unit in \
        provision-journal-check.service \
        provision-journal-fetched.service \
        provision-journal-umount.service \
        provision-journal-complete.service; do
        inst_simple "$moddir/$unit" "$systemdsystemunitdir/$unit"
    done

    local dropin
    for dropin in \
        ignition-fetch-offline.service \
        ignition-fetch.service \
        ignition-kargs.service \
        ignition-disks.service \
        ignition-mount.service \
        ignition-files.service \
        ignition-complete.target; do
        inst_simple "$moddir/$dropin.d/10-provision-journal.conf" \
            "$systemdsystemunitdir/$dropin.d/10-provision-journal.conf"
    done
}
