#!/usr/bin/env bash
# The dracut module fails closed: a build that asks for it (`--add
# provision-journal`) without a usable configuration exits non-zero and
# writes no image, since an initramfs without the module would run Ignition
# unprotected and nothing at boot would say so. Each way a configuration
# can be unusable is one build, with our module and its configuration
# installed as a package installs them (build-initramfs.sh):
#
#   no configuration file at all (and none either when the build's shell
#   names one in PROVISION_JOURNAL_CONF, which the image would not get);
#   a configuration with an unknown key;
#   a binary that cannot run on the build host (built for another
#   architecture);
#
# and an image built with a usable one carries the protection: our module,
# its units wanted by ignition-complete.target, the binary and the
# configuration (the real boots then show what they do).
#
# usage: fail-closed.sh BINARY IMAGE WORKDIR   (IMAGE: an image built with the fcos profile)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$(realpath "$1")
image=$(realpath "$2")
work=$(realpath -m "$3")/fail-closed
rm -rf "$work"
mkdir -p "$work"
failures=0
fail() {
    echo "fail-closed: $*" >&2
    failures=$((failures + 1))
}

# refused NAME WORDS BINARY PROFILE [DROP-IN...]: the build fails, writes no
# image, and says WORDS.
refused() {
    local name=$1 words=$2
    shift 2
    local output="$work/$name.img" log="$work/$name.log"
    if bash "$here/build-initramfs.sh" "$1" "$2" "$output" "${@:3}" >"$log" 2>&1; then
        fail "$name: the build succeeded"
    elif [ -e "$output" ]; then
        fail "$name: the build failed but wrote $output"
    elif ! grep -q "cannot be found or installed" "$log" || ! grep -qF "$words" "$log"; then
        fail "$name: the build does not say \"$words\" and that dracut left the module out:"
        sed 's/^/    /' "$log" >&2
    else
        echo "fail-closed: $name: refused, no image ($(grep -F "$words" "$log" | head -n 1 | cut -c1-160))"
    fi
}

refused no-configuration "no [Boot] Device configured" "$binary" none

# A configuration named for the build's shell is not one the image gets.
printf '[Boot]\nDevice=/dev/disk/by-label/boot\n' > "$work/usable.conf"
PROVISION_JOURNAL_CONF="$work/usable.conf" \
    refused configuration-in-environment "no [Boot] Device configured" "$binary" none

printf '[Boot]\nDevcie=/dev/disk/by-label/boot\n' > "$work/typo.conf"
refused unknown-key 'unknown key "Devcie" in [Boot]' "$binary" fcos "$work/typo.conf"

# The same binary, marked as built for another architecture (AArch64's
# e_machine, 183): the kernel refuses to run it, as it would a package built
# for the wrong machine.
cp "$binary" "$work/other-architecture"
printf '\xb7\x00' | dd of="$work/other-architecture" bs=1 seek=18 conv=notrunc status=none
refused other-architecture "the configuration cannot be used" "$work/other-architecture" fcos

# A usable configuration: the image carries the protection.
listing=$(lsinitrd "$image")
for file in usr/bin/provision-journal usr/lib/provision-journal/provision-journal.conf \
    usr/lib/systemd/system/provision-journal-check.service \
    usr/lib/systemd/system/provision-journal-disks.service \
    usr/lib/systemd/system/ignition-disks.service.d/10-provision-journal.conf \
    usr/lib/systemd/system/ignition-complete.target.d/10-provision-journal.conf; do
    grep -q " $file\$" <<<"$listing" || grep -q " $file " <<<"$listing" ||
        fail "the image $image lacks $file"
done
wants=$(lsinitrd -f usr/lib/systemd/system/ignition-complete.target.d/10-provision-journal.conf "$image")
for unit in provision-journal-check.service provision-journal-disks.service; do
    grep -q "$unit" <<<"$wants" || fail "ignition-complete.target does not want $unit in $image"
done

if [ "$failures" -gt 0 ]; then
    echo "fail-closed: $failures problem(s)" >&2
    exit 1
fi
echo "fail-closed: every unusable configuration stops the build, and the built image carries the protection"
