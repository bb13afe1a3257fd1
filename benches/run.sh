#!/usr/bin/env bash
# Measures what provision-journal costs on the boot path and prints one
# Markdown table: hook latency against a durable shell append and against
# the floor, on a mounted file system (`--journal`) and on the real path the
# units take (`--boot-device`: mount, append, fdatasync, unmount) with the
# device's flushes per hook, flushes and system calls per transition, `check` on the largest
# journal one attempt can grow to, `dump` throughput and memory at two sizes,
# and the release binary's footprint.
#
# Runs as root on a fresh machine (it builds an ext4 file system on a loop
# device). Usage:
#
#   benches/run.sh [--runs N] [--device-runs N] [--update-results]
#
# --runs N           interleaved rounds of the hook latency comparison (301)
# --device-runs N    interleaved rounds of the real-path comparison (101)
# --update-results   also write the table into benches/RESULTS.md
#
# Figures, not assertions: the machine may be shared and noisy. What counts
# are the ratios measured within one run. See benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=301
device_runs=101
update_results=false
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --device-runs) device_runs="$2"; shift 2 ;;
        --update-results) update_results=true; shift ;;
        *) echo "usage: benches/run.sh [--runs N] [--device-runs N] [--update-results]" >&2; exit 2 ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    echo "benches/run.sh: needs root (loop device, mount)" >&2
    exit 1
fi

log() { echo "== $*" >&2; }

# --- tools -----------------------------------------------------------------
missing=()
command -v strace >/dev/null || missing+=(strace)
command -v file >/dev/null || missing+=(file)
command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
command -v losetup >/dev/null && command -v mount >/dev/null || missing+=(util-linux mount)
[ -x /usr/bin/time ] || missing+=(time)
# The floor is linked statically: gcc and the static C library.
echo 'int main(void) { return 0; }' | gcc -static -x c -o /dev/null - 2>/dev/null || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
[ -e /dev/loop-control ] || modprobe loop || true

# --- build -------------------------------------------------------------------
log "building the release binary and the bench programs"
cargo build --release --locked --bin provision-journal >&2
benches=(--bench journals --bench hook_latency)
[ -f benches/dump.rs ] && benches+=(--bench dump)
cargo bench --locked --no-run "${benches[@]}" >&2
bin="$PWD/target/release/provision-journal"
# The same code linked statically against musl: no dynamic loader, no shared
# libraries, the shortest start. Measured beside the default build when
# rustup can provide the target; the table says so when it cannot.
musl_target="$(uname -m)-unknown-linux-musl"
static_bin=""
if command -v rustup >/dev/null &&
    { rustup target list --installed | grep -qx "$musl_target" || rustup target add "$musl_target" >&2; } &&
    cargo build --release --locked --bin provision-journal --target "$musl_target" >&2; then
    static_bin="$PWD/target/$musl_target/release/provision-journal"
else
    log "no $musl_target build: the static rows are left out"
fi
bench() { cargo bench --locked -q --bench "$@"; }

