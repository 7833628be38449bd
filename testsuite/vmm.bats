#!/usr/bin/env bats
# Tests of the test VMM itself (testsuite/vmm/tiny_vmm.c): exact exit counts,
# options, signals, errors. kvm_stat's own tests rely on these properties.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	VMM=${BUILD:-build}/tiny_vmm
	case $VMM in
	/*) ;;
	*) VMM=$BATS_TEST_DIRNAME/../$VMM ;;
	esac
	[ -x "$VMM" ] || {
		echo "$VMM not built: run 'make vmm'" >&2
		return 1
	}
	OUT=$BATS_TEST_TMPDIR/vmm.out
}

# A VMM a failed test left running: ended, not left behind (-t 30, -w 30)
teardown() {
	local p
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null || true
}

# run_vmm ARGS: bats' run of the VMM, stderr apart; says what it got, which
# bats shows when the test fails (a status alone does not say why)
run_vmm() {
	run --separate-stderr "$VMM" "$@"
	echo "tiny_vmm $*: status $status, stderr: ${stderr:-(none)}"
}

need_kvm() {
	[ -c /dev/kvm ] || skip "/dev/kvm absent: no KVM on this host"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
		skip "/dev/kvm not readable and writable by $(id -un)"
}

# Exact stdout of a run of LOOPS loops on VCPUS vCPUs: 2 outs + 1 hlt each
expected_totals() {
	local loops=$(($1 * $2))
	printf 'io_exits %d\nhlt_exits %d\nexits %d' \
		$((2 * loops)) $loops $((3 * loops))
}

# The value of "KEY N" in the output file
field() {
	sed -n "s/^$1 //p" "$OUT"
}

# A started VMM prints "pid N" once the VM runs
wait_for_pid_line() {
	wait_for 10 grep -q '^pid ' "$OUT"
}

# With -w the totals come while the process lingers: wait for the last line
wait_for_totals() {
	wait_for 10 grep -q '^exits ' "$OUT"
}

# Milliseconds since an earlier $(date +%s%N)
ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

# Totals of a stopped run must be internally consistent: whole loops only
assert_whole_loops() {
	local io hlt exits
	io=$(field io_exits) hlt=$(field hlt_exits) exits=$(field exits)
	[ -n "$hlt" ] && [ "$hlt" -gt 0 ]
	[ "$io" -eq $((2 * hlt)) ]
	[ "$exits" -eq $((io + hlt)) ]
}

@test "vmm: -l 1000 gives exactly 2000 io, 1000 hlt, 3000 exits" {
	need_kvm
	"$VMM" -l 1000 >"$OUT" &
	local pid=$!
	wait $pid
	[ "$(cat "$OUT")" = "pid $pid
$(expected_totals 1000 1)" ]
}

@test "vmm: default is 1000 loops" {
	need_kvm
	run_vmm
	[ "$status" -eq 0 ]
	[ "${lines[0]%% *}" = pid ]
	[ "${output#*$'\n'}" = "$(expected_totals 1000 1)" ]
	[ -z "$stderr" ]
}

@test "vmm: exact counts for an odd loop count" {
	need_kvm
	local loops=$((RANDOM % 500 + 1))
	run_vmm -l $loops
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals $loops 1)" ]
}

@test "vmm: -c 2 doubles the counts, -c 3 triples them" {
	need_kvm
	run_vmm -l 500 -c 2
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 500 2)" ]
	run_vmm -l 333 -c 3
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 333 3)" ]
}

@test "vmm: -q prints nothing" {
	need_kvm
	run_vmm -q -l 10
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "vmm: kernel tracepoints count what the VMM reports" {
	need_kvm
	command -v perf >/dev/null || skip "perf not installed"
	[ -d /sys/kernel/tracing/events/kvm ] ||
		[ -d /sys/kernel/debug/tracing/events/kvm ] ||
		skip "no kvm tracepoints in tracefs"
	run --separate-stderr perf stat -x, -e kvm:kvm_userspace_exit \
		-e kvm:kvm_pio -- "$VMM" -l 777 -c 2
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 777 2)" ]
	grep -qx "$((3 * 777 * 2)),,kvm:kvm_userspace_exit,.*" <<<"$stderr"
	grep -qx "$((2 * 777 * 2)),,kvm:kvm_pio,.*" <<<"$stderr"
}

@test "vmm: -name in QEMU form is accepted and kept in the cmdline" {
	need_kvm
	"$VMM" -name guest=vmmtest$$,debug-threads=on -t 5 >"$OUT" &
	local pid=$!
	wait_for_pid_line
	local cmdline
	cmdline=$(tr '\0' ' ' </proc/$pid/cmdline)
	kill $pid
	wait $pid
	[ "$cmdline" = "$VMM -name guest=vmmtest$$,debug-threads=on -t 5 " ]
	assert_whole_loops
}

@test "vmm: plain -name NAME with -l" {
	need_kvm
	run_vmm -name plain -l 5
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 5 1)" ]
}

@test "vmm: pid line names the process; one thread per vCPU" {
	need_kvm
	"$VMM" -c 2 -t 5 -r 100 >"$OUT" &
	local pid=$!
	wait_for_pid_line
	local vcpu_threads
	vcpu_threads=$(grep -c '^CPU [01]/KVM$' /proc/$pid/task/*/comm | \
		awk -F: '{ n += $2 } END { print n }')
	kill $pid
	wait $pid
	[ "$(head -n1 "$OUT")" = "pid $pid" ]
	[ "$vcpu_threads" -eq 2 ]
}

