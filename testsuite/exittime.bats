#!/usr/bin/env bats
# Exit handling times (-e, the TUI's 'e') on this machine: options and
# errors, and what the views say where kvm_exit never fires (PVM: these
# machines). The times themselves are checked in `make check-vm`
# (scenario 9-exit-times), where kvm_exit fires.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	SOCK=kvmstat-exittime-$$-$BATS_TEST_NUMBER
}

teardown() {
	end_bg
	tmux_end "$SOCK"
	return 0
}

has_exit_times() {
	[[ $($KVM_STAT --help 2>&1) == *"	-e	"* ]]
}

need_exit_times() {
	has_exit_times || skip "this build has no exit times (FEATURE_KVM_STAT_EXIT_TIMES off)"
}

# Where the programs can be loaded and attached
need_kvm_exit() {
	need_exit_times
	is_root || skip "loading BPF programs needs root"
	grep -qw tracefs /proc/mounts || skip "tracefs not mounted"
	local tr
	tr=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
	[ -e "$tr/events/kvm/kvm_exit/format" ] && [ -e "$tr/events/kvm/kvm_entry/id" ] ||
		skip "no kvm_exit/kvm_entry tracepoints (kvm not loaded)"
}

@test "-e: in --help and the man page" {
	need_exit_times
	run kvm_stat --help
	[[ $output == *"-e	Exit handling times"* ]]
	[[ $output == *"e	Toggle exit handling times"* ]]
	grep -qF 'BR \-e ", " \-\-exit\-times' "$TOP/docs/kvm_stat.1"
}

@test "-e without the feature: a one-line error" {
	# this build, or make test's minimal one
	if has_exit_times; then
		[ -n "${MIN_KVM_STAT:-}" ] || skip "this build has exit times"
		KVM_STAT=$MIN_KVM_STAT
		! has_exit_times || skip "$MIN_KVM_STAT has exit times"
	fi
	run -1 kvm_stat -1 -e
	[ "$output" = "kvm_stat: -e: exit times are not built in" ]
}

@test "-e with -d or -O: a one-line error" {
	need_exit_times
	run -1 kvm_stat -1 -e -d
	[ "$output" = "kvm_stat: option -e/--exit-times excludes -O and -d" ]
	run -1 kvm_stat -e -O -
	[ "$output" = "kvm_stat: option -e/--exit-times excludes -O and -d" ]
}

@test "-e --no-bpf: a clear error, status 1" {
	need_exit_times
	run -1 kvm_stat -1 -e --no-bpf
	[ "$output" = "kvm_stat: exit times need BPF programs (--no-bpf given)" ]
}

@test "-e without kvm_exit in the tracefs: a clear error" {
	need_exit_times
	fixture tracefs
	mkdir -p "$FX/sys/kernel/tracing/events/kvm/kvm_pio"
	echo 7 > "$FX/sys/kernel/tracing/events/kvm/kvm_pio/id"
	run -1 kvm_stat -1 -e
	[ "$output" = "kvm_stat: exit times need the tracepoints kvm:kvm_exit (with its reason) and kvm:kvm_entry" ]
}

@test "-1 -e: perf kvm stat's header; where kvm_exit never fires, it says so" {
	need_kvm_exit
	run --separate-stderr kvm_stat -1 -e
	[ "$status" = 0 ]
	[ "${lines[0]}" = "$(printf '%20s %10s %9s %9s %11s %11s %11s %11s' VM-EXIT \
		Samples Samples% Time% 'Min Time' 'Max Time' 'Avg time' 'p99 Time')" ]
	if [ -e /sys/module/kvm_pvm ]; then
		[ "$stderr" = "kvm_stat: no kvm_exit seen: KVM here is PVM (kvm_pvm), which never fires kvm_exit" ]
		[ "${lines[1]}" = "Total Samples:0, Total events handled time:0.00us." ]
	fi
}

@test "-l -c -e: the CSV header, one column per figure; said once that nothing fires" {
	need_kvm_exit
	start_bg -e -l -c -s 0.2
	wait_lines "$T/out" 1
	wait_for 10 test -s "$T/err"
	[ "$(head -n 1 "$T/out")" = "timestamp,exit_reason,samples,samples_pct,time_pct,min_us,max_us,avg_us,p99_us" ]
	if [ -e /sys/module/kvm_pvm ]; then
		wait_for 10 grep -q 'never fires kvm_exit' "$T/err"
		[ "$(wc -l < "$T/err")" = 1 ]
	fi
	kill "$BG"
	wait "$BG" || true
}

@test "-l -e after a stop (SIGSTOP, Ctrl-Z): one table at once, then the rhythm, no burst" {
	need_kvm_exit
	start_bg -e -l -s 0.1
	wait_for 10 grep -q '^Total Samples:' "$T/out"
	no_burst_after_stop grep -c '^Total Samples:' "$T/out"
}

@test "-L -c -e: the header only at the top of the file" {
	need_kvm_exit
	printf 'old\n' > "$T/f.csv"
	start_bg -e -L "$T/f.csv" -c -s 0.2
	wait_for 10 test -s "$T/err"
	kill "$BG"
	wait "$BG" || true
	[ "$(cat "$T/f.csv")" = old ]
}

@test "TUI 'e': the exit-time view, its header, what it sees; 'e' again: counts" {
	need_kvm_exit
	command -v tmux >/dev/null || skip "tmux is not installed"
	tmux -L "$SOCK" -f /dev/null new-session -d -x 80 -y 24 -s t \
		"TERM=screen $KVM_STAT -s 0.5; sleep 600"
	wait_for 10 tmux_has ' Event '
	tmux -L "$SOCK" send-keys -t t e
	wait_for 10 tmux_has ' Exit reason +Count +Count% +Time% +Avg us +Max us +p99 us'
	if [ -e /sys/module/kvm_pvm ]; then
		wait_for 10 tmux_has 'no kvm_exit seen: KVM here is PVM'
	fi
	tmux -L "$SOCK" send-keys -t t e
	wait_for 10 tmux_has ' Event +Total +%Total +CurAvg/s'
	tmux -L "$SOCK" send-keys -t t q
	wait_for 10 ! pgrep -x kvm_stat -P "$(tmux -L "$SOCK" list-panes -F '#{pane_pid}')"
}

tmux_has() {
	tmux -L "$SOCK" capture-pane -p -t t | grep -Eq -- "$1"
}

# The programs themselves, where kvm_exit never fires: testsuite/
# exit_selftest.c hangs them on kvm_userspace_exit and kvm_pio around the
# test VMM's 2 ms sleep after each HLT, and checks counts, sum, min, max
# and histogram
@test "the exit-time programs time a known sleep exactly (on stand-in tracepoints)" {
	need_kvm_exit
	[ -c /dev/kvm ] || skip "no /dev/kvm"
	[ -x "$BUILD/tiny_vmm" ] || skip "$BUILD/tiny_vmm not built (make vmm)"
	grep -q 'EXIT_TIMES 1' "$BUILD/autoconf.h" 2>/dev/null ||
		skip "$BUILD is configured without exit times"
	[ -x "$BUILD/exit_selftest" ] || skip "no $BUILD/exit_selftest (make test builds it)"
	local tr
	tr=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
	run "$BUILD/exit_selftest" "$tr" "$BUILD/tiny_vmm" 200 2000
	echo "$output"
	[ "$status" = 0 ]
	[ "${lines[-1]}" = "7 passed, 0 failed" ]
}
