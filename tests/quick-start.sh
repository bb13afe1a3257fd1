#!/usr/bin/env bash
# Runs the first command of the README's quick start exactly as the README
# prints it, in the tree this script belongs to, and checks that it shows
# what the README says it shows: a first boot with a power cut during
# `disks`, the next boot's verdict, and the dump. What a new user types first
# must work on a fresh clone; taking the command from README.md means the
# two cannot drift.
#
# usage: tests/quick-start.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The first line of the first ```sh block after "## Quick start".
command=$(awk '
    /^## Quick start/ { in_section = 1; next }
    in_section && /^## / { exit }
    in_section && /^```sh$/ { in_block = 1; next }
    in_block { print; exit }
' README.md)
if [ -z "$command" ]; then
    echo "quick-start: README.md has no \`\`\`sh block under \"## Quick start\"" >&2
    exit 1
fi
echo "quick-start: \$ $command"
status=0
output=$(bash -c "$command" 2>&1) || status=$?
if [ "$status" -ne 0 ]; then
    echo "$output" >&2
    echo "quick-start: the README's first command exits $status" >&2
    exit 1
fi
for expected in \
    'The power is cut at `during-disks`' \
    'Next boot' \
    '(exit status 10)' \
    'NEXT CHECK'; do
    if ! grep -qF -- "$expected" <<<"$output"; then
        echo "$output" >&2
        echo "quick-start: the README's first command does not show \"$expected\"" >&2
        exit 1
    fi
done
echo "quick-start: the README's first command works as printed"
