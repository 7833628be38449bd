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
passed=$(grep -c '^ok ' "$log")
skipped=$(grep -c '^ok .* # skip' "$log")
failed=$(grep -c '^not ok ' "$log")
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$status" = 0 ]
