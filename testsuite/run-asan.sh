#!/bin/bash
# make test-asan: run-tests.sh on a build with AddressSanitizer,
# LeakSanitizer and UBSan. Each report goes to a file of its own in
# SAN_LOGS (log_path: never into a test's output, where a test would
# take it for kvm_stat's), and every report counts as one failure in the
# closing "N passed, N failed, N skipped" line.
#
# Leak checks stay on for the TUI tests too: tui.bats ends every kvm_stat
# it started (by a key or SIGTERM) before it kills the tmux server.
# LeakSanitizer's exit-time check stops the process's threads with
# ptrace, and in a process whose terminal has gone away it was seen to
# spin forever; a process ended by a signal runs no exit-time check.
cd "$(dirname "$0")/.." || exit 1
logs=${SAN_LOGS:?SAN_LOGS: the directory for sanitizer reports}
rm -rf "$logs"
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)	# the tests change directories
# halt_on_error: the first report ends the process (it is in the log)
export ASAN_OPTIONS="log_path=$logs/asan:halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$logs/ubsan:halt_on_error=1:print_stacktrace=1"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
testsuite/run-tests.sh | tee "$out"
status=${PIPESTATUS[0]}
reports=$(find "$logs" -type f | wc -l)
for f in $(find "$logs" -type f | sort); do
	echo "# sanitizer report $f:"
	sed 's/^/#   /' "$f"
done
echo "# sanitizer reports: $reports (in $logs)"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
if [ -z "$line" ]; then
	echo "0 passed, $((reports + 1)) failed, 0 skipped"
	exit 1
fi
read -r p _ f _ s _ <<< "${line//,/}"
echo "$p passed, $((f + reports)) failed, ${s:-0} skipped"
[ "$status" = 0 ] && [ "$reports" = 0 ]
