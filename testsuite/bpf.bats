#!/usr/bin/env bats
# The BPF counting path of the tracepoint provider, on this machine's real
# KVM: it is the default where the kernel takes it, it counts exactly what
# the perf path and the test VMM count, its descriptors do not grow with
# the CPUs, a refused program falls back to perf counters, and nothing
# stays loaded after SIGKILL. (tracepoint.bats runs on both paths.)

bats_require_minimum_version 1.5.0
load helpers

setup() {
	VMM=$BUILD/tiny_vmm
	T=$BATS_TEST_TMPDIR
}

teardown() {
	local p
	for p in ${VMS:-} ${BG:-} ${BG2:-}; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null || true
}

need_bpf() {
	require_feature tracepoints TRACEPOINTS
	[[ $($KVM_STAT --help 2>&1) == *--no-bpf* ]] ||
		skip "this build has no BPF path (FEATURE_KVM_STAT_BPF off, or no long options)"
	is_root || skip "loading BPF programs needs root"
	[ -c /dev/kvm ] || skip "/dev/kvm absent: no KVM on this host"
	grep -qw tracefs /proc/mounts || skip "tracefs not mounted"
	[ -x "$VMM" ] || skip "$VMM not built (make vmm)"
}

@test "bpf: the default path here, and -f help says so" {
	need_bpf
	run --separate-stderr kvm_stat -t -f help
	[ "$status" -eq 0 ]
	[ "$stderr" = "kvm_stat: tracepoints are counted by BPF programs" ]
	run --separate-stderr kvm_stat -t --no-bpf -f help
	[ "$stderr" = "kvm_stat: tracepoints are counted by perf counters (--no-bpf)" ]
	# and a run says nothing about a fallback
	KVM_STAT_DEBUG=1 run --separate-stderr kvm_stat -1 -t -f '^kvm_pio$'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "bpf: descriptors do not grow with the CPUs: a link per event and one map" {
	need_bpf
	require_feature log
	start_bg -l -t -s 0.2 -f '^kvm_pio$'
	wait_lines "$T/out" 2
	[ "$(fds_of $BG 'anon_inode:[perf_event]')" = 0 ]
	[ "$(fds_of $BG anon_inode:bpf_link)" = 1 ]
	[ "$(fds_of $BG anon_inode:bpf-map)" = 1 ]
	kill $BG; wait $BG || true
	# a child costs nothing: its parent's program counts its reason
	start_bg -l -t -s 0.2 -f 'kvm_userspace_exit\((HLT|IO)'
	wait_lines "$T/out" 2
	[ "$(fds_of $BG anon_inode:bpf_link)" = 1 ]
	[ "$(fds_of $BG anon_inode:bpf-map)" = 1 ]
}

@test "bpf: the same exact counts as the perf path, side by side on one guest" {
	need_bpf
	require_feature log
	local f='kvm_userspace_exit\((IO|HLT)\)|kvm_pio'
	local names="kvm_pio kvm_userspace_exit(IO) kvm_userspace_exit(HLT)"
	# a paced guest, stopped once its vCPU thread runs: both loggers are
	# set up (the perf path's per-thread groups too) before it goes on
	"$VMM" -r 500 -l 1000 > "$T/vm.out" & VMS=$!
	wait_for 5 grep -q '^pid ' "$T/vm.out"
	kill -STOP $VMS
	$KVM_STAT -l -s 0.5 -p $VMS -f "$f" > "$T/bpf" 2>&1 3>&- & BG=$!
	$KVM_STAT --no-bpf -l -s 0.5 -p $VMS -f "$f" > "$T/perf" 2>&1 3>&- & BG2=$!
	wait_lines "$T/bpf" 1
	wait_lines "$T/perf" 1
	kill -CONT $VMS
	wait $VMS
	# the loggers' next records hold the last loops: two more each
	wait_lines "$T/bpf" $(($(wc -l < "$T/bpf") + 2))
	wait_lines "$T/perf" $(($(wc -l < "$T/perf") + 2))
	kill $BG $BG2; wait $BG $BG2 || true
	local bpf perf
	bpf=$(log_sums "$T/bpf" $names)
	perf=$(log_sums "$T/perf" $names)
	echo "bpf $bpf, perf $perf"
	cat "$T/vm.out"
	[ "$bpf" = "$perf" ]
	# and they counted loops (those before the stop are not theirs): 2 io
	# and 1 hlt each
	read -r pio io hlt <<< "$bpf"
	[ "$hlt" -gt 0 ] && [ "$hlt" -le 1000 ]
	[ "$io" = $((2 * hlt)) ] && [ "$pio" = "$io" ]
}

@test "bpf: -p counts a guest exactly, vCPU threads started later included" {
	need_bpf
	require_feature log
	# the VMM is held before exec, so that kvm_stat -p is set up before
	# the guest's threads exist
	sh -c 'kill -STOP $$; exec "$0" -c 2 -l 700 -name guest=late' "$VMM" \
		> "$T/vm.out" & VMS=$!
	while [ "$(awk '{ print $3 }' /proc/$VMS/stat 2>/dev/null)" != T ]; do
		sleep 0.02
	done
	start_bg -l -s 0.3 -p $VMS -f 'kvm_userspace_exit\((IO|HLT)\)|kvm_pio'
	wait_lines "$T/out" 1
	kill -CONT $VMS
	wait $VMS
	# the logger's next records hold the last loops: two more
	wait_lines "$T/out" $(($(wc -l < "$T/out") + 2))
	kill $BG; wait $BG || true
	cat "$T/vm.out" "$T/out"
	local want
	want="$(sed -n 's/^io_exits //p' "$T/vm.out") $(sed -n 's/^io_exits //p' "$T/vm.out") $(sed -n 's/^hlt_exits //p' "$T/vm.out")"
	[ "$want" = "2800 2800 1400" ]
	[ "$(log_sums "$T/out" kvm_pio 'kvm_userspace_exit(IO)' 'kvm_userspace_exit(HLT)')" = "$want" ]
}

@test "bpf: a refused program falls back to perf counters, and says why under KVM_STAT_DEBUG" {
	need_bpf
	require_feature log
	# the guest's vCPU thread waits (-G) until the logger is set up: then
	# the perf counters it falls back to count its 600 loops exactly
	"$VMM" -G -r 2000 -l 600 > "$T/vm.out" & VMS=$!
	wait_for 5 grep -q '^pid ' "$T/vm.out"
	KVM_STAT_DEBUG=refuse-bpf $KVM_STAT -l -s 0.3 -p $VMS -f 'kvm_userspace_exit\(HLT' \
		> "$T/out" 2> "$T/err" 3>&- & BG=$!
	wait_lines "$T/out" 1
	kill -HUP $VMS
	wait $VMS
	# the logger's next records hold the last loops: two more
	wait_lines "$T/out" $(($(wc -l < "$T/out") + 2))
	kill $BG; wait $BG || true
	cat "$T/err" "$T/vm.out" "$T/out"
	# one line: what was refused, the errno, the verifier's verdict
	[ "$(cat "$T/err")" = "kvm_stat: BPF not used, counting with perf: the kernel refused the program of kvm_userspace_exit: Permission denied: R7 !read_ok" ]
	[ "$(sed -n 's/^hlt_exits //p' "$T/vm.out")" = 600 ]
	[ "$(log_sums "$T/out" 'kvm_userspace_exit(HLT)')" = 600 ]
}

@test "bpf: nothing stays loaded after SIGKILL" {
	need_bpf
	require_feature log
	command -v bpftool >/dev/null || skip "bpftool is not installed"
	start_bg -l -t -s 0.2 -f 'kvm_pio|kvm_userspace_exit'
	wait_lines "$T/out" 2
	local ids f
	# "map_id:	48", "link_id:	423", "prog_id:	482"
	ids=$(cat /proc/$BG/fdinfo/* | awk '/^(map|link|prog)_id:/ { print $1 $2 }')
	echo "$ids"
	[ "$(grep -c '^link_id' <<< "$ids")" = 2 ]
	[ "$(grep -c '^map_id' <<< "$ids")" = 1 ]
	kill -9 $BG
	wait $BG || true
	# the kernel frees them shortly after the process is gone
	for f in $ids; do
		case $f in
		map_id:*) wait_for 10 gone bpftool map show id "${f#*:}" ;;
		link_id:*) wait_for 10 gone bpftool link show id "${f#*:}" ;;
		prog_id:*) wait_for 10 gone bpftool prog show id "${f#*:}" ;;
		esac
	done
}

# The object the command shows no longer exists (the command fails)
gone() {
	! "$@" > /dev/null 2>&1
}
