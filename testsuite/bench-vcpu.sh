#!/bin/bash
# make bench, per-vCPU part: the refresh cost of -v at 64 vCPUs. The test
# VMM runs 64 paced vCPUs (100 loops/s each: ~19k tracepoint hits/s on the
# counted events); kvm_stat -l -v -s 0.1 -p logs them for a few seconds;
# its CPU time (set-up included) over its refreshes. Once on the path a
# plain run takes (BPF where the kernel allows it), once on perf counters.
# Needs root, /dev/kvm and tracefs; says why when it skips.
cd "$(dirname "$0")/.." || exit 1
KVM_STAT=${KVM_STAT:-./kvm_stat}
BUILD=${BUILD:-build}
VMM=$BUILD/tiny_vmm
tmp=$(mktemp -d)
vm=
trap '[ -n "$vm" ] && kill $vm 2>/dev/null; rm -rf "$tmp"' EXIT

skip() {
	echo "vcpu_bench: skipped ($1)"
	exit 0
}
[[ $($KVM_STAT --help 2>&1) == *"	-v	"* ]] || skip "no -v in this build"
[ -c /dev/kvm ] && [ -x "$VMM" ] || skip "no /dev/kvm or no $VMM"
[ "$(id -u)" = 0 ] || skip "not root"

"$VMM" -c 64 -r 100 -t 60 -q -name guest=bench64 > /dev/null &
vm=$!
for _ in $(seq 100); do
	[ "$(ls /proc/$vm/task 2>/dev/null | wc -l)" -ge 65 ] && break
	sleep 0.05
done

# bench_path NAME OPTS...
bench_path() {
	local name=$1 out=$tmp/log.out pid run= records secs=4
	shift
	$KVM_STAT "$@" -l -v -s 0.1 -p $vm -f 'kvm_userspace_exit|kvm_pio' \
		> "$out" 2>&1 &
	pid=$!
	sleep $secs
	read -r run _ 2>/dev/null < "/proc/$pid/schedstat"	# CPU time, ns
	kill -INT $pid
	wait $pid
	records=$(($(grep -c ' all$' "$out") + 1))
	[ -n "$run" ] && awk -v t="$run" -v n="$records" -v p="$name" \
		'BEGIN { printf "vcpu64_%s_cpu_per_refresh: %.2f ms\n", p, t / 1e6 / n }'
	echo "vcpu64_${name}_vcpu_lines: $(($(grep -c '/KVM$' "$out") / (records - 1))) count"
}

if [[ $($KVM_STAT --help 2>&1) == *--no-bpf* ]]; then
	bench_path bpf
fi
bench_path perf --no-bpf
