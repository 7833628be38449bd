# lib.sh: helpers for the check-vm scenarios, sourced by each scenario
# (busybox sh, inside the guest). Every step that can hang runs under
# `timeout`; every check prints "ok ..." or "not ok ..." and a failed check
# makes the scenario fail at `finish` without stopping it, so one run shows
# all the mismatches.

DEBUGFS_KVM=/sys/kernel/debug/kvm
FAILED=0

# One loop of the test VMM (testsuite/vmm/tiny_vmm.c), by architecture: an
# exit that happens twice a loop and one that happens once, as the VMM
# names them in its totals, as debugfs fields, as kvm_exit children (the
# kernel's exit codes: SVM's, arm64's ESR_ELx_EC_*) and as
# kvm_userspace_exit children; the returns from KVM_RUN the VMM sees per
# loop and the VM exits the kernel counts in debugfs `exits` per loop;
# FOREIGN_EXITS, names that must not appear (another table's).
case $(uname -m) in
aarch64)
	# 2 MMIO writes (to user space) and 1 HVC (answered by KVM)
	VMM_PAIR=mmio_exits VMM_ONCE=hvc_exits
	DFS_PAIR=mmio_exit_user DFS_ONCE=hvc_exit_stat
	EXIT_PAIR='kvm_exit(DABT_LOW)' EXIT_ONCE='kvm_exit(HVC64)'
	USER_PAIR='kvm_userspace_exit(MMIO)' USER_ONCE=
	VMM_RETURNS=2 KERNEL_EXITS=3
	FOREIGN_EXITS='^kvm_exit\((IOIO|HLT|IO_INSTRUCTION)\)'
	;;
*)
	# 2 port writes and 1 hlt, all to user space (no in-kernel irqchip)
	VMM_PAIR=io_exits VMM_ONCE=hlt_exits
	DFS_PAIR=io_exits DFS_ONCE=halt_exits
	EXIT_PAIR='kvm_exit(IOIO)' EXIT_ONCE='kvm_exit(HLT)'
	USER_PAIR='kvm_userspace_exit(IO)' USER_ONCE='kvm_userspace_exit(HLT)'
	VMM_RETURNS=3 KERNEL_EXITS=3
	# VMX names under SVM
	FOREIGN_EXITS='IO_INSTRUCTION'
	;;
esac
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
# tiny_vmm: each loop is out, out, hlt (2 KVM_EXIT_IO + 1 KVM_EXIT_HLT) on
# x86, hvc, MMIO write, MMIO write on arm64; it prints "pid N" first and
# "$VMM_PAIR N", "$VMM_ONCE N", "exits N" last.

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

# vmm_done TAG LOOPS NAME: a VM that did exactly LOOPS loops and now holds
# still: tiny_vmm -w keeps its VM open after the loops (debugfs directory
# and counters stay), so kvm_stat -i, -p, -g can be checked exactly against
# the VMM's printed totals. Waits for those totals (the VM is idle from
# then on). Sets VMM_PID; end it with vmm_end.
vmm_done() {
	vmm_start "$1" -l "$2" -w 100 -name "guest=$3,debug-threads=on"
	wait_for 30 grep -q '^exits ' /tmp/vmm.$1 ||
		not_ok "tiny_vmm $1 did not finish $2 loops in 30 s"
	say "VM $1 idle after $(vmm_count "$1" $VMM_ONCE) loops"
}

# vmm_end TAG: ends a lingering VMM with SIGTERM (within 5 s under TCG;
# the bats tests time it on the host)
vmm_end() {
	eval "pid=\$VMM_PID_$1"
	kill -TERM "$pid"
	vmm_wait "$1" 5
}

# expect_exits WHAT LOOP_EXITS DEBUGFS_EXITS: debugfs `exits` counts every
# VM exit: the loops' (KERNEL_EXITS per loop; on x86 each reaches the VMM,
# on arm64 the HVC does not) and more. Under QEMU's emulated SVM the kernel also
# handles a few exits itself: a nested page fault as the guest first
# touches its page, host interrupts arriving while a vCPU is in the guest
# (scenario 3's log shows them as kvm_exit(NPF) and kvm_exit(INTR)). Seen:
# 2 to 8 per VM (DESIGN.md: 3006 for 1000 loops). So debugfs may be ahead
# by a few, never behind; EXITS_SLACK is well above what was seen and well
# below the scenarios' smallest LOOPS, so an extra exit per loop (a
# counter counting twice, a VMM miscounting) still fails.
#
# On the emulated arm64 host the extra exits are host interrupts taken
# while a vCPU runs (kvm_exit(UNKNOWN): IRQ exits carry no ESR class), at
# the host's 250 Hz tick: seen 4 to 23 per VM, more on a busier machine.
# Its slack is 100, still below 250 loops.
expect_exits() {
	expect_range "$1" "$2" $(($2 + EXITS_SLACK)) "$3"
}
case $(uname -m) in
aarch64) EXITS_SLACK=100 ;;
*) EXITS_SLACK=50 ;;
esac

# vmm_wait TAG SECONDS: waits for the VMM's exit, shows its output
vmm_wait() {
	eval "pid=\$VMM_PID_$1"
	wait_gone "$pid" "$2" || not_ok "tiny_vmm $1 still running after $2 s"
	wait "$pid" 2>/dev/null
	show /tmp/vmm.$1
}

# vmm_count TAG WHAT: a count the VMM printed at its end ($VMM_PAIR,
# $VMM_ONCE, exits)
vmm_count() {
	sed -n "s/^$2 //p" /tmp/vmm.$1 | tail -n 1
}

# exact_log PATH [ARGS...]: kvm_stat -t -l ARGS over a VM's whole life,
# exact against the VMM's counts. The banner appears after kvm_stat's
# first read, the VM starts after it and ends before the last record, so
# the records' deltas add up to every exit of the VM. PATH names the run:
# "bpf" (no ARGS: the default, which must not fall back: KVM_STAT_DEBUG
# says so on stderr) or "perf" (--no-bpf).
exact_log() {
	path=$1
	shift
	export KVM_STAT_DEBUG=1
	ks_bg /tmp/tplog -t -l -s 1 -f 'kvm_exit|kvm_userspace_exit' "$@"
	unset KVM_STAT_DEBUG
	wait_lines /tmp/tplog 2 20 || not_ok "$path: no banner and first record in 20 s"
	vmm_start once -l 700 -name guest=once
	vmm_wait once 30
	n=$(log_records /tmp/tplog)
	wait_lines /tmp/tplog $((n + 3)) 10 || not_ok "$path: log stopped"
	ks_stop
	show /tmp/tplog
	expect_eq "$path: stderr" "" "$(cat /tmp/tplog.err)"
	expect_eq "$path: $EXIT_PAIR summed over the log" "$(vmm_count once $VMM_PAIR)" \
		"$(log_column_sum /tmp/tplog "$EXIT_PAIR")"
	expect_eq "$path: $EXIT_ONCE summed over the log" "$(vmm_count once $VMM_ONCE)" \
		"$(log_column_sum /tmp/tplog "$EXIT_ONCE")"
	expect_eq "$path: $USER_PAIR summed" 1400 \
		"$(log_column_sum /tmp/tplog "$USER_PAIR")"
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