work="$(mktemp -d /var/tmp/provision-journal-bench.XXXXXX)"
mnt="$work/mnt"
boot_mnt="$work/boot-mnt"
boot_dev=""
cleanup() {
    if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt"; fi
    if mountpoint -q "$boot_mnt" 2>/dev/null; then umount "$boot_mnt"; fi
    if [ -n "$boot_dev" ]; then losetup -d "$boot_dev"; fi
    rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -static -o "$work/floor" benches/floor.c
gcc -O2 -static -o "$work/floor_mount" benches/floor_mount.c

log "creating an ext4 file system on a loop device"
truncate -s 512M "$work/ext4.img"
mkfs.ext4 -q -F "$work/ext4.img"
mkdir "$mnt"
mount -o loop "$work/ext4.img" "$mnt"

# Median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Peak resident set size in KiB of one run of the command.
peak_kib() { /usr/bin/time -f %M -o "$work/time.out" "$@" >/dev/null 2>&1 || true; tail -n 1 "$work/time.out"; }
# Flushes (fsync + fdatasync) and all calls counted by `strace -f -c` in file $1.
strace_count() { awk -v want="$2" '$NF == want { n = $4 } END { print n + 0 }' "$1"; }
strace_total() { awk '$NF == "total" { print $4 }' "$1"; }
strace_list() { awk '/^-/ { body = !body; next } body && $NF != "total" && $4 ~ /^[0-9]+$/ { printf "%s%s %s", sep, $NF, $4; sep = ", " }' "$1"; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }

# --- 1. hook latency -------------------------------------------------------------
# A realistic history: a first boot that fetched, set kernel arguments and
# rebooted for them, then this boot (the real boot ID, the firstboot stamp
# beside the journal, as on Fedora CoreOS) up to the end of kargs. Every
# timed `begin disks` runs on a fresh copy of it, as a hook would.
log "hook latency: begin disks vs sh printf+sync vs the floor, $runs interleaved rounds"
hook="$mnt/hook"
mkdir "$hook"
journal="$hook/provision-journal"
prepared="$hook/prepared"
: >"$hook/ignition.firstboot"
digest="$(printf '%064d' 0 | tr 0 a)"
PROVISION_JOURNAL_BOOT_ID=5eed0000000000000000000000000001 "$bin" --journal "$journal" check >/dev/null
PROVISION_JOURNAL_BOOT_ID=5eed0000000000000000000000000001 "$bin" --journal "$journal" fetched --sha256 "$digest" >/dev/null
PROVISION_JOURNAL_BOOT_ID=5eed0000000000000000000000000001 "$bin" --journal "$journal" begin kargs >/dev/null
PROVISION_JOURNAL_BOOT_ID=5eed0000000000000000000000000001 "$bin" --journal "$journal" end kargs >/dev/null
PROVISION_JOURNAL_BOOT_ID=5eed0000000000000000000000000001 "$bin" --journal "$journal" reboot --reason kargs >/dev/null
for args in check "fetched --sha256 $digest" "begin kargs" "end kargs"; do
    # shellcheck disable=SC2086
    "$bin" --journal "$journal" $args >/dev/null
done
cp "$journal" "$prepared"
history_records="$("$bin" status --json --journal "$prepared" | sed -n 's/.*"records":\([0-9]*\).*/\1/p')"
"$bin" --journal "$journal" begin disks >/dev/null
record_len=$(($(stat -c %s "$journal") - $(stat -c %s "$prepared")))
payload="begin disks $(printf '%*s' $((record_len - 13)) '' | tr ' ' x)"
# Write back everything the build and the set-up left dirty, so that no
# timed flush waits behind it.
sync
static_contender=()
if [ -n "$static_bin" ]; then
    static_contender=(:: static "$static_bin" --journal "$journal" begin disks)
fi
# The journald entry: the same hook with a datagram sink standing in for
# journald's socket, against the same build sending none (as before).
sink="$work/journald.socket"
/usr/bin/python3 benches/journald_sink.py "$sink" "$work/sink.count" &
sink_pid=$!
while [ ! -S "$sink" ]; do sleep 0.1; done
bench hook_latency -- --runs "$runs" "$prepared" "$journal" \
    provision-journal PROVISION_JOURNAL_JOURNALD_SOCKET= "$bin" --journal "$journal" begin disks \
    :: journald PROVISION_JOURNAL_JOURNALD_SOCKET="$sink" "$bin" --journal "$journal" begin disks \
    :: shell sh -c "printf '%s\n' '$payload' >> '$journal' && sync '$journal'" \
    :: floor "$work/floor" "$journal" "$record_len" \
    :: start "$work/floor" "$journal" 0 \
    "${static_contender[@]}" >"$work/latency"
lat() { awk -v name="$1" -v col="$2" '$1 == name { print $col }' "$work/latency"; }
# Paired figures of contender $1 against $2 (see hook_latency.rs): column 4
# is the median per-round ratio, 5 and 6 its IQR, 7 the median excess in µs.
pair() { awk -v a="$1" -v b="$2" -v col="$3" '$1 == "pair" && $2 == a && $3 == b { print $col }' "$work/latency"; }
meets() { awk -v v="$1" -v g="$2" 'BEGIN { print (v <= g) ? "met" : "**missed**" }'; }
iqr() { echo "$(lat "$1" 3)–$(lat "$1" 4)"; }
# "0.82× shell (IQR 0.78–0.86, met)" for contender $1 against $2, goal $3.
versus() {
    printf '%.3g× %s (IQR %.2f–%.2f, %s)' "$(pair "$1" "$2" 4)" "$2" "$(pair "$1" "$2" 5)" "$(pair "$1" "$2" 6)" "$(meets "$(pair "$1" "$2" 4)" "$3")"
}
row "1 hook latency" "default build (glibc, dynamic): \`begin disks\` on a $history_records-record journal ($(stat -c %s "$prepared") B), appending $record_len B: median $(lat provision-journal 2) µs (IQR $(iqr provision-journal)), $(pair provision-journal floor 7) µs over the floor; \`sh -c 'printf … >> F && sync F'\`: $(lat shell 2) µs ($(iqr shell)); floor (static C: open, write, fdatasync): $(lat floor 2) µs ($(iqr floor)), of which starting a static process: $(lat start 2) µs ($(iqr start)); $runs interleaved rounds; ratios are medians of per-round ratios" "≤ 0.7× shell, ≤ 1.2× floor" "$(versus provision-journal shell 0.7), $(versus provision-journal floor 1.2)"
row "1j journald entry" "the same \`begin disks\`, also sending its journald entry (one datagram to a socket a reader drains, standing in for journald): median $(lat journald 2) µs (IQR $(iqr journald)), $(pair journald provision-journal 7) µs over the same build sending none (ratio $(printf '%.3g' "$(pair journald provision-journal 4)"), IQR $(printf '%.2f–%.2f' "$(pair journald provision-journal 5)" "$(pair journald provision-journal 6)"))" "< 1000 µs over" "$(awk -v us="$(pair journald provision-journal 7)" 'BEGIN { print (us < 1000) ? "met" : "**missed**" }')"
if [ -n "$static_bin" ]; then
    row "1 hook latency, static" "static build (musl, \`--target $musl_target\`), same rounds, same journal: median $(lat static 2) µs (IQR $(iqr static)), $(pair static floor 7) µs over the floor" "≤ 0.7× shell, ≤ 1.2× floor" "$(versus static shell 0.7), $(versus static floor 1.2)"
fi

# --- 1r. the real path: --boot-device ---------------------------------------------
# What the units run: every hook mounts the boot partition (here ext4 on a
# loop device of its own, unmounted between hooks), appends, fdatasyncs and
# unmounts. Before each timed run the prepared journal is put on it and the
# file system unmounted, outside the timed region; the device's flush
# requests are counted during each timed run.
log "real path: --boot-device, mount + append + fdatasync + umount, $device_runs interleaved rounds"
truncate -s 384M "$work/boot.img"
mkfs.ext4 -q -F -L boot "$work/boot.img"
boot_dev="$(losetup --find --show "$work/boot.img")"
boot_stat="/sys/block/$(basename "$boot_dev")/stat"
mkdir "$boot_mnt"
boot_journal="$boot_mnt/provision-journal"
boot_setup="mount '$boot_dev' '$boot_mnt' && cp '$prepared' '$boot_journal' && umount '$boot_mnt'"
sh -c "$boot_setup"
sync
static_device=()
if [ -n "$static_bin" ]; then
    static_device=(:: static "$static_bin" --boot-device "$boot_dev" begin disks)
fi
# No configuration file of this machine: the built-in defaults.
PROVISION_JOURNAL_CONF=/dev/null bench hook_latency -- --runs "$device_runs" --flushes "$boot_stat" --setup "$boot_setup" \
    provision-journal PROVISION_JOURNAL_JOURNALD_SOCKET= "$bin" --boot-device "$boot_dev" begin disks \
    :: journald PROVISION_JOURNAL_JOURNALD_SOCKET="$sink" "$bin" --boot-device "$boot_dev" begin disks \
    :: shell sh -c "mount '$boot_dev' '$boot_mnt' && printf '%s\n' '$payload' >> '$boot_journal' && sync '$boot_journal' && umount '$boot_mnt'" \
    :: floor "$work/floor_mount" "$boot_dev" "$boot_mnt" provision-journal "$record_len" \
    :: floor-noatime "$work/floor_mount" "$boot_dev" "$boot_mnt" provision-journal "$record_len" noatime \
    :: floor-lazytime "$work/floor_mount" "$boot_dev" "$boot_mnt" provision-journal "$record_len" lazytime \
    "${static_device[@]}" >"$work/device"
# Where the floor's flushes come from, and what opening a file adds.
sh -c "$boot_setup"
read -r _ at_mount _ at_sync _ at_umount < <(FLOOR_FLUSHES="$boot_stat" "$work/floor_mount" "$boot_dev" "$boot_mnt" provision-journal "$record_len")
flushes_of() { local before; sh -c "$boot_setup"; before=$(awk '{ print $16 }' "$boot_stat"); sh -c "$1"; echo $(($(awk '{ print $16 }' "$boot_stat") - before)); }
bare=$(flushes_of "mount '$boot_dev' '$boot_mnt' && umount '$boot_mnt'")
opened=$(flushes_of "mount -o noatime '$boot_dev' '$boot_mnt' && : <'$boot_journal' && umount '$boot_mnt'")
unsynced=$(flushes_of "mount '$boot_dev' '$boot_mnt' && printf x >>'$boot_journal' && umount '$boot_mnt'")
dev() { awk -v name="$1" -v col="$2" '$1 == name { print $col }' "$work/device"; }
dev_pair() { awk -v a="$1" -v b="$2" -v col="$3" '$1 == "pair" && $2 == a && $3 == b { print $col }' "$work/device"; }
dev_flushes() { awk -v name="$1" -v col="$2" '$1 == "flushes" && $2 == name { print $col }' "$work/device"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
dev_time() { echo "$(ms "$(dev "$1" 2)") ms (IQR $(ms "$(dev "$1" 3)")–$(ms "$(dev "$1" 4)")), $(dev_flushes "$1" 3) flushes (range $(dev_flushes "$1" 6)–$(dev_flushes "$1" 7))"; }
dev_versus() {
    printf '%.3g× %s (IQR %.2f–%.2f, %s)' "$(dev_pair "$1" "$2" 4)" "$2" "$(dev_pair "$1" "$2" 5)" "$(dev_pair "$1" "$2" 6)" "$(meets "$(dev_pair "$1" "$2" 4)" "$3")"
}
flush_goal() { awk -v a="$(dev_flushes "$1" 3)" -v f="$(dev_flushes floor 3)" 'BEGIN { printf "%s flushes vs the floor'"'"'s %s (%s)", a, f, (a <= f) ? "met" : "**missed**" }'; }
row "1r real path" "\`--boot-device\` (what the units run), default build: \`begin disks\` on the same journal, median $(dev_time provision-journal); \`sh -c 'mount; printf … >> F; sync F; umount'\`: $(dev_time shell); floor (static C: mount, open, write, fdatasync, umount): $(dev_time floor); the floor mounted with \`noatime\`: $(dev_time floor-noatime), with \`lazytime\`: $(dev_time floor-lazytime); the floor itself is $(printf '%.2f' "$(dev_pair floor shell 4)")× the shell (IQR $(printf '%.2f–%.2f' "$(dev_pair floor shell 5)" "$(dev_pair floor shell 6)")); ext4 (384 MiB, mkfs.ext4 defaults) on its own loop device; $device_runs interleaved rounds; flushes are medians per hook of the device's completed flush requests, with their range" "≤ 0.7× shell, ≤ 1.2× floor, flushes ≤ floor" "$(dev_versus provision-journal shell 0.7), $(dev_versus provision-journal floor 1.2), $(flush_goal provision-journal)"
if [ -n "$static_bin" ]; then
    row "1r real path, static" "static build (musl), same rounds: median $(dev_time static)" "≤ 0.7× shell, ≤ 1.2× floor, flushes ≤ floor" "$(dev_versus static shell 0.7), $(dev_versus static floor 1.2), $(flush_goal static)"
fi
kill "$sink_pid" && wait "$sink_pid" || true
row "1j journald entry, real path" "\`--boot-device\` with the entry: median $(dev_time journald); without: $(dev_time provision-journal); $(cat "$work/sink.count") entries read by the sink" "no extra flush" "$(awk -v a="$(dev_flushes journald 3)" -v b="$(dev_flushes provision-journal 3)" 'BEGIN { printf "%s vs %s flushes (%s)", a, b, (a <= b) ? "met" : "**missed**" }')"
row "1r flushes by step" "the floor's flushes: $at_mount at mount, $at_sync at the fdatasync, $at_umount at the unmount; mount + unmount alone: $bare; mount (noatime) + open of the journal, nothing written + unmount: $opened; mount + append without fdatasync + unmount: $unsynced" "—" "—"

# --- 2. flushes and system calls per transition ---------------------------------------
# Every hook of a whole provisioning under `strace -f -c`, on a new journal.
log "flushes and system calls per transition"
seq_dir="$mnt/sequence"
mkdir "$seq_dir"
: >"$seq_dir/ignition.firstboot"
flushes=()
sequence=(check "fetched --sha256 $digest")
for stage in kargs disks mount files umount; do sequence+=("begin $stage" "end $stage"); done
sequence+=(complete)
first=true
for args in "${sequence[@]}"; do
    # shellcheck disable=SC2086
    strace -f -c -o "$work/strace" "$bin" --journal "$seq_dir/provision-journal" $args >/dev/null
    f=$(($(strace_count "$work/strace" fdatasync) + $(strace_count "$work/strace" fsync)))
    if $first; then
        create_flushes=$f
        create_calls=$(strace_total "$work/strace")
        first=false
    else
        flushes+=("$f")
    fi
done
transition_flushes="$(printf '%s\n' "${flushes[@]}" | sort -u | paste -sd/)"
cp "$prepared" "$journal"
sync "$journal"
strace -f -c -o "$work/strace" "$bin" --journal "$journal" begin disks >/dev/null
row "2 flushes per transition" "fdatasync+fsync per hook over a whole provisioning (${#flushes[@]} hooks after \`check\`): $transition_flushes; \`check\` creating the journal: $create_flushes flushes, $create_calls system calls" "exactly 1; ≤ 3 at creation" "$([ "$transition_flushes" = 1 ] && echo met || echo '**missed**'), $([ "$create_flushes" -le 3 ] && echo met || echo '**missed**')"
row "2 syscalls per transition" "\`begin disks\`: $(strace_total "$work/strace") system calls: $(strace_list "$work/strace")" "each justified in benches/README.md" "see README"

# --- 3. check on the largest journal one attempt can reach -----------------------------
log "check on the year-long reboot loop's journal"
check_dir="$mnt/check"
mkdir "$check_dir"
: >"$check_dir/ignition.firstboot"
read -r _ year_bytes year_records < <(bench journals -- year-loop "$check_dir/year-loop")
bench hook_latency -- --runs 31 --expect-status 11 "$check_dir/year-loop" "$check_dir/provision-journal" \
    check "$bin" --journal "$check_dir/provision-journal" check >"$work/check"
cp "$check_dir/year-loop" "$check_dir/provision-journal"
year_kib=$(peak_kib "$bin" --journal "$check_dir/provision-journal" check)
read -r _ bound_bytes bound_records < <(bench journals -- attempts "$check_dir/at-bound" $((98 * 1024)))
bench hook_latency -- --runs 31 "$check_dir/at-bound" "$check_dir/provision-journal" \
    check "$bin" --journal "$check_dir/provision-journal" check >"$work/check-bound"
cp "$check_dir/at-bound" "$check_dir/provision-journal"
bound_kib=$(peak_kib "$bin" --journal "$check_dir/provision-journal" check)
row "3 \`check\`, year-long loop" "a year of reboots every 5 min (105,120 boots), every boot writing all the rules allow: $year_records records, $year_bytes B; \`check\` (poisoned, refusals capped: reads, writes nothing): median $(awk '{ print $2 }' "$work/check") µs, peak RSS $year_kib KiB" "bounded (98 KiB per attempt)" "$([ "$year_bytes" -le $((98 * 1024)) ] && echo met || echo '**missed**')"
row "3 \`check\`, at the bound" "a journal of 98 KiB ($bound_records records, $bound_bytes B, several attempts); \`check\` starting a new attempt (one append, one fdatasync): median $(awk '{ print $2 }' "$work/check-bound") µs, peak RSS $bound_kib KiB" "—" "—"

# --- 4. dump throughput ----------------------------------------------------------------------
log "dump throughput at two sizes"
dump_dir="$mnt/dump"
mkdir "$dump_dir"
dump_rss=()
for size in 10000000 100000000; do
    read -r _ bytes records < <(bench journals -- attempts "$dump_dir/journal" "$size")
    sync "$dump_dir/journal"
    for form in human json; do
        flag=()
        [ "$form" = json ] && flag=(--json)
        bench hook_latency -- --runs 3 "$dump_dir/journal" "$dump_dir/copy" \
            dump "$bin" dump "${flag[@]}" "$dump_dir/copy" >"$work/dump"
        micros=$(awk '{ print $2 }' "$work/dump")
        kib=$(peak_kib "$bin" dump "${flag[@]}" "$dump_dir/journal")
        dump_rss+=("$kib")
        row "4 \`dump\` $form" "$records records, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB: $(awk -v r="$records" -v us="$micros" 'BEGIN { printf "%.0f", r / (us / 1e6) }') records/s, $(awk -v b="$bytes" -v us="$micros" 'BEGIN { printf "%.1f", b / 1e6 / (us / 1e6) }') MB/s, $(awk -v us="$micros" 'BEGIN { printf "%.2f", us / 1e6 }') s, peak RSS $kib KiB" "memory flat across sizes" "—"
    done
    rm -f "$dump_dir/journal" "$dump_dir/copy"
done
small=$((dump_rss[0] > dump_rss[1] ? dump_rss[0] : dump_rss[1]))
large=$((dump_rss[2] > dump_rss[3] ? dump_rss[2] : dump_rss[3]))
row "4 \`dump\` memory" "peak RSS at 10 MB: $small KiB; at 100 MB: $large KiB" "flat (within 10%)" "$(awk -v s="$small" -v l="$large" 'BEGIN { print (l <= s * 1.1) ? "met" : "**missed**" }')"

# --- 5. footprint ----------------------------------------------------------------------------
# Size, whether stripped, how linked.
footprint() {
    local size
    size=$(stat -c %s "$1")
    echo "$size B ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }') MiB, $(file -b "$1" | grep -o 'not stripped\|stripped' | head -n 1), $(file -b "$1" | grep -o 'dynamically linked\|statically linked\|static-pie linked'))"
}
size=$(stat -c %s "$bin")
deps=$(cargo tree --locked -e normal --prefix none | sed 's/ (\*)$//' | sort -u | grep -cv '^provision-journal ')
linked=$(cargo tree --locked -e normal,no-proc-macro --prefix none | sed 's/ (\*)$//' | sort -u | grep -cv '^provision-journal ')
row "5 binary size" "default build: $(footprint "$bin")" "≤ 1.5 MiB" "$(meets "$size" $((3 * 1048576 / 2)))"
if [ -n "$static_bin" ]; then
    row "5 binary size, static" "static build: $(footprint "$static_bin")" "≤ 1.5 MiB" "$(meets "$(stat -c %s "$static_bin")" $((3 * 1048576 / 2)))"
fi
row "5 dependencies" "$deps crates (normal edges), of which $linked linked into the binary and $((deps - linked)) build-time only (proc macros and their dependencies)" "—" "—"

# --- the table -----------------------------------------------------------------------------
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
backing="$(df --output=fstype "$work" | tail -n 1 | tr -d ' ')"
{
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores (${cpu:-unknown CPU}), Linux $(uname -r), ext4 (mkfs.ext4 defaults) on a loop device backed by a file on $backing; $(rustc --version)."
    echo
    echo "| measure | figure | goal | result |"
    echo "|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} >"$work/table.md"

if [ -f benches/dump.rs ]; then
    log "in-process dump benchmark (benches/dump.rs)"
    {
        echo
        echo "In-process \`dump\` to a sink (\`cargo bench --bench dump\`):"
        echo
        echo '```text'
        bench dump
        echo '```'
    } >>"$work/table.md"
fi

cat "$work/table.md"

if $update_results; then
    awk -v table="$work/table.md" '
        /^<!-- table: begin -->$/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
        /^<!-- table: end -->$/ { skip = 0 }
        !skip { print }
    ' benches/RESULTS.md >"$work/RESULTS.md"
    cp "$work/RESULTS.md" benches/RESULTS.md
    log "benches/RESULTS.md updated"
fi
