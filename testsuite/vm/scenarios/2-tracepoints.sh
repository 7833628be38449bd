# 2. tracepoints (-t) under SVM: kvm_exit children carry the SVM exit names
# (IOIO, HLT) and agree with the VMM's own counts.
. /vm/lib.sh
need_tools
FILTER='kvm_exit|kvm_userspace_exit'

# -1 while a VM exits at a steady 100 loops/s. The window is kvm_stat's 1 s
# sleep plus reads, paced under TCG: +-25 %. Between tracepoints the
# relation is exact up to the loop the window cuts: every IOIO exit is a
# userspace IO exit, every HLT exit a userspace HLT exit (no in-kernel irqchip).
vmm_start steady -r 100 -t 8 -name guest=steady
sleep 1
ks /tmp/tp 20 -t -1 -f "$FILTER"
ioio=$(batch_delta /tmp/tp 'kvm_exit(IOIO)')
hlt=$(batch_delta /tmp/tp 'kvm_exit(HLT)')
expect_range "kvm_exit(IOIO) delta at 100 loops/s" 150 250 "$ioio"
expect_range "kvm_exit(HLT) delta at 100 loops/s" 75 125 "$hlt"
expect_range "kvm_userspace_exit(IO) vs kvm_exit(IOIO)" $((ioio - 2)) $((ioio + 2)) \
	"$(batch_delta /tmp/tp 'kvm_userspace_exit(IO)')"
expect_range "kvm_userspace_exit(HLT) vs kvm_exit(HLT)" $((hlt - 1)) $((hlt + 1)) \
	"$(batch_delta /tmp/tp 'kvm_userspace_exit(HLT)')"
expect_true "kvm_exit total >= its IOIO + HLT children" \
	[ "$(batch_total /tmp/tp kvm_exit)" -ge $((ioio + hlt)) ]
expect_false "no VMX names under SVM" grep -q 'IO_INSTRUCTION' /tmp/tp
vmm_wait steady 15

# Exact: a log whose records cover the VM's whole life. The banner appears
# after kvm_stat's first read, the VM starts after it and ends before the
# last record, so the records' deltas add up to every exit of the VM.
ks_bg /tmp/tplog -t -l -s 1 -f "$FILTER"
wait_lines /tmp/tplog 2 20 || not_ok "no banner and first record in 20 s"
vmm_start once -l 700 -name guest=once
vmm_wait once 30
n=$(log_records /tmp/tplog)
wait_lines /tmp/tplog $((n + 3)) 10 || not_ok "log stopped"
ks_stop
show /tmp/tplog
expect_eq "kvm_exit(IOIO) summed over the log" "$(vmm_count once io_exits)" \
	"$(log_column_sum /tmp/tplog 'kvm_exit(IOIO)')"
expect_eq "kvm_exit(HLT) summed over the log" "$(vmm_count once hlt_exits)" \
	"$(log_column_sum /tmp/tplog 'kvm_exit(HLT)')"
expect_eq "kvm_userspace_exit(IO) summed" 1400 \
	"$(log_column_sum /tmp/tplog 'kvm_userspace_exit(IO)')"
finish
