#!/bin/bash
# Tracepoint figures for `make bench`, one "name: value unit" line each:
# -1 wall time with every kvm event, quit latency, CPU per refresh with
# every event on all online cpus, max RSS. Needs tracefs with kvm events.
cd "$(dirname "$0")/.." || exit 1
KVM_STAT=${KVM_STAT:-./kvm_stat}
BUILD=${BUILD:-build}
tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
if [ -z "$tracefs" ] || [ ! -d "$tracefs/events/kvm" ]; then
	echo "tracepoint benchmarks skipped: no tracefs or no kvm events" >&2
	exit 0
fi
ms() { echo $(( ($2 - $1) / 1000000 )); }
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
for path in $paths; do
	case $path in
	bpf) opt= sfx=_bpf ;;
	perf) opt=--no-bpf sfx=_perf ;;
	*) opt= sfx= ;;
	esac
	t0=$(date +%s%N)
	$KVM_STAT $opt -1 -t > /dev/null
	t1=$(date +%s%N)
	echo "tracepoint_once_wall$sfx: $(ms $t0 $t1) ms"

	# Quit latency: from SIGTERM (after the last line) to the process gone
	$KVM_STAT $opt -l -t -s 0.1 > "$tmp/log" & pid=$!
	sleep 3
	stat=($(cat /proc/$pid/stat))
	ticks=$(( ${stat[13]} + ${stat[14]} ))
	rss=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)
	t0=$(date +%s%N)
	kill $pid
	wait $pid
	t1=$(date +%s%N)
	lines=$(grep -c '^[0-9]' "$tmp/log")
	echo "tracepoint_quit_latency$sfx: $(ms $t0 $t1) ms"
	hz=$(getconf CLK_TCK)
	[ "$lines" -gt 0 ] &&
		echo "tracepoint_refresh_cpu$sfx: $(( ticks * 1000000 / hz / lines )) us"
	echo "tracepoint_max_rss$sfx: $rss KB"
done
[ -n "$vm" ] && kill $vm 2>/dev/null
wait 2>/dev/null
exit 0
