# 13. A CPU offline and online again (SMT switched off and on, a CPU
# taken out and back) while kvm_stat counts. The perf path has a group
# per online CPU, and the kernel takes a CPU's events off it for good when
# it goes offline: the CPU must get a new group once it is back, whether
# it was offline across reads (the online list changed) or came back
# between two (only its old group's time enabled, standing still, tells).
# Then the hits of a VMM pinned to that CPU must all count, on the perf
# path as on the BPF path (whose programs run on every CPU).
. /vm/lib.sh
need_tools
CPU=1
ONLINE=/sys/devices/system/cpu/cpu$CPU/online
[ -w "$ONLINE" ] || skip_scenario "CPU $CPU cannot go offline on this kernel (no $ONLINE)"
# the CPU back online however the scenario ends
trap 'rc=$?; echo 1 > $ONLINE; echo $rc >/tmp/scenario.status' EXIT

# hotplug PATH SECONDS_OFFLINE ARGS...: kvm_stat -l -s 2 ARGS; CPU offline
# for SECONDS_OFFLINE (0: as briefly as it goes, right after a record,
# so within one interval), online, two records more (the new group is
# open), then 300 loops of a VMM pinned to the CPU, exact
hotplug() {
	path=$1 offline=$2
	shift 2
	export KVM_STAT_DEBUG=1
	ks_bg /tmp/hp -t -l -s 2 -f 'kvm_exit|kvm_userspace_exit' "$@"
	unset KVM_STAT_DEBUG
	wait_lines /tmp/hp 2 20 || not_ok "$path: no banner and first record in 20 s"
	n=$(log_records /tmp/hp)
	wait_lines /tmp/hp $((n + 2)) 10 || not_ok "$path: log stopped"
	echo 0 > $ONLINE
	[ "$offline" = 0 ] || sleep "$offline"
	expect_eq "$path: CPU $CPU was offline" 0 "$(cat $ONLINE)"
	echo 1 > $ONLINE
	n=$(log_records /tmp/hp)
	wait_lines /tmp/hp $((n + 3)) 10 || not_ok "$path: log stopped"
	say "tiny_vmm -l 300 on CPU $CPU"
	timeout 60 taskset -c $CPU tiny_vmm -l 300 -name guest=hp > /tmp/vmm.hp 2>&1
	show /tmp/vmm.hp
	n=$(log_records /tmp/hp)
	wait_lines /tmp/hp $((n + 3)) 10 || not_ok "$path: log stopped"
	ks_stop
	show /tmp/hp
	expect_eq "$path: stderr" "" "$(cat /tmp/hp.err)"
	expect_eq "$path: $USER_PAIR summed" $((300 * 2)) \
		"$(log_column_sum /tmp/hp "$USER_PAIR")"
	expect_eq "$path: $EXIT_PAIR summed" "$(vmm_count hp $VMM_PAIR)" \
		"$(log_column_sum /tmp/hp "$EXIT_PAIR")"
}

hotplug "perf, offline 5 s" 5 --no-bpf
hotplug "perf, offline and back within one interval" 0 --no-bpf
hotplug "bpf, offline 5 s" 5
finish