@test "vmm: vCPUs that end at once are named before they run (no ESRCH)" {
	need_kvm
	# One loop each: a thread could end before the main thread named it,
	# and pthread_setname_np failed (9 runs in 100 before the fix). 50
	# runs, each checked whole. (Not $i: bats' run sets its own.)
	local round
	for round in $(seq 50); do
		echo "run $round"
		run_vmm -c 8 -l 1
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[ "${output#*$'\n'}" = "$(expected_totals 1 8)" ]
	done
}

@test "vmm: -t ends the run after that many seconds" {
	need_kvm
	local start end
	start=$(date +%s%N)
	run_vmm -t 0.5
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$OUT"
	assert_whole_loops
	# at least the duration, and not much more (start-up is milliseconds)
	[ $(((end - start) / 1000000)) -ge 500 ]
	[ $(((end - start) / 1000000)) -lt 1500 ]
}

@test "vmm: -l ends the run before -t does" {
	need_kvm
	local start end
	start=$(date +%s%N)
	run_vmm -l 20 -t 30
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 20 1)" ]
	[ $(((end - start) / 1000000)) -lt 5000 ]
}

# Pacing follows an absolute schedule, loop k at k/RATE seconds, so a run of
# T seconds does RATE*T loops, +1 for the loop at time 0; allow 10% for a
# busy machine. Never more than the schedule allows in the time the VMM
# ran: on a loaded machine its stop at -t comes late, and the loops go on
# until then (seen: 403 with both CPUs busy).
@test "vmm: -r paces the loops per vCPU" {
	need_kvm
	local t0=${EPOCHREALTIME//[!0-9]/} us
	run_vmm -r 200 -t 1 -c 2
	us=$((${EPOCHREALTIME//[!0-9]/} - t0))
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$OUT"
	assert_whole_loops
	local hlt
	hlt=$(field hlt_exits)
	echo "hlt $hlt in $us us"
	[ "$hlt" -ge 360 ]
	[ "$hlt" -le $((2 * (200 * us / 1000000 + 1))) ]
}

@test "vmm: -r with -l runs exactly LOOPS loops, taking LOOPS/RATE seconds" {
	need_kvm
	local start end
	start=$(date +%s%N)
	run_vmm -r 50 -l 25
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 25 1)" ]
	# loop 25 ends right after loop 24, which is due at 24/50 s
	[ $(((end - start) / 1000000)) -ge 480 ]
	[ $(((end - start) / 1000000)) -lt 1500 ]
}

@test "vmm: SIGTERM ends the run early, totals still printed, exit 0" {
	need_kvm
	"$VMM" -t 30 >"$OUT" &
	local pid=$!
	wait_for_pid_line
	sleep 0.2
	local start end rc=0
	start=$(date +%s%N)
	kill -TERM $pid
	wait $pid || rc=$?
	end=$(date +%s%N)
	[ "$rc" -eq 0 ]
	assert_whole_loops
	[ $(((end - start) / 1000000)) -lt 500 ]
}

@test "vmm: SIGINT wakes a paced run at once" {
	need_kvm
	# one loop per second per vCPU: the VMM is asleep when the signal comes
	"$VMM" -r 1 -t 30 -c 2 >"$OUT" &
	local pid=$!
	wait_for_pid_line
	sleep 1.5
	local start end rc=0
	start=$(date +%s%N)
	kill -INT $pid
	wait $pid || rc=$?
	end=$(date +%s%N)
	[ "$rc" -eq 0 ]
	assert_whole_loops
	[ "$(field hlt_exits)" -eq 4 ]
	[ $(((end - start) / 1000000)) -lt 500 ]
}

@test "vmm: -w lingers after the loops, totals exact, VM still open" {
	need_kvm
	local loops=$((RANDOM % 300 + 100))
	"$VMM" -l $loops -c 2 -w 30 >"$OUT" &
	local pid=$!
	wait_for_totals
	# whatever the linger does next, the printed totals are final
	sleep 0.3
	local alive=0 fds vcpus
	kill -0 $pid 2>/dev/null && alive=1
	fds=$(ls -l /proc/$pid/fd 2>/dev/null)
	vcpus=$(grep -c 'anon_inode:kvm-vcpu:[01]$' <<<"$fds")
	kill -TERM $pid
	wait $pid
	[ "$alive" -eq 1 ]
	grep -q 'anon_inode:kvm-vm$' <<<"$fds"
	[ "$vcpus" -eq 2 ]
	[ "$(cat "$OUT")" = "pid $pid
$(expected_totals $loops 2)" ]
}

@test "vmm: SIGTERM ends the linger at once, exit 0, nothing more printed" {
	need_kvm
	"$VMM" -l 50 -w 30 >"$OUT" &
	local pid=$!
	wait_for_totals
	local start rc=0 took
	start=$(date +%s%N)
	kill -TERM $pid
	wait $pid || rc=$?
	took=$(ms_since $start)
	[ "$rc" -eq 0 ]
	[ "$took" -lt 500 ]
	[ "$(cat "$OUT")" = "pid $pid
$(expected_totals 50 1)" ]
}

@test "vmm: SIGINT ends the linger too" {
	need_kvm
	"$VMM" -l 10 -w 30 >"$OUT" &
	local pid=$!
	wait_for_totals
	local start rc=0
	start=$(date +%s%N)
	kill -INT $pid
	wait $pid || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(ms_since $start)" -lt 500 ]
	[ "$(sed 1d "$OUT")" = "$(expected_totals 10 1)" ]
}

# The kernel keeps <debugfs>/kvm/PID-FD while the VM fd is open. Under
# lockdown its files cannot be read, but the directory can be listed.
@test "vmm: the VM's debugfs directory stays while lingering, goes after" {
	need_kvm
	local dir=/sys/kernel/debug/kvm
	[ -d $dir ] || skip "debugfs kvm directory absent (debugfs not mounted?)"
	"$VMM" -l 20 -w 30 >"$OUT" &
	local pid=$!
	wait_for_totals
	sleep 0.2
	local during after
	during=$(ls -d $dir/$pid-* 2>/dev/null | wc -l)
	kill -TERM $pid
	wait $pid
	after=$(ls -d $dir/$pid-* 2>/dev/null | wc -l)
	[ "$during" -eq 1 ]
	[ "$after" -eq 0 ]
}

@test "vmm: -w SECONDS ends the linger by itself" {
	need_kvm
	local start took
	start=$(date +%s%N)
	run_vmm -l 7 -w 0.6
	took=$(ms_since $start)
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 7 1)" ]
	[ -z "$stderr" ]
	[ "$took" -ge 600 ]
	[ "$took" -lt 1600 ]
}

@test "vmm: -w 0 exits right after the loops, as without -w" {
	need_kvm
	local start
	start=$(date +%s%N)
	run_vmm -l 7 -w 0
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 7 1)" ]
	[ "$(ms_since $start)" -lt 500 ]
}

@test "vmm: -w also lingers after a run ended by -t" {
	need_kvm
	local start took
	start=$(date +%s%N)
	run_vmm -t 0.3 -w 0.5
	took=$(ms_since $start)
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$OUT"
	assert_whole_loops
	[ "$took" -ge 800 ]
	[ "$took" -lt 1800 ]
}

@test "vmm: SIGTERM during the run ends it without lingering" {
	need_kvm
	"$VMM" -r 10 -t 30 -w 30 >"$OUT" &
	local pid=$!
	wait_for_pid_line
	sleep 0.3
	local start rc=0
	start=$(date +%s%N)
	kill -TERM $pid
	wait $pid || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(ms_since $start)" -lt 500 ]
	assert_whole_loops
}

@test "vmm: missing device gives one clear error line, no output, exit 1" {
	TINY_VMM_DEV=/nonexistent/kvm run_vmm -l 1
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "tiny_vmm: /nonexistent/kvm: No such file or directory" ]
}

@test "vmm: -L gives each vCPU its loops: exact totals, one vCPU each" {
	need_kvm
	run_vmm -L 100,200,300
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 600 1)" ]
	run_vmm -L 7 -c 1
	[ "$status" -eq 0 ]
	[ "${output#*$'\n'}" = "$(expected_totals 7 1)" ]
}

# PID has N threads named as QEMU names vCPU threads
vcpu_threads_are() {
	[ "$(cat /proc/$1/task/*/comm 2>/dev/null | grep -c '^CPU [0-9]*/KVM$')" = "$2" ]
}

# The vCPU thread named NAME of PID sleeps in ppoll (-G before SIGHUP, -k
# after its loops), not in KVM_RUN
vcpu_sleeps() {
	local t
	for t in /proc/$1/task/*; do
		[ "$(cat $t/comm 2>/dev/null)" = "$2" ] || continue
		[[ $(cat $t/wchan 2>/dev/null) == *poll* ]] && return 0
	done
	return 1
}

@test "vmm: -G waits for SIGHUP with its vCPU threads named; -H starts one late; -k keeps them" {
	need_kvm
	local out=$BATS_TEST_TMPDIR/vmm.out pid
	"$VMM" -L 10,20 -G > "$out" &
	pid=$!
	wait_for 10 vcpu_threads_are $pid 2
	wait_for 10 vcpu_sleeps $pid "CPU 1/KVM"
	! grep -q '^exits ' "$out"
	kill -HUP $pid
	wait $pid
	[ "$(tail -n +2 "$out")" = "$(expected_totals 30 1)" ]
	# CPU 1's thread comes only at SIGHUP: the run waits for it
	"$VMM" -L 10,20 -H 1 > "$out" &
	pid=$!
	wait_for 10 grep -q '^pid ' "$out"
	! cat /proc/$pid/task/*/comm | grep -qx 'CPU 1/KVM'
	! grep -q '^exits ' "$out"
	kill -HUP $pid
	wait $pid
	[ "$(tail -n +2 "$out")" = "$(expected_totals 30 1)" ]
	# -k: the thread stays after its loops, until SIGTERM
	"$VMM" -L 10 -k > "$out" &
	pid=$!
	wait_for 10 grep -q '^pid ' "$out"
	wait_for 10 vcpu_sleeps $pid "CPU 0/KVM"
	kill -TERM $pid
	wait $pid
	[ "$(tail -n +2 "$out")" = "$(expected_totals 10 1)" ]
}

@test "vmm: a device that is not KVM is refused" {
	TINY_VMM_DEV=/dev/null run_vmm -l 1
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "tiny_vmm: /dev/null: not a KVM device with API version 12" ]
}

