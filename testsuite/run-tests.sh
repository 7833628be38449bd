#!/bin/bash
# Runs the bats suite and ends with the plain "N passed, N failed,
# N skipped" line. Mounts debugfs and tracefs first when root and they
# are missing (the real-KVM tests need them), saying so.
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
files=${TESTS:-testsuite/*.bats}
log=$(mktemp)
# shellcheck disable=SC2086
bats --tap $files | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -c '^ok ' "$log")
skipped=$(grep -c '^ok .* # skip' "$log")
failed=$(grep -c '^not ok ' "$log")
rm -f "$log"
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$status" = 0 ]
