#!/bin/bash
# Tracepoint figures for `make bench`, one "name: value unit" line each:
# -1 wall time with every kvm event, quit latency, CPU per refresh with
# every event on all online cpus, max RSS. Needs tracefs with kvm events.
cd "$(dirname "$0")/.." || exit 1
KVM_STAT=${KVM_STAT:-./kvm_stat}
. testsuite/bench-lib.sh
BUILD=${BUILD:-build}
tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
if [ -z "$tracefs" ] || [ ! -d "$tracefs/events/kvm" ]; then
	echo "tracepoint benchmarks skipped: no tracefs or no kvm events" >&2
	exit 0
fi
ms() { echo $(( ($2 - $1) / 1000 )); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A guest keeps the counters busy while we measure (if the VMM is built)
vm=
if [ -x "$BUILD/tiny_vmm" ] && [ -c /dev/kvm ]; then
	"$BUILD/tiny_vmm" -r 20000 -t 30 -q >/dev/null & vm=$!
fi

# Both counting paths where the build has BPF: names end in _bpf, _perf
paths="-"
$KVM_STAT --help 2>&1 | grep -q -- --no-bpf && paths="bpf perf"
path_opts() {
	case $1 in
	bpf) opt= sfx=_bpf ;;
	perf) opt=--no-bpf sfx=_perf ;;
	*) opt= sfx= ;;
	esac
}
# The closer of the last run (see ours_running) must not slow the next
wait_closer() {
	while ours_running; do sleep 0.05; done
}
median() { percentile 50 | awk '{ printf "%.0f", $1 }'; }

# One round of PATH's figures, each appended to $tmp/NAME$sfx:
# -1's wall time; then a log run of 3 s: its CPU time per refresh over
# the last 2 s (after the set-up; /proc/PID/schedstat has it in ns, where
# /proc/PID/stat's clock ticks are 10 ms), its max RSS, and the quit
# latency, from SIGTERM (after the last line) to the process gone
measure() {
	local t0 t1 pid run0= run1= lines0 lines1
	path_opts $1
	now_us t0
	$KVM_STAT $opt -1 -t > /dev/null
	now_us t1
	ms $t0 $t1 >> "$tmp/once$sfx"
	wait_closer

	$KVM_STAT $opt -l -t -s 0.1 > "$tmp/log" & pid=$!
	sleep 1
	read -r run0 _ 2>/dev/null < /proc/$pid/schedstat
	lines0=$(grep -c '^[0-9]' "$tmp/log")
	sleep 2
	read -r run1 _ 2>/dev/null < /proc/$pid/schedstat
	lines1=$(grep -c '^[0-9]' "$tmp/log")
	awk '/^VmHWM/ { print $2 }' /proc/$pid/status >> "$tmp/rss$sfx"
	now_us t0
	kill $pid
	wait $pid
	now_us t1
	echo $((t1 - t0)) >> "$tmp/quit$sfx"	# µs
	# no schedstat (a kernel without CONFIG_SCHED_INFO): no figure
	[ -n "$run0" ] && [ -n "$run1" ] && [ "$lines1" -gt "$lines0" ] &&
		echo $(( (run1 - run0) / 1000 / (lines1 - lines0) )) >> "$tmp/cpu$sfx"
	wait_closer
}

# The medians of ROUNDS (3) rounds, the paths interleaved: a single run
# on this shared machine can be 10 % off, or 2 ms in quitting
for round in $(seq "${ROUNDS:-3}"); do
	for path in $paths; do
		measure $path
	done
done
for path in $paths; do
	path_opts $path
	echo "tracepoint_once_wall$sfx: $(median < "$tmp/once$sfx") ms"
	echo "tracepoint_quit_latency$sfx: $(median < "$tmp/quit$sfx" |
		awk '{ printf "%.1f", $1 / 1000 }') ms"
	[ -s "$tmp/cpu$sfx" ] &&
		echo "tracepoint_refresh_cpu$sfx: $(median < "$tmp/cpu$sfx") us"
	echo "tracepoint_max_rss$sfx: $(median < "$tmp/rss$sfx") KB"
done
[ -n "$vm" ] && kill $vm 2>/dev/null
wait 2>/dev/null
exit 0
