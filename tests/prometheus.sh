#!/usr/bin/env bash
# `status --prometheus` with the real node_exporter (Debian's
# prometheus-node-exporter): write the metrics of test journals into a
# textfile directory, start node_exporter on a loopback port with only its
# textfile collector, scrape /metrics, and check the series, their values
# and that node_exporter parsed the file without error; a journal that
# cannot be read still gets its series.
#
# usage: tests/prometheus.sh BINARY    (run by .ci/run)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath "$1")
exporter=$(command -v prometheus-node-exporter || command -v node_exporter || true)
[ -n "$exporter" ] || { echo "prometheus.sh: node_exporter is not installed (Debian: prometheus-node-exporter)" >&2; exit 1; }

work=$(mktemp -d)
exporter_pid=""
cleanup() {
    if [ -n "$exporter_pid" ]; then kill "$exporter_pid" 2>/dev/null || true; wait "$exporter_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
textfiles="$work/textfiles"
mkdir "$textfiles"
export PROVISION_JOURNAL_CONF=/dev/null PROVISION_JOURNAL_JOURNALD_SOCKET=

# One journal stopped past the red line, one complete (many journals go to
# one file, a series each), and one more file for a journal alone.
poisoned="$top/tests/golden/interrupted-after-red-line.journal"
complete="$top/tests/golden/poisoned-then-reset.journal"
"$binary" status --prometheus "$textfiles/provision_journal.prom" "$poisoned" "$complete"
"$binary" --journal "$top/tests/golden/torn-tail.journal" status --prometheus "$textfiles/torn.prom"
# A journal that cannot be read (a directory in its place) and a PATH that
# names no file: the file still gets their series, over the metrics an
# earlier call wrote, and the exit status is the error's.
unreadable="$work/unreadable/provision-journal"
missing="$work/unreadable/no-such-journal"
mkdir -p "$unreadable"
"$binary" --journal "$top/tests/golden/clean-run.journal" status --prometheus "$textfiles/unreadable.prom"
status=0
"$binary" status --prometheus "$textfiles/unreadable.prom" "$unreadable" "$missing" 2>"$work/unreadable.err" || status=$?
[ "$status" = 22 ] || { echo "prometheus.sh: exit status $status for a directory and a missing PATH, expected 22" >&2; cat "$work/unreadable.err" >&2; exit 1; }
grep -q "no journal at \`$missing\`" "$work/unreadable.err" || { echo "prometheus.sh: the missing PATH is not said on stderr" >&2; cat "$work/unreadable.err" >&2; exit 1; }
leftovers=$(find "$textfiles" -name '.*' -type f)
[ -z "$leftovers" ] || { echo "prometheus.sh: temporary files left: $leftovers" >&2; exit 1; }

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$exporter" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
    --collector.textfile --collector.textfile.directory="$textfiles" >"$work/exporter.log" 2>&1 &
exporter_pid=$!

/usr/bin/python3 - "$port" "$work/metrics" <<'PY' || { cat "$work/exporter.log" >&2; exit 1; }
import sys, time, urllib.request
port, out = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + 20
while True:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            open(out, "wb").write(response.read())
            break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("prometheus.sh: node_exporter did not answer on 127.0.0.1:%s" % port)
        time.sleep(0.2)
PY

/usr/bin/python3 - "$work/metrics" "$poisoned" "$complete" "$unreadable" "$missing" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
poisoned, complete, unreadable, missing = sys.argv[2:6]
series = {}
for line in text.splitlines():
    if line.startswith("#") or not line.strip():
        continue
    name_labels, value = line.rsplit(" ", 1)
    series[name_labels] = float(value)
problems = []
def want(name, value):
    if series.get(name) != value:
        problems.append(f"{name} is {series.get(name)!r}, expected {value}")
want('node_textfile_scrape_error', 0)
want(f'provision_journal_info{{journal="{poisoned}",outcome="clean",stage="mount",state="mutating",step="running",verdict="fatal_interruption"}}', 1)
want(f'provision_journal_info{{journal="{complete}",outcome="clean",stage="",state="complete",step="",verdict="already_complete"}}', 1)
want(f'provision_journal_attempt{{journal="{poisoned}"}}', 1)
want(f'provision_journal_attempt{{journal="{complete}"}}', 2)
want(f'provision_journal_may_proceed{{journal="{poisoned}"}}', 0)
want(f'provision_journal_records{{journal="{poisoned}"}}', 7)
want(f'provision_journal_last_record_timestamp_seconds{{journal="{poisoned}"}}', 1795593601.5)
for name in ["boots", "unplanned_restarts", "planned_reboots", "refused_boots"]:
    if f'provision_journal_{name}{{journal="{complete}"}}' not in series:
        problems.append(f"no provision_journal_{name} for {complete}")
# The journals that could not be read: no stage, step or verdict (empty,
# which Prometheus stores as no such label).
for journal, outcome in [(unreadable, "unreadable"), (missing, "absent")]:
    want(f'provision_journal_info{{journal="{journal}",outcome="{outcome}",stage="",state="{outcome}",step="",verdict=""}}', 1)
    want(f'provision_journal_may_proceed{{journal="{journal}"}}', 0)
    want(f'provision_journal_read_error{{journal="{journal}"}}', 1)
    for name in ["attempt", "records", "last_record_timestamp_seconds"]:
        if f'provision_journal_{name}{{journal="{journal}"}}' in series:
            problems.append(f"provision_journal_{name} for {journal}, which could not be read")
want(f'provision_journal_read_error{{journal="{poisoned}"}}', 0)
if any('clean-run' in k for k in series):
    problems.append("the metrics of the journal read before the unreadable ones are still there")
if not any(k.startswith("provision_journal_info{") and 'outcome="torn_tail"' in k for k in series):
    problems.append("the second file's journal (a torn tail) is not scraped")
for line in text.splitlines():
    if line.startswith("# TYPE provision_journal_") and not line.endswith(" gauge"):
        problems.append(f"not a gauge: {line}")
if problems:
    sys.exit("prometheus.sh: " + "\nprometheus.sh: ".join(problems))
count = sum(1 for k in series if k.startswith("provision_journal_"))
print(f"prometheus.sh: node_exporter scraped {count} provision_journal series from 3 files, no scrape error")
PY
