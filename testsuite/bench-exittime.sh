#!/bin/bash
# The exit-time programs' observer effect on this host's own hardware, for
# `make bench`:
#   exit_times_observer_pct_standin   the test VMM's time for N loops
#                       with -e's two programs attached, against alone
#
# This host's KVM (PVM) never fires kvm_exit or kvm_entry. So, as
# exittime.bats's test of the programs does, testsuite/exit_selftest.c
# hangs the same programs, built from applet/kvm_stat_bpf.c, on two
# tracepoints that do fire: kvm_userspace_exit's program notes the time
# (read from a perf record, as kvm_exit's), kvm_pio's adds it up. The
# programs run 5 times a loop (3 returns to user space, 2 port writes),
# as often as on a host where the loop makes 3 kvm_exit and 3 kvm_entry.
# Where kvm_exit fires, `make check-vm` prints exit_times_observer_pct
# (scenario 11) under QEMU.
# EXITTIME_BENCH_LOOPS (60000, ~1.5 s a run here) sets the size: 19 runs.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
LOOPS=${EXITTIME_BENCH_LOOPS:-60000}

skip() { echo "exit-time benchmark skipped: $*" >&2; exit 0; }
[ "$(id -u)" = 0 ] || skip "loading BPF programs needs root"
[ -c /dev/kvm ] || skip "no /dev/kvm"
[ -x "$BUILD/tiny_vmm" ] || skip "no $BUILD/tiny_vmm (make vmm)"
grep -q 'EXIT_TIMES 1' "$BUILD/autoconf.h" 2>/dev/null ||
	skip "$BUILD is configured without exit times"
[ -x "$BUILD/exit_selftest" ] || skip "no $BUILD/exit_selftest (make exit-selftest)"
tr=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
[ -n "$tr" ] || skip "tracefs not mounted"
[ -e "$tr/events/kvm/kvm_userspace_exit/id" ] && [ -e "$tr/events/kvm/kvm_pio/id" ] ||
	skip "no kvm_userspace_exit/kvm_pio tracepoints"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# its checks first (a 2 ms sleep timed exactly), then the rounds
"$BUILD/exit_selftest" "$tr" "$BUILD/tiny_vmm" 200 2000 "$LOOPS" >"$tmp/out" 2>&1
grep '^exit_times_observer_pct_standin: ' "$tmp/out" && exit 0
echo "exit-time benchmark failed:" >&2
cat "$tmp/out" >&2
exit 1