@test "vmm: bad options are usage errors (exit 2, one line)" {
	local args
	for args in "-x" "-l" "-l 0" "-l 12abc" "-l -3" "-r 0" "-t 0" \
		"-t -1" "-t x" "-c 0" "-c 65" "-w" "-w -1" "-w x" "-w 1s" \
		"-name" "-L" "-L 1,,2" "-L 1,x" "-L 1,2 -c 3" "-c 1 -L 1,2" \
		"-H" "-H 0" "-H 2 -c 1"; do
		run_vmm $args
		echo "args: $args -> $status: $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == "tiny_vmm: "*"; usage: tiny_vmm "* ]]
	done
}

@test "vmm: -h prints the usage on stdout" {
	run_vmm -h
	[ "$status" -eq 0 ]
	[ "$output" = "usage: tiny_vmm [-l LOOPS] [-L LOOPS,LOOPS...] [-r LOOPS_PER_SEC] [-t SECONDS] [-c VCPUS] [-G] [-H N] [-k] [-w SECONDS] [-s USEC] [-T PREFIX] [-name NAME] [-q]" ]
}

@test "vmm: the binary is static (it goes into the QEMU initramfs)" {
	command -v file >/dev/null || skip "file(1) not installed"
	run file -L "$VMM"
	[[ $output == *"statically linked"* ]]
}
