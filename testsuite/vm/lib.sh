# lib.sh: helpers for the check-vm scenarios, sourced by each scenario
# (busybox sh, inside the guest). Every step that can hang runs under
# `timeout`; every check prints "ok ..." or "not ok ..." and a failed check
# makes the scenario fail at `finish` without stopping it, so one run shows
# all the mismatches.

DEBUGFS_KVM=/sys/kernel/debug/kvm
FAILED=0
# Read by /init: 0 pass, 77 skip, other fail. A KILL by the scenario
# timeout leaves no status, which /init reports as a timeout.
trap 'echo $? >/tmp/scenario.status' EXIT

say() { echo "# $*"; }

finish() {
	[ "$FAILED" = 0 ] && exit 0
	exit 1
}

skip_scenario() {
	echo "SKIP: $*"
	exit 77
}

not_ok() {
	echo "not ok $*"
	FAILED=1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		echo "ok $1 = $3"
	else
		not_ok "$1: expected $2, got $3"
	fi
}

# expect_range WHAT LOW HIGH ACTUAL (integers, bounds included)
expect_range() {
	case $4 in
	''|*[!0-9-]*) not_ok "$1: expected $2..$3, got '$4'"; return ;;
	esac
	if [ "$4" -ge "$2" ] && [ "$4" -le "$3" ]; then
		echo "ok $1 = $4 (in $2..$3)"
	else
		not_ok "$1: expected $2..$3, got $4"
	fi
}

# expect_false WHAT COMMAND...: COMMAND must fail
expect_false() {
	what=$1
	shift
	if "$@"; then
		not_ok "$what"
	else
		echo "ok $what"
	fi
}

# expect_true WHAT COMMAND...
expect_true() {
	what=$1
	shift
	if "$@"; then
		echo "ok $what"
	else
		not_ok "$what"
	fi
}

# show FILE: a command's output in the log, indented
show() {
	sed 's/^/  | /' "$1"
}

# --- kvm_stat ------------------------------------------------------------------

# ks OUT SECONDS ARGS...: kvm_stat ARGS with a deadline; stdout in OUT,
# stderr in OUT.err; fails the check if it times out or exits non-zero.
ks() {
	out=$1 secs=$2
	shift 2
	say "kvm_stat $*"
	timeout "$secs" kvm_stat "$@" >"$out" 2>"$out.err"
	rc=$?
	show "$out"
	show "$out.err"
	[ "$rc" = 0 ] || not_ok "kvm_stat $* exited $rc"
	return $rc
}

# ks_bg OUT ARGS...: kvm_stat in the background (log modes); KS_PID is set.
ks_bg() {
	out=$1
	shift
	say "kvm_stat $* &"
	kvm_stat "$@" >"$out" 2>"$out.err" &
	KS_PID=$!
}

# ks_stop [SIGNAL]: ends the background kvm_stat; it must go within 5 s.
ks_stop() {
	kill -"${1:-TERM}" "$KS_PID" 2>/dev/null
	wait_gone "$KS_PID" 5 || not_ok "kvm_stat ignored SIG${1:-TERM}"
	wait "$KS_PID" 2>/dev/null
}

# batch_total FILE FIELD, batch_delta FILE FIELD: a column of `-1` output
# ("%-42s%10d%10d": name, total, delta); "missing" if the row is absent.
batch_col() {
	awk -v name="$2" -v col="$3" \
		'$1 == name { print $col; found = 1 } END { if (!found) print "missing" }' "$1"
}
batch_total() { batch_col "$1" "$2" 2; }
batch_delta() { batch_col "$1" "$2" 3; }

# log_column_sum FILE FIELD: sum of FIELD's column over the records of a
# `-l` log (space separated, banner "name name ...", records
# "YYYY-MM-DD HH:MM:SS v v ...").
log_column_sum() {
	cat "$1" 2>/dev/null | awk -v name="$2" '
		/^[0-9][0-9][0-9][0-9]-/ { if (col) sum += $(col + 2); next }
		{ for (i = 1; i <= NF; i++) if ($i == name) col = i }
		END { print sum + 0 }'
}

# log_column_max FILE FIELD: the largest value in FIELD's column
log_column_max() {
	cat "$1" 2>/dev/null | awk -v name="$2" '
		/^[0-9][0-9][0-9][0-9]-/ { if (col && $(col + 2) > max) max = $(col + 2); next }
		{ for (i = 1; i <= NF; i++) if ($i == name) col = i }
		END { print max + 0 }'
}

# Number of records (lines starting with a date) in a log
log_records() {
	cat "$1" 2>/dev/null | grep -c '^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] '
}

