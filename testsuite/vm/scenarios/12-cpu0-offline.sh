# 12. CPU 0 offline. The BPF programs that read the record (kvm_exit's
# counting program, -e's kvm_exit program) hang on a perf event bound to
# one CPU, which must be online: with CPU 0 offline, counting must stay
# on the BPF path (no word under KVM_STAT_DEBUG) with exact children, and
# -e must run. arm64 can take CPU 0 offline; Debian's x86 kernels give
# CPU 0 no online file, and skip.
. /vm/lib.sh
need_tools
CPU0=/sys/devices/system/cpu/cpu0/online
[ -w "$CPU0" ] || skip_scenario "CPU 0 cannot go offline on this kernel (no $CPU0)"
# CPU 0 back online however the scenario ends
trap 'rc=$?; echo 1 > $CPU0; echo $rc >/tmp/scenario.status' EXIT
echo 0 > "$CPU0" || not_ok "can't take CPU 0 offline"
expect_eq "CPU 0 taken offline: its online file" 0 "$(cat "$CPU0")"

# Counting: the BPF path's exact log (lib.sh), on the online CPU
exact_log "bpf, CPU 0 offline"

# -e: every loop's exits but the VM's last (no entry follows it, so it is
# never timed), 3 x 200 - 1 of the loop's two reasons
ONCE=${EXIT_ONCE#kvm_exit(} ONCE=${ONCE%)}
PAIR=${EXIT_PAIR#kvm_exit(} PAIR=${PAIR%)}
samples() {
	awk -F, -v a="$ONCE" -v b="$PAIR" '$2 == a || $2 == b { s += $3 }
		END { print s + 0 }' /tmp/e0
}
samples_are() {
	[ "$(samples)" = "$1" ]
}
ks_bg /tmp/e0 -e -l -c -s 1
wait_lines /tmp/e0 1 20 || not_ok "-e: no CSV header in 20 s"
vmm_start e0 -l 200 -name guest=e0
vmm_wait e0 60
wait_for 10 samples_are 599
ks_stop
show /tmp/e0
show /tmp/e0.err
expect_eq "-e: $ONCE and $PAIR samples" 599 "$(samples)"
echo 1 > "$CPU0"
finish
