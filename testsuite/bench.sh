#!/bin/bash
# make bench: performance figures in a stable "name: value unit" form.
# The debugfs part runs on a generated fixture of 100 VMs x 60 counters
# (the design's yardstick: the reference needs ~165 ms CPU per refresh
# and 19.7 MB; the floor for those reads is ~4 ms). The other parts
# (tracepoints, TUI) add their own lines when their scripts exist.
cd "$(dirname "$0")/.." || exit 1
KVM_STAT=${KVM_STAT:-./kvm_stat}
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

testsuite/mkfixture.sh bench "$tmp/root" 100 60

# Log mode at the shortest delay for a few seconds; CPU time of the
# whole run (set-up included; /proc/PID/schedstat's ns, not /proc/PID/
# stat's 10 ms ticks) divided by the refreshes it made.
bench_log_refresh() {
	local secs=4 out=$tmp/log.out pid run= records hwm
	KVM_STAT_ROOT=$tmp/root $KVM_STAT -d -l -s 0.1 > "$out" 2>&1 &
	pid=$!
	sleep $secs
	read -r run _ 2>/dev/null < "/proc/$pid/schedstat"
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	kill -INT $pid
	wait $pid
	records=$(($(grep -c '^[0-9]' "$out") + 1))	# +1: the first read
	[ -n "$run" ] && awk -v t="$run" -v n="$records" \
		'BEGIN { printf "debugfs_log_cpu_per_refresh: %.2f ms\n", t / 1e6 / n }'
	echo "debugfs_log_refreshes: $records count"
	echo "debugfs_log_max_rss: $hwm KiB"
}

# One refresh, measured precisely: -1 reads twice; its CPU time minus
# that of -f help (the same set-up without reads) is about two refreshes.
bench_batch() {
	local t
	# no env(1) in between: its own RSS would be counted
	t=$( { KVM_STAT_ROOT="$tmp/root" /usr/bin/time -f '%U %S %M' \
		$KVM_STAT -d -1 > /dev/null; } 2>&1 )
	read -r user sys rss <<< "$t"
	echo "debugfs_batch_cpu: $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", (u + s) * 1000 }') ms"
	echo "debugfs_batch_max_rss: $rss KiB"
}

echo "bench_fixture: 100 VMs x 60 counters"
bench_log_refresh
[ -x /usr/bin/time ] && bench_batch
if [ -f "$KVM_STAT" ]; then
	strip -o "$tmp/stripped" "$KVM_STAT" 2>/dev/null || cp "$KVM_STAT" "$tmp/stripped"
	echo "binary_size_stripped: $(stat -c %s "$tmp/stripped") bytes"
fi
for extra in testsuite/bench-tracepoint.sh testsuite/bench-observer.sh testsuite/bench-tui.sh testsuite/bench-vcpu.sh testsuite/bench-exittime.sh; do	# if present
	[ -x "$extra" ] && KVM_STAT=$KVM_STAT BUILD=$BUILD "$extra"
done
exit 0