# --- the test VMM ----------------------------------------------------------------
#
# tiny_vmm: each loop is out, out, hlt (2 KVM_EXIT_IO + 1 KVM_EXIT_HLT); it
# prints "pid N" first and "io_exits N", "hlt_exits N", "exits N" last.

# vmm_start TAG ARGS...: starts tiny_vmm ARGS, output in /tmp/vmm.TAG;
# waits for its "pid" line. Sets VMM_PID.
vmm_start() {
	tag=$1
	shift
	say "tiny_vmm $* &  ($tag)"
	tiny_vmm "$@" >/tmp/vmm.$tag 2>&1 &
	VMM_PID=$!
	wait_for 10 grep -q '^pid ' /tmp/vmm.$tag ||
		not_ok "tiny_vmm $tag printed no pid"
	eval "VMM_PID_$tag=$VMM_PID"
}

# vmm_frozen TAG RATE NAME: a VM that stays alive with counters that no
# longer move, so that kvm_stat -i, -p, -g can be checked exactly against
# the kernel's own counters. tiny_vmm ends as soon as its -l loops are done,
# so it runs paced at RATE loops/s (asleep between loops nearly all the
# time) and is stopped with SIGSTOP once it has done at least a second of
# them. Sets VMM_PID and FROZEN_LOOPS (the kernel's halt_exits).
vmm_frozen() {
	vmm_start "$1" -r "$2" -t 60 -name "guest=$3,debug-threads=on"
	wait_for 10 debugfs_at_least "$VMM_PID" halt_exits "$2" ||
		not_ok "VM $1 did not do $2 loops in 10 s"
	kill -STOP "$VMM_PID"
	sleep 0.2
	FROZEN_LOOPS=$(debugfs_count "$VMM_PID" halt_exits)
	eval "FROZEN_$1=$FROZEN_LOOPS"
	say "VM $1 frozen after $FROZEN_LOOPS loops"
}

# vmm_thaw TAG: ends a frozen VMM (TERM while stopped, then CONT) and waits
# for its totals. They are not exactly the frozen counts: on SIGCONT the
# vCPU thread, far behind its absolute pacing schedule, runs loops back to
# back until the main thread has handled SIGTERM (3 more loops were seen).
# tiny_vmm has no way to stay alive after its -l loops; with one, these
# checks would be exact.
vmm_thaw() {
	eval "pid=\$VMM_PID_$1"
	kill -TERM "$pid"
	kill -CONT "$pid"
	vmm_wait "$1" 10
}

# vmm_wait TAG SECONDS: waits for the VMM's exit, shows its output
vmm_wait() {
	eval "pid=\$VMM_PID_$1"
	wait_gone "$pid" "$2" || not_ok "tiny_vmm $1 still running after $2 s"
	wait "$pid" 2>/dev/null
	show /tmp/vmm.$1
}

# vmm_count TAG WHAT: a count the VMM printed at its end (io_exits,
# hlt_exits, exits)
vmm_count() {
	sed -n "s/^$2 //p" /tmp/vmm.$1 | tail -n 1
}

# --- the kernel's side -----------------------------------------------------------

debugfs_at_least() {
	[ "$(debugfs_count "$1" "$2")" -ge "$3" ]
}

# debugfs_is PID FIELD VALUE
debugfs_is() {
	[ "$(debugfs_count "$1" "$2")" = "$3" ]
}

# debugfs_count PID FIELD: sum of FIELD over the VM directories of PID
# (<debugfs>/kvm/<pid>-<fd>/FIELD)
debugfs_count() {
	cat "$DEBUGFS_KVM/$1"-*/"$2" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

vm_dirs_is() {
	[ "$(vm_dirs)" = "$1" ]
}

# vm_dirs: how many VMs debugfs shows
vm_dirs() {
	ls -d "$DEBUGFS_KVM"/[0-9]*-[0-9]* 2>/dev/null | wc -l
}

# --- waiting ---------------------------------------------------------------------

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
# A deadline, not a count of tries: under TCG a fork costs tens of ms.
wait_for() {
	deadline=$(($(date +%s) + $1 + 1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# wait_gone PID SECONDS
wait_gone() {
	wait_for "$2" pid_gone "$1"
}

pid_gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' /proc/$1/status 2>/dev/null
}

# wait_lines FILE N SECONDS: until FILE has at least N lines
wait_lines() {
	wait_for "$3" has_lines "$1" "$2"
}

has_lines() {
	[ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]
}

# need_kvm_stat, need_vmm: skip-free sanity checks
need_tools() {
	[ -c /dev/kvm ] || { not_ok "/dev/kvm missing (modules not loaded?)"; finish; }
	for tool in kvm_stat tiny_vmm; do
		[ -x /bin/$tool ] || { not_ok "/bin/$tool missing from the initramfs"; finish; }
	done
}
