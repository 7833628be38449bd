# 2. tracepoints (-t): kvm_exit children carry the kernel's exit names (SVM:
# IOIO, HLT; arm64: DABT_LOW, HVC64) and agree with the VMM's own counts.
. /vm/lib.sh
need_tools
FILTER='kvm_exit|kvm_userspace_exit'

# -1 while a VM exits at a steady 100 loops/s. The window is kvm_stat's 1 s
# sleep plus reads, paced under TCG: +-25 %. Between tracepoints the
# relation is exact up to the loop the window cuts: every IOIO (DABT_LOW)
# exit is a userspace IO (MMIO) exit, every HLT exit a userspace HLT exit
# (no in-kernel irqchip); arm64's HVC64 never reaches user space, and each
# loop has one, between its two DABT_LOW.
vmm_start steady -r 100 -t 8 -name guest=steady
sleep 1
ks /tmp/tp 20 -t -1 -f "$FILTER"
pair=$(batch_delta /tmp/tp "$EXIT_PAIR")
once=$(batch_delta /tmp/tp "$EXIT_ONCE")
expect_range "$EXIT_PAIR delta at 100 loops/s" 150 250 "$pair"
expect_range "$EXIT_ONCE delta at 100 loops/s" 75 125 "$once"
expect_range "$USER_PAIR vs $EXIT_PAIR" $((pair - 2)) $((pair + 2)) \
	"$(batch_delta /tmp/tp "$USER_PAIR")"
if [ -n "$USER_ONCE" ]; then
	expect_range "$USER_ONCE vs $EXIT_ONCE" $((once - 1)) $((once + 1)) \
		"$(batch_delta /tmp/tp "$USER_ONCE")"
else
	expect_range "$EXIT_PAIR vs 2 x $EXIT_ONCE" $((2 * once - 2)) $((2 * once + 2)) \
		"$pair"
	hc=$(batch_total /tmp/tp 'kvm_userspace_exit(HYPERCALL)')
	expect_true "no kvm_userspace_exit(HYPERCALL) for $EXIT_ONCE" \
		[ "$hc" = missing -o "$hc" = 0 ]
fi
expect_true "kvm_exit total >= its $EXIT_PAIR + $EXIT_ONCE children" \
	[ "$(batch_total /tmp/tp kvm_exit)" -ge $((pair + once)) ]
expect_false "no other architecture's names" grep -Eq "$FOREIGN_EXITS" /tmp/tp
vmm_wait steady 15

# Exact, on each path (lib.sh)
exact_log bpf
exact_log perf --no-bpf

# Every event (the default screen's set: one program each) still counts
# by BPF. Before Linux 5.11 that needs RLIMIT_MEMLOCK lifted: under the
# 64 KiB default the programs past the first dozen or so are refused.
export KVM_STAT_DEBUG=1
ks /tmp/all 20 -1 -t
unset KVM_STAT_DEBUG
expect_eq "every event: stderr (no fall back to perf)" "" "$(cat /tmp/all.err)"
finish
