#!/usr/bin/env bash
# `status --prometheus` with the real node_exporter (Debian's
# prometheus-node-exporter): write the metrics of test journals into a
# textfile directory, start node_exporter on a loopback port with only its
# textfile collector, scrape /metrics, and check the series, their values
# and that node_exporter parsed the file without error.
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

/usr/bin/python3 - "$work/metrics" "$poisoned" "$complete" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
poisoned, complete = sys.argv[2], sys.argv[3]
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
if not any(k.startswith("provision_journal_info{") and 'outcome="torn_tail"' in k for k in series):
    problems.append("the second file's journal (a torn tail) is not scraped")
for line in text.splitlines():
    if line.startswith("# TYPE provision_journal_") and not line.endswith(" gauge"):
        problems.append(f"not a gauge: {line}")
if problems:
    sys.exit("prometheus.sh: " + "\nprometheus.sh: ".join(problems))
count = sum(1 for k in series if k.startswith("provision_journal_"))
print(f"prometheus.sh: node_exporter scraped {count} provision_journal series from 2 files, no scrape error")
PY
