#!/usr/bin/env bash
# The sos report plugin with the real sos (Debian's sosreport, 4.0): install
# it with `make install-sos`, run `sos report --batch --only-plugins
# provision_journal` against a test journal, and check the archive: the
# journal and its failure log, `status --json` (valid JSON of the status
# schema) and `dump`, `config`; never the kept copy of the config.
#
# usage: tests/sos.sh BINARY    (as root; run by .ci/run)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath "$1")
command -v sos >/dev/null || { echo "sos.sh: sos is not installed (Debian: sosreport)" >&2; exit 1; }

work=$(mktemp -d)
# Where this sos loads plugins from, as the Makefile finds it.
sos_python=$(sed -n '1s/^#! *//p' "$(command -v sos)")
plugin_dir=$($sos_python -c 'import os, sos.report.plugins as p; print(os.path.dirname(p.__file__))')
installed_plugin=""
installed_binary=""
cleanup() {
    [ -z "$installed_plugin" ] || rm -f "$installed_plugin"
    [ -z "$installed_binary" ] || rm -f "$installed_binary"
    rm -rf "$work"
}
trap cleanup EXIT

# sos runs commands with its own PATH (/usr/local/bin is on it): put the
# binary there for the run, unless one is installed already.
if ! PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v provision-journal >/dev/null; then
    install -m 0755 "$binary" /usr/local/bin/provision-journal
    installed_binary=/usr/local/bin/provision-journal
fi
make -s -C "$top" install-sos
installed_plugin="$plugin_dir/provision_journal.py"
[ -f "$installed_plugin" ] || { echo "sos.sh: make install-sos did not install $installed_plugin" >&2; exit 1; }

# A journal that stopped past the red line, its failure log, and a kept
# copy of the config holding a secret.
boot="$work/boot"
mkdir -p "$boot"
cp "$top/tests/golden/interrupted-after-red-line.journal" "$boot/provision-journal"
printf 'Dec 06 08:00:01 ignition[612]: disks: createPartitions: op(1): [failed] SECRET-LOG-LINE\n' >"$boot/provision-journal.failure-log"
printf '{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core","passwordHash":"SECRET-IN-CONFIG"}]}}' >"$boot/provision-journal.config"
chmod 0600 "$boot/provision-journal.config"
# and the temporary file a cut can leave while the copy is carried back
# onto a recreated /boot.
cp "$boot/provision-journal.config" "$boot/.provision-journal.config.carried"

sos report --batch --only-plugins provision_journal \
    -k "provision_journal.journal=$boot/provision-journal" \
    --tmp-dir "$work" --label pjtest >"$work/sos.log" 2>&1 || {
    cat "$work/sos.log" >&2
    echo "sos.sh: sos report failed" >&2
    exit 1
}
archive=$(ls "$work"/sosreport-*.tar.* 2>/dev/null | head -n 1)
[ -n "$archive" ] || { cat "$work/sos.log" >&2; echo "sos.sh: no archive" >&2; exit 1; }
mkdir "$work/x"
tar -xf "$archive" -C "$work/x"
root=$(echo "$work"/x/sosreport-*)

failures=0
fail() { echo "sos.sh: $*" >&2; failures=$((failures + 1)); }
cmp -s "$boot/provision-journal" "$root$boot/provision-journal" || fail "the journal is not in the archive as it is"
cmp -s "$boot/provision-journal.failure-log" "$root$boot/provision-journal.failure-log" || fail "the failure log is not in the archive"
if grep -rq SECRET-IN-CONFIG "$root"; then fail "the kept copy of the config is in the archive"; fi
[ ! -e "$root$boot/provision-journal.config" ] || fail "the kept copy's file is in the archive"
[ ! -e "$root$boot/.provision-journal.config.carried" ] || fail "the carried kept copy is in the archive"
commands="$root/sos_commands/provision_journal"
[ -d "$commands" ] || fail "no sos_commands/provision_journal in the archive"
status=$(ls "$commands"/provision-journal_--journal_*_status_--json 2>/dev/null | head -n 1)
[ -n "$status" ] || fail "no status --json output"
if [ -n "$status" ]; then
    /usr/bin/python3 - "$status" "$top/spec/provision-journal.schema.json" <<'PY' || fail "status --json in the archive is not a valid status document"
import json, sys
import jsonschema
document = json.load(open(sys.argv[1]))
schema = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/status"}).validate(document)
assert document["verdict"] == "fatal_interruption", document["verdict"]
PY
fi
dump=$(ls "$commands"/provision-journal_--journal_*_dump 2>/dev/null | head -n 1)
[ -n "$dump" ] && grep -q 'STOPPED MID-STAGE' "$dump" || fail "no dump output, or it does not tell the stopped stage"
grep -q '^\[Boot\]' "$commands/provision-journal_config" 2>/dev/null || fail "no config output"
grep -q '"schema":"provision-journal/config/1"' "$commands/provision-journal_config_--json" 2>/dev/null || fail "no config --json output"

if [ "$failures" -gt 0 ]; then
    echo "sos.sh: $failures problem(s); the archive's files:" >&2
    (cd "$root" && find . -path ./sos_reports -prune -o -type f -print | grep -i provision) >&2 || true
    exit 1
fi
echo "sos.sh: sos $(sed -n 's/.*sosreport (version \([0-9.]*\)).*/\1/p' "$work/sos.log" | head -n 1) collected the journal, its failure log, status, dump and config, and not the kept config"
