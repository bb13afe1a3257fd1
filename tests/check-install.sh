#!/usr/bin/env bash
# Checks the tree `make install DESTDIR=… PREFIX=…` produced: every file a
# package ships is there with its mode, nothing else is, and each works as
# far as it can outside a boot (the binary runs, the configuration names a
# boot device, the man pages render, the bash completion loads). The units
# themselves are verified by tests/verify-units.sh and booted by tests/boot/.
#
# usage: tests/check-install.sh DESTDIR [PREFIX]   (PREFIX: /usr)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
destdir=$(realpath "$1")
prefix=${2:-/usr}
root="$destdir$prefix"
failures=0
fail() { echo "check-install: $*" >&2; failures=$((failures + 1)); }

# Every file and its mode, relative to PREFIX.
expected=$(
    echo "0755 bin/provision-journal"
    echo "0644 lib/provision-journal/provision-journal.conf"
    echo "0755 lib/dracut/modules.d/50provision-journal/module-setup.sh"
    (cd "$top/dist/systemd" && find . -type f | sort | while read -r file; do
        if [ -x "$file" ]; then mode=0755; else mode=0644; fi
        echo "$mode lib/dracut/modules.d/50provision-journal/${file#./}"
    done)
    for page in provision-journal check fetched begin end fail reboot complete keep-log status reset dump config simulate; do
        [ "$page" = provision-journal ] || page="provision-journal-$page"
        echo "0644 share/man/man8/$page.8"
    done
    echo "0644 share/bash-completion/completions/provision-journal"
    echo "0644 share/zsh/site-functions/_provision-journal"
    echo "0644 share/fish/vendor_completions.d/provision-journal.fish"
    echo "0644 lib/systemd/catalog/provision-journal.catalog"
    echo "0644 lib/systemd/system/provision-journal-metrics.service"
    echo "0644 lib/systemd/system/provision-journal-metrics.timer"
)
[ -d "$root" ] || { echo "check-install: no $root" >&2; exit 1; }
found=$(cd "$root" && find . -type f -printf '%m %P\n' | awk '{ printf "%04d %s\n", $1, $2 }' | sort -k2)
expected=$(sort -k2 <<<"$expected")
if [ "$found" != "$expected" ]; then
    fail "the installed files or their modes differ from what a package ships (- expected, + installed):"
    diff <(echo "$expected") <(echo "$found") | grep '^[<>]' | sed 's/^</-/; s/^>/+/' >&2 || true
fi
odd_dirs=$(cd "$root" && find . -type d -not -perm 0755 -printf '%m %P\n')
[ -z "$odd_dirs" ] || fail "directories not 0755: $odd_dirs"
outside=$(cd "$destdir" && find . -type f -not -path ".$prefix/*" -printf '%P\n')
[ -z "$outside" ] || fail "files outside $prefix: $outside"

# The binary runs and names the journal format it writes.
"$root/bin/provision-journal" --version | grep -q '^journal format: writes version ' ||
    fail "bin/provision-journal --version does not name the journal format"

# The configuration is a profile the binary accepts, with a boot device.
device=$(PROVISION_JOURNAL_CONF="$root/lib/provision-journal/provision-journal.conf" \
    "$root/bin/provision-journal" config --get Boot.Device) || fail "the installed configuration is refused"
[ -n "${device:-}" ] || fail "the installed configuration names no [Boot] Device"
grep -qx "Device=$device" "$top"/dist/profiles/*.conf || fail "[Boot] Device=$device is in no profile of dist/profiles/"

# The dracut module is the one in dist/, byte for byte.
for file in "$top/dist/dracut/50provision-journal/module-setup.sh" $(find "$top/dist/systemd" -type f); do
    installed="$root/lib/dracut/modules.d/50provision-journal/${file##*/dist/systemd/}"
    [ "${file##*/}" = module-setup.sh ] && installed="$root/lib/dracut/modules.d/50provision-journal/module-setup.sh"
    cmp -s "$file" "$installed" || fail "$installed differs from $file"
done

# Each man page is a page of its own command and renders without warnings.
for page in "$root"/share/man/man8/*.8; do
    name=$(basename "$page" .8)
    head -n 20 "$page" | grep -q "^\.TH $name 8 " || fail "$page has no .TH $name 8 header"
    if command -v groff >/dev/null; then
        warnings=$(groff -man -ww -z "$page" 2>&1) || fail "groff cannot render $page"
        [ -z "$warnings" ] || fail "groff warns on $page: $warnings"
    fi
done
grep -q '^\.SH "EXIT STATUS"' "$root/share/man/man8/provision-journal.8" ||
    fail "provision-journal(8) has no EXIT STATUS section"

# The bash completion loads and completes the subcommands.
# shellcheck disable=SC2016
words=$(bash --norc --noprofile -c '
    set -e
    source "$1"
    spec=$(complete -p provision-journal)
    function=${spec##* -F }
    function=${function%% *}
    COMP_WORDS=(provision-journal d); COMP_CWORD=1; COMP_LINE="provision-journal d"; COMP_POINT=${#COMP_LINE}
    "$function" provision-journal d provision-journal
    echo "${COMPREPLY[*]}"' _ "$root/share/bash-completion/completions/provision-journal" 2>&1) ||
    fail "the bash completion does not load: $words"
grep -qw dump <<<"$words" || fail "the bash completion does not complete \`d\` to dump: $words"
grep -q '^#compdef provision-journal' "$root/share/zsh/site-functions/_provision-journal" ||
    fail "the zsh completion has no #compdef line"
grep -q '^complete -c provision-journal' "$root/share/fish/vendor_completions.d/provision-journal.fish" ||
    fail "the fish completion completes no provision-journal"

# The catalog is the one in dist/, and journalctl reads it.
cmp -s "$top/dist/catalog/provision-journal.catalog" "$root/lib/systemd/catalog/provision-journal.catalog" ||
    fail "the installed catalog differs from dist/catalog/provision-journal.catalog"
if command -v journalctl >/dev/null; then
    listed=$(journalctl --root="$destdir" --update-catalog 2>&1 && journalctl --root="$destdir" --list-catalog 2>&1) ||
        fail "journalctl cannot read the installed catalog: $listed"
    grep -q '^09804d0f20a143d1adc7e3e15e1e8094 ' <<<"$listed" ||
        fail "journalctl --list-catalog does not list the catalog's IDs: $listed"
    rm -rf "$destdir/var"
fi

if [ "$failures" -gt 0 ]; then
    echo "check-install: $failures problem(s) in $destdir" >&2
    exit 1
fi
echo "check-install: $(wc -l <<<"$found") files under $destdir$prefix, as a package ships them"
