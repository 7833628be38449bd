# 3. both providers at once (-d -t): debugfs fields and tracepoints side by
# side, each agreeing with the VMM.
. /vm/lib.sh
need_tools

# An idle VM (tiny_vmm -w, its loops done): debugfs totals with -i equal
# what the VMM printed, and tracepoints (which only count from kvm_stat's
# start) show 0.
N=300
vmm_done idle $N idle
expect_eq "idle: VMM $VMM_PAIR" $((2 * N)) "$(vmm_count idle $VMM_PAIR)"
expect_eq "idle: VMM $VMM_ONCE" $N "$(vmm_count idle $VMM_ONCE)"
expect_eq "idle: VMM exits" $((VMM_RETURNS * N)) "$(vmm_count idle exits)"
exits=$(debugfs_count $VMM_PID exits)
expect_exits "idle: debugfs exits vs the loops' exits" $((KERNEL_EXITS * N)) "$exits"
ks /tmp/both 20 -d -t -1 -i -f "exits|$DFS_PAIR|$DFS_ONCE|kvm_exit"
expect_eq "debugfs $DFS_PAIR" $((2 * N)) "$(batch_total /tmp/both $DFS_PAIR)"
expect_eq "debugfs $DFS_ONCE" $N "$(batch_total /tmp/both $DFS_ONCE)"
expect_eq "debugfs exits" "$exits" "$(batch_total /tmp/both exits)"
expect_eq "tracepoint kvm_exit (idle VM)" 0 "$(batch_total /tmp/both kvm_exit)"

# A log over the whole life of a second VM (started after the banner, ended
# before the last record): tracepoint sums are exact. debugfs sums are not
# asserted here: what a VM does before kvm_stat first sees its directory,
# and its counters vanishing with it, are scenario 5's subject. The idle VM
# lingers on: a log has debugfs columns only for fields some VM had at its
# start, and being idle it adds nothing to the tracepoint sums.
ks_bg /tmp/bothlog -d -t -l -s 1 -f "$DFS_PAIR|$DFS_ONCE|kvm_exit"
wait_lines /tmp/bothlog 2 20 || not_ok "no banner and first record in 20 s"
vmm_start life -l 400 -r 200 -t 4 -name guest=life
vmm_wait life 30
n=$(log_records /tmp/bothlog)
wait_lines /tmp/bothlog $((n + 2)) 10 || not_ok "log stopped"
ks_stop
show /tmp/bothlog
expect_eq "$EXIT_PAIR summed" 800 "$(log_column_sum /tmp/bothlog "$EXIT_PAIR")"
expect_eq "$EXIT_ONCE summed" 400 "$(log_column_sum /tmp/bothlog "$EXIT_ONCE")"
expect_true "debugfs $DFS_PAIR column present" grep -q "$DFS_PAIR" /tmp/bothlog
vmm_end idle
expect_eq "idle: totals printed once" 1 "$(grep -c '^exits ' /tmp/vmm.idle)"
finish
