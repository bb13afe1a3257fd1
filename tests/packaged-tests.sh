#!/usr/bin/env bash
# Runs the published crate's tests the way the README tells a packager to,
# in an unpacked crate, and checks the README's claim: every test file of
# tests/ ran (cargo skips a test whose required features are off without a
# word, so a passing run alone proves nothing).
#
# usage: tests/packaged-tests.sh CRATE_DIR   (an unpacked .crate; the
#        command comes from that crate's README.md; CARGO_TARGET_DIR and the
#        rest of the environment are passed on)
set -euo pipefail
crate=$(realpath "$1")
cd "$crate"

# The first line of the first ```sh block after the README's "The
# published crate's tests." paragraph starts.
command=$(awk '
    /^\*\*The published crate.s tests\.\*\*/ { in_paragraph = 1; next }
    in_paragraph && /^##/ { exit }
    in_paragraph && /^```sh$/ { in_block = 1; next }
    in_block { sub(/[ \t]+#.*$/, ""); print; exit }
' README.md)
if [ -z "$command" ]; then
    echo "packaged-tests: README.md gives no \`\`\`sh command for the published crate's tests" >&2
    exit 1
fi
echo "packaged-tests: \$ $command"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
bash -c "$command" 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
    echo "packaged-tests: \`$command\` fails (exit $status)" >&2
    exit 1
fi
skipped=()
for test in tests/*.rs; do
    grep -qF "Running $test " "$log" || skipped+=("$test")
done
if [ ${#skipped[@]} -gt 0 ]; then
    echo "packaged-tests: \`$command\` did not run ${skipped[*]}" >&2
    exit 1
fi
echo "packaged-tests: \`$command\` ran all $(ls tests/*.rs | wc -l) test files"
