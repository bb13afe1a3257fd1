#!/usr/bin/env bash
# `systemd-analyze verify` over dist/'s units and drop-ins, applied to
# minimal stand-ins for Ignition's units (tests/systemd-standins/), in a
# scratch root that holds the binaries the units run. Any output, warnings
# included, is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/provision-journal}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
units="$root/etc/systemd/system"
mkdir -p "$root/usr/bin" "$root/bin" "$root/usr/lib/provision-journal" "$units"
cp "$binary" "$root/usr/bin/provision-journal"
cp "$(type -P true)" "$root/bin/true"
cp dist/systemd/record-failure dist/systemd/umount-bracket "$root/usr/lib/provision-journal/"
cp -r dist/systemd/*.service dist/systemd/*.d tests/systemd-standins/* "$units/"

output=$(systemd-analyze verify --root="$root" "$units"/*.service "$units"/*.target 2>&1) || {
    echo "$output"
    echo "systemd-analyze verify failed" >&2
    exit 1
}
if [ -n "$output" ]; then
    echo "$output"
    echo "systemd-analyze verify printed warnings" >&2
    exit 1
fi
echo "dist/ units verify cleanly"
