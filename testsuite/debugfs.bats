#!/usr/bin/env bats
# The debugfs provider and batch output (-1), on fake host trees.
# Expected lines are computed here from the values the test writes.

load helpers

setup() {
	require_feature debugfs DEBUGFS
	fixture
}

teardown() {
	end_bg
}

# Runs "kvm_stat ARGS" in the background and, once it has taken its
# first sample (it then sleeps in ppoll for its one second), runs the
# fixture commands given after "--", then waits for the output.
batch_with_change() {
	local args=() i
	while [ "$1" != "--" ]; do args+=("$1"); shift; done
	shift
	start_bg "${args[@]}"
	wait_for 10 in_poll "$BG"
	while [ $# -gt 0 ]; do
		fx $1
		shift
	done
	wait "$BG"
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

@test "-1 -i: totals are the sums over the VMs, sorted, vcpu dirs and exempt files ignored" {
	fx vm 100 7 exits=10 io_exits=4 halt_exits=1
	fx vm 200 9 exits=32 io_exits=20 mmio_exits=3 irq_exits=abc
	run --separate-stderr kvm_stat -d -1 -i
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	expected=$(
		batch_line exits $((10 + 32)) 0
		batch_line halt_exits 1 0
		batch_line io_exits $((4 + 20)) 0
		batch_line irq_exits 0 0
		batch_line mmio_exits 3 0
		batch_line signal_exits 0 0
	)
	[ "$output" = "$expected" ]
}

@test "-1: totals count from the start, deltas over the second" {
	fx vm 100 7 exits=1000 io_exits=500
	batch_with_change -d -1 -f 'exits|io' -- "set 100-7 exits=1250 io_exits=600"
	expected=$(
		batch_line exits 250 250
		batch_line io_exits 100 100
	)
	[ "$output" = "$expected" ]
}

@test "-1 -i: totals include the past, deltas over the second" {
	fx vm 100 7 exits=1000
	batch_with_change -d -1 -i -f 'exits' -- "set 100-7 exits=1042"
	[ "$output" = "$(batch_line exits 1042 42)" ]
}

@test "-f is anchored at the start of the name (Python re.match)" {
	fx vm 100 7 exits=5 io_exits=6 halt_exits=7
	run kvm_stat -d -1 -i -f 'exits'
	[ "$output" = "$(batch_line exits 5 0)" ]
	run kvm_stat -d -1 -i -f '.*_exits$'
	[ "${#lines[@]}" -eq 5 ]
	run kvm_stat -d -1 -i -f 'io_|halt'
	[ "$output" = "$(batch_line halt_exits 7 0; batch_line io_exits 6 0)" ]
}

@test "-p PID selects exactly PID-*, not 1PID-* or PID0-*" {
	fx vm 123 5 exits=1
	fx vm 1123 7 exits=10
	fx vm 1230 8 exits=100
	run kvm_stat -d -1 -i -p 123 -f exits
	[ "$output" = "$(batch_line exits 1 0)" ]
	run kvm_stat -d -1 -i -p 1123 -f exits
	[ "$output" = "$(batch_line exits 10 0)" ]
}

@test "-g NAME finds the QEMU process by -name, both forms, ',,' escaping" {
	fx proc 301 qemu-system-x86_64 -m 1G -name guest=web,debug-threads=on
	fx proc 302 qemu-system-x86_64 -name db,,main -smp 2
	fx proc 303 qemu-system-x86_64 -name guest=x,db
	fx vm 301 10 exits=3
	fx vm 302 11 exits=5
	fx vm 303 12 exits=7
	run kvm_stat -d -1 -i -g web -f exits
	[ "$output" = "$(batch_line exits 3 0)" ]
	run kvm_stat -d -1 -i -g db,main -f exits
	[ "$output" = "$(batch_line exits 5 0)" ]
	# a plain name after guest= wins, as in the reference
	run kvm_stat -d -1 -i -g db -f exits
	[ "$output" = "$(batch_line exits 7 0)" ]
}

@test "-f help lists the counters, exempt ones excluded" {
	run --separate-stderr kvm_stat -d -f help
	[ "$status" -eq 0 ]
	expected=$(printf '  %s\n' exits halt_exits io_exits irq_exits mmio_exits signal_exits)
	[ "$output" = "$expected" ]
}

@test "no VM running: no lines (as the reference)" {
	run --separate-stderr kvm_stat -d -1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "a VM that starts during the second counts from its first sight" {
	fx vm 100 7 exits=10
	batch_with_change -d -1 -i -f exits -- "vm 200 3 exits=50"
	[ "$output" = "$(batch_line exits 10 0)" ]
}

@test "a VM that goes away takes its counts with it" {
	fx vm 100 7 exits=10
	fx vm 200 3 exits=50
	batch_with_change -d -1 -i -f exits -- "rmvm 200-3"
	[ "$output" = "$(batch_line exits 10 -50)" ]
}

@test "an unparseable counter counts as 0, the others still count" {
	fx vm 100 7 exits=garbage io_exits=12 halt_exits=
	run --separate-stderr kvm_stat -d -1 -i -f 'exits|io_exits|halt'
	[ "$status" -eq 0 ]
	[ "$output" = "$(batch_line exits 0 0; batch_line halt_exits 0 0; batch_line io_exits 12 0)" ]
}

@test "s390: instruction_* are children of exit_instruction" {
	export FIELDS="exit_instruction instruction_lctl instruction_sie"
	fixture arch=s390x
	fx vm 100 1 exit_instruction=9 instruction_lctl=4 instruction_sie=5
	run kvm_stat -d -1 -i -f instruction_sie
	# the parent of a wanted child is added, children print their own name
	[ "$output" = "$(batch_line exit_instruction 9 0; batch_line instruction_sie 5 0)" ]
}

# An unprivileged user cannot read mode 000 files: the EPERM of kernel
# lockdown, as far as a test tree can show it.
run_as_nobody() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	is_root || skip "needs root to switch to an unprivileged user"
	FX2=$(mktemp -d /tmp/kvm_stat_fx.XXXXXX)
	cp -a "$FX/." "$FX2/"
	chmod -R a+rX "$FX2"
	chmod 755 "$FX2"
	mkdir -p "$FX2/proc/100"	# for -p 100
	"$@"
	KVM_STAT_ROOT=$FX2 run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups $KVM_STAT -d -1 -i -f 'exits|io' $PID_ARGS
	rm -rf "$FX2"
}

@test "unreadable counters: one warning naming lockdown, left out, the rest counts" {
	fx vm 100 7 exits=8 io_exits=3
	run_as_nobody true
	[ "$status" -eq 0 ]
	# control: all readable, no warning
	[ -z "$stderr" ]
	[ "$output" = "$(batch_line exits 8 0; batch_line io_exits 3 0)" ]
	# all guests: the global files are read
	make_unreadable() { chmod 000 "$FX2/sys/kernel/debug/kvm/io_exits"; }
	run_as_nobody make_unreadable
	[ "$status" -eq 0 ]
	[ "$output" = "$(batch_line exits 8 0)" ]
	[ "$stderr" = "kvm_stat: 1 debugfs counters are not readable (kernel lockdown or Secure Boot?) and left out: use tracepoints (-t)" ]
	# one guest (-p): its own files are read
	make_unreadable() { chmod 000 "$FX2/sys/kernel/debug/kvm/100-7/io_exits"; }
	PID_ARGS="-p 100" run_as_nobody make_unreadable
	[ "$status" -eq 0 ]
	[ "$output" = "$(batch_line exits 8 0)" ]
	[ "$stderr" = "kvm_stat: 1 debugfs counters are not readable (kernel lockdown or Secure Boot?) and left out: use tracepoints (-t)" ]
}

@test "no counter readable at all: an error, non-zero exit" {
	fx vm 100 7 exits=8
	make_unreadable() { chmod 000 "$FX2"/sys/kernel/debug/kvm/* "$FX2"/sys/kernel/debug/kvm/100-7/*; }
	run_as_nobody make_unreadable
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: debugfs counters in $FX2/sys/kernel/debug/kvm are not readable (kernel lockdown or Secure Boot?): use tracepoints (-t)" ]
}

@test "real host under kernel lockdown: -d is an error, not zeros" {
	local kvm=/sys/kernel/debug/kvm
	unset KVM_STAT_ROOT
	[ -d $kvm ] || skip "no $kvm on this host"
	cat $kvm/exits >/dev/null 2>&1 && skip "debugfs counters are readable here (no lockdown)"
	# lockdown denies the 0644 counters; exits is one of them
	run --separate-stderr kvm_stat -d -1 -f 'exits$'
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: debugfs counters in $kvm are not readable (kernel lockdown or Secure Boot?): use tracepoints (-t)" ]
	# with every counter: the 0444 ones read, the others are named
	denied=0
	for f in $kvm/*; do
		[ -f "$f" ] || continue
		case ${f##*/} in halt_poll_fail_ns|halt_poll_success_ns|halt_wait_ns) continue ;; esac
		cat "$f" >/dev/null 2>&1 || denied=$((denied + 1))
	done
	run --separate-stderr kvm_stat -d -1
	[ "$status" -eq 0 ]
	[ "$stderr" = "kvm_stat: $denied debugfs counters are not readable (kernel lockdown or Secure Boot?) and left out: use tracepoints (-t)" ]
	# no number that was not read: no line names an unreadable counter
	# (lines only come while a VM runs, as in the reference)
	local name rest
	while read -r name rest; do
		[ -z "$name" ] || cat "$kvm/$name" >/dev/null 2>&1 ||
			{ echo "shown, but not readable: $name"; false; }
	done <<< "$output"
	# -f help marks them
	run --separate-stderr kvm_stat -d -f help
	[ "$(grep -c ' (not readable)$' <<< "$output")" = "$denied" ]
}

@test "many VMs: the descriptor limit is raised, or reads fall back to open/close" {
	local i sum=0
	for i in $(seq 1 40); do
		fx vm $((1000 + i)) 1 exits=$i
		sum=$((sum + i))
	done
	# 40 VMs x 6 counters do not fit in 64 descriptors: the fallback path
	run bash -c "ulimit -n 64; $KVM_STAT -d -1 -i -f exits"
	[ "$status" -eq 0 ]
	[ "$output" = "$(batch_line exits $sum 0)" ]
}
