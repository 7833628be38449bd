# 3. both providers at once (-d -t): debugfs fields and tracepoints side by
# side, each agreeing with the VMM.
. /vm/lib.sh
need_tools

# A frozen VM: debugfs totals with -i are exact, and tracepoints (which
# only count from kvm_stat's start) show 0.
vmm_frozen idle 200 idle
io=$(debugfs_count $VMM_PID io_exits)
ks /tmp/both 20 -d -t -1 -i -f 'io_exits|halt_exits|kvm_exit'
expect_eq "debugfs io_exits" "$io" "$(batch_total /tmp/both io_exits)"
expect_eq "debugfs halt_exits" "$FROZEN_LOOPS" "$(batch_total /tmp/both halt_exits)"
expect_eq "tracepoint kvm_exit (frozen VM)" 0 "$(batch_total /tmp/both kvm_exit)"

# A log over the whole life of a second VM (started after the banner, ended
# before the last record): tracepoint sums are exact. debugfs sums are not
# asserted here: what a VM does before kvm_stat first sees its directory,
# and its counters vanishing with it, are scenario 5's subject.
ks_bg /tmp/bothlog -d -t -l -s 1 -f 'io_exits|halt_exits|kvm_exit'
wait_lines /tmp/bothlog 2 20 || not_ok "no banner and first record in 20 s"
vmm_start life -l 400 -r 200 -t 4 -name guest=life
vmm_wait life 30
n=$(log_records /tmp/bothlog)
wait_lines /tmp/bothlog $((n + 2)) 10 || not_ok "log stopped"
ks_stop
show /tmp/bothlog
expect_eq "kvm_exit(IOIO) summed" 800 "$(log_column_sum /tmp/bothlog 'kvm_exit(IOIO)')"
expect_eq "kvm_exit(HLT) summed" 400 "$(log_column_sum /tmp/bothlog 'kvm_exit(HLT)')"
expect_true "debugfs io_exits column present" grep -q 'io_exits' /tmp/bothlog
vmm_thaw idle
expect_range "idle: VMM hlt_exits vs kvm_stat" \
	"$FROZEN_idle" $((FROZEN_idle + 20)) "$(vmm_count idle hlt_exits)"
finish
