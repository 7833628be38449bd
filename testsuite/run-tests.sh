#!/bin/bash
# Runs the bats suite on $KVM_STAT, then (if MIN_KVM_STAT is set) the
# files that apply to a minimal build on that one, and ends with the plain
# "N passed, N failed, N skipped" line over both. Mounts debugfs and
# tracefs first when root and they are missing (the real-KVM tests need
# them), saying so.
cd "$(dirname "$0")/.." || exit 1
if [ "$(id -u)" = 0 ]; then
	if ! grep -q ' debugfs ' /proc/mounts && [ -d /sys/kernel/debug ]; then
		echo "mounting debugfs on /sys/kernel/debug"
		mount -t debugfs debugfs /sys/kernel/debug
	fi
	if ! grep -q ' tracefs ' /proc/mounts && [ -d /sys/kernel/tracing ]; then
		echo "mounting tracefs on /sys/kernel/tracing"
		mount -t tracefs tracefs /sys/kernel/tracing
	fi
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# The processes of the binaries under test: kvm_stat (both builds; its
# perf closers are copies of it) and the test VMM, told apart by their
# executable, so that other work on this machine (other trees' suites)
# is never taken for ours. "PID EXE" per line.
bins=""
for b in "${KVM_STAT:-./kvm_stat}" "$MIN_KVM_STAT" "${BUILD:-build}/tiny_vmm"; do
	b=${b%% *}	# "build/busybox/busybox kvm_stat": the binary
	[ -n "$b" ] && [ -e "$b" ] && bins="$bins $(readlink -f "$b")"
done
our_procs() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case " $bins " in *" $exe "*) echo "${p#/proc/} $exe" ;; esac
	done
}
# Those started since the suite began (not in $before)
new_procs() {
	our_procs | grep -vxF -f <(printf '%s\n' "$before")
}
before=$(our_procs)

run_suite() {
	echo "# suite on: ${KVM_STAT:-./kvm_stat}"
	# shellcheck disable=SC2086
	bats --tap $1 | tee -a "$log"
	[ "${PIPESTATUS[0]}" = 0 ] || status=1
}

run_suite "${TESTS:-testsuite/*.bats}"
# the tracepoint tests again on the perf path (the first run took BPF
# where the kernel allows it)
if [ -z "$TESTS" ] && ${KVM_STAT:-./kvm_stat} --help 2>&1 | grep -q -- --no-bpf; then
	KVM_STAT="${KVM_STAT:-./kvm_stat} --no-bpf" run_suite testsuite/tracepoint.bats
fi
if [ -n "$MIN_KVM_STAT" ] && [ -z "$TESTS" ]; then
	KVM_STAT=$MIN_KVM_STAT run_suite "testsuite/cli.bats testsuite/debugfs.bats testsuite/log.bats testsuite/tui.bats testsuite/build.bats"
fi
# Every test ends what it starts. The one exception is by design: the
# closer a tracepoint run forks to release its perf counters, detached in
# a session of its own, ends by itself within seconds (~3.4 s with all
# kvm events here); it gets 30 s. Anything else, or a closer still there
# after that, is a failure.
leftovers=$(new_procs)
for i in $(seq 300); do
	[ -z "$leftovers" ] && break
	sleep 0.1
	leftovers=$(new_procs)
done
if [ -z "$leftovers" ]; then
	echo "ok - no kvm_stat or tiny_vmm process left behind" | tee -a "$log"
else
	echo "not ok - processes left behind (30 s after the suite):" | tee -a "$log"
	# shellcheck disable=SC2086
	ps -o pid,ppid,sid,etimes,stat,args -p "$(echo "$leftovers" | cut -d' ' -f1 | paste -sd,)" |
		sed 's/^/#   /'
	status=1
fi
passed=$(grep -c '^ok ' "$log")
skipped=$(grep -c '^ok .* # skip' "$log")
failed=$(grep -c '^not ok ' "$log")
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$status" = 0 ]
