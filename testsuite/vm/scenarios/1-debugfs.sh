# 1. debugfs (-d -1): totals and deltas agree with the VMs' counts; -i
# includes past events; -p and -g pick one of two VMs.
. /vm/lib.sh
need_tools
# Anchored at the start like the reference's re.match: exits, io_exits,
# halt_exits (and nothing else starting with those names)
FIELDS='exits|io_exits|halt_exits'

# Two VMs that did a known number of loops and now linger (tiny_vmm -w):
# their counters no longer move, so every number below is exact, computed
# from the loop counts (2 io exits and 1 halt exit per loop) and equal to
# what each VMM printed. Only debugfs `exits` has a rule of its own
# (expect_exits): the kernel's count of it is the reference there.
LA=600 LB=250
vmm_done alpha $LA alpha
vmm_done beta $LB beta
A=$VMM_PID_alpha B=$VMM_PID_beta
for t in alpha:$LA beta:$LB; do
	tag=${t%:*} n=${t#*:}
	expect_eq "$tag: VMM io_exits" $((2 * n)) "$(vmm_count $tag io_exits)"
	expect_eq "$tag: VMM hlt_exits" $n "$(vmm_count $tag hlt_exits)"
	expect_eq "$tag: VMM exits" $((3 * n)) "$(vmm_count $tag exits)"
done
exits_a=$(debugfs_count $A exits) exits_b=$(debugfs_count $B exits)
expect_eq "alpha: debugfs io_exits" $((2 * LA)) "$(debugfs_count $A io_exits)"
expect_eq "alpha: debugfs halt_exits" $LA "$(debugfs_count $A halt_exits)"
expect_exits "alpha: debugfs exits vs VMM exits" $((3 * LA)) "$exits_a"
expect_eq "beta: debugfs io_exits" $((2 * LB)) "$(debugfs_count $B io_exits)"
expect_eq "beta: debugfs halt_exits" $LB "$(debugfs_count $B halt_exits)"
expect_exits "beta: debugfs exits vs VMM exits" $((3 * LB)) "$exits_b"

ks /tmp/all 15 -d -1 -i -f "$FIELDS"
expect_eq "-i io_exits total" $((2 * (LA + LB))) "$(batch_total /tmp/all io_exits)"
expect_eq "-i halt_exits total" $((LA + LB)) "$(batch_total /tmp/all halt_exits)"
expect_eq "-i exits total" $((exits_a + exits_b)) "$(batch_total /tmp/all exits)"
expect_eq "-i io_exits delta (idle VMs)" 0 "$(batch_delta /tmp/all io_exits)"
expect_eq "-i halt_exits delta (idle VMs)" 0 "$(batch_delta /tmp/all halt_exits)"
expect_eq "-i exits delta (idle VMs)" 0 "$(batch_delta /tmp/all exits)"

# Without -i, totals start at kvm_stat's start: idle VMs show nothing
ks /tmp/now 15 -d -1 -f "$FIELDS"
expect_eq "io_exits total without -i" 0 "$(batch_total /tmp/now io_exits)"
expect_eq "halt_exits total without -i" 0 "$(batch_total /tmp/now halt_exits)"
expect_eq "exits total without -i" 0 "$(batch_total /tmp/now exits)"
expect_eq "halt_exits delta without -i" 0 "$(batch_delta /tmp/now halt_exits)"

# check_one OUT WHAT LOOPS EXITS: one VM's rows in a -i run
check_one() {
	expect_eq "$2 io_exits" $((2 * $3)) "$(batch_total $1 io_exits)"
	expect_eq "$2 halt_exits" $3 "$(batch_total $1 halt_exits)"
	expect_eq "$2 exits" $4 "$(batch_total $1 exits)"
}
ks /tmp/pa 15 -d -1 -i -p $A -f "$FIELDS"
check_one /tmp/pa "-p alpha" $LA $exits_a
ks /tmp/pb 15 -d -1 -i -p $B -f "$FIELDS"
check_one /tmp/pb "-p beta" $LB $exits_b
ks /tmp/ga 15 -d -1 -i -g alpha -f "$FIELDS"
check_one /tmp/ga "-g alpha" $LA $exits_a
ks /tmp/gb 15 -d -1 -i -g beta -f "$FIELDS"
check_one /tmp/gb "-g beta" $LB $exits_b

# SIGTERM ends the linger at once; the totals were printed once, at the
# end of the loops
vmm_end alpha
vmm_end beta
expect_eq "alpha: totals printed once" 1 "$(grep -c '^exits ' /tmp/vmm.alpha)"
expect_eq "beta: totals printed once" 1 "$(grep -c '^exits ' /tmp/vmm.beta)"
expect_true "VM directories gone with the VMMs" wait_for 5 vm_dirs_is 0

# A VM exiting at a steady 100 loops/s during the one-second window: without
# -i, total = delta; the window is kvm_stat's 1 s sleep plus two reads, the
# guest's pacing jitters under TCG: +-25 %. The exit pattern itself is exact:
# two port writes per hlt, whatever the window cuts (+-2).
vmm_start gamma -r 100 -t 8 -name guest=gamma
sleep 1
ks /tmp/rate 15 -d -1 -p $VMM_PID -f "$FIELDS"
io=$(batch_delta /tmp/rate io_exits) hlt=$(batch_delta /tmp/rate halt_exits)
expect_range "io_exits delta at 100 loops/s" 150 250 "$io"
expect_range "halt_exits delta at 100 loops/s" 75 125 "$hlt"
expect_range "io_exits delta vs 2 x halt_exits" $((2 * hlt - 2)) $((2 * hlt + 2)) "$io"
expect_eq "total = delta without -i" "$io" "$(batch_total /tmp/rate io_exits)"
finish
