#!/usr/bin/env bash
# Builds the harness's initramfs for the installed Debian kernel: Debian's
# real Ignition (30ignition), our dracut module exactly as `make
# install-dracut install-config` installs it, and the harness's stand-ins.
# The host's /usr is never touched: dracut runs in a private mount
# namespace over an overlay of /usr that holds the binary and the two
# modules.
#
# usage: build-initramfs.sh BINARY PROFILE OUTPUT [DROP-IN...]
# PROFILE names one of dist/profiles/ (fcos, flatcar), installed as the
# distribution's configuration file, as a package would. Each DROP-IN (a
# configuration file) is appended to it, later keys winning, as an
# administrator's /etc/provision-journal.conf.d/ would (the fcos-cache image
# is the fcos profile with tests/boot/cache.conf). PROFILE `none` installs
# no configuration at all (tests/boot/fail-closed.sh: such a build fails).
#
# HARNESS_UNITS says whose units surround Ignition: `debian` (the default:
# Debian's Ignition with the harness's stand-ins for Fedora CoreOS's kargs
# reboot) or `fcos` (Fedora CoreOS's own units and scripts, unmodified, from
# the checkout $PJ_FCOS_CONFIG names, with md RAID for boot disk mirroring).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
binary=$(realpath "$1")
profile=$top/dist/profiles/$2.conf
output=$(realpath -m "$3")
[ "$2" = none ] || [ -f "$profile" ] || { echo "no profile $profile" >&2; exit 1; }

kver=$(cat "$here/.kver" 2>/dev/null || true)
[ -n "$kver" ] || kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -name '*-amd64' -printf '%f\n' | sort -V | tail -n 1)
[ -n "$kver" ] && [ -d "/lib/modules/$kver" ] || { echo "no Debian kernel under /lib/modules" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
upper="$scratch/upper"
install -D -m 0755 "$binary" "$upper/bin/provision-journal"
# The module and the configuration exactly as a package installs them; the
# upper layer stands for /usr, so PREFIX is empty.
make -C "$top" --silent install-dracut DESTDIR="$upper" PREFIX=
if [ "$2" != none ]; then
    make -C "$top" --silent install-config DESTDIR="$upper" PREFIX= PROFILE="$2"
fi
for dropin in "${@:4}"; do
    install -d "$upper/lib/provision-journal"
    cat "$dropin" >> "$upper/lib/provision-journal/provision-journal.conf"
done
mkdir -p "$upper/lib/dracut/modules.d"
cp -r "$here/dracut/99provision-journal-harness" "$upper/lib/dracut/modules.d/"
omit="plymouth crypt lvm mdraid dm multipath iscsi nfs nbd fcoe fcoe-uefi btrfs resume"
case "${HARNESS_UNITS:-debian}" in
    debian)
        cp -r "$here/dracut/98pj-debian-kargs" "$upper/lib/dracut/modules.d/"
        harness="provision-journal-harness pj-debian-kargs"
        ;;
    fcos)
        [ -d "${PJ_FCOS_CONFIG:-}/overlay.d" ] ||
            { echo "PJ_FCOS_CONFIG does not name a fedora-coreos-config checkout" >&2; exit 1; }
        cp -r "$here/dracut/98pj-fcos" "$upper/lib/dracut/modules.d/"
        harness="provision-journal-harness pj-fcos mdraid"
        omit=${omit/mdraid /}
        ;;
    *) echo "HARNESS_UNITS is debian or fcos, not $HARNESS_UNITS" >&2; exit 1 ;;
esac
mkdir -p "$scratch/work"

# Speed, since every boot of the matrix pays for the image: `--drivers`
# takes only the kernel modules named here (and those other dracut modules
# install themselves) instead of every storage driver of a generic image,
# and `--no-compress` writes a plain cpio, which dracut writes about 35 s
# faster and the kernel unpacks about 4 s faster per boot under TCG.
export kver upper scratch output harness omit PJ_FCOS_CONFIG
unshare --mount --propagation private bash -euo pipefail -c '
    mount -t overlay overlay -o "lowerdir=/usr,upperdir=$upper,workdir=$scratch/work" /usr
    dracut --force --quiet --kver "$kver" \
        --no-hostonly --no-hostonly-cmdline --no-early-microcode \
        --tmpdir "$scratch" \
        --add "systemd ignition provision-journal $harness" \
        --omit "$omit" \
        --drivers "virtio_blk virtio_pci qemu_fw_cfg ext4 crc32c_generic vfat nls_ascii nls_cp437 nls_iso8859_1" \
        --no-compress \
        "$output"
'
# dracut leaves a module out silently when a dependency is missing (e.g.
# 30ignition without dracut-network): make that an error here.
modules=$(lsinitrd -m "$output")
for module in ignition provision-journal $harness; do
    grep -qx "$module" <<<"$modules" || { echo "dracut left module $module out of $output" >&2; exit 1; }
done
# ... and a script's interpreter too: every generator and helper the boot
# runs starts with #!/bin/bash or #!/bin/sh.
files=$(lsinitrd "$output")
for interpreter in usr/bin/bash usr/bin/sh; do
    grep -q " $interpreter\( \|\$\)" <<<"$files" ||
        { echo "dracut left $interpreter out of $output" >&2; exit 1; }
done
echo "initramfs $output for kernel $kver, profile $2${4:+ + ${*:4}}, ${HARNESS_UNITS:-debian} units ($(du -h "$output" | cut -f1))"
