# 1. debugfs (-d -1): totals and deltas agree with the VMs' counts; -i
# includes past events; -p and -g pick one of two VMs.
. /vm/lib.sh
need_tools
# Anchored at the start like the reference's re.match: exits, io_exits,
# halt_exits (and nothing else starting with those names)
FIELDS='exits|io_exits|halt_exits'

# Two VMs that did some loops and are now frozen (SIGSTOP): their counters
# no longer move, so every number below is exact. The kernel's counters are
# the reference; the VMMs' own totals are checked against them at the end.
vmm_frozen alpha 400 alpha
vmm_frozen beta 100 beta
A=$VMM_PID_alpha B=$VMM_PID_beta
for f in exits io_exits halt_exits; do
	eval "${f}_a=$(debugfs_count $A $f) ${f}_b=$(debugfs_count $B $f)"
done
expect_true "alpha and beta differ (so -p/-g can tell them apart)" \
	[ "$halt_exits_a" != "$halt_exits_b" ]

ks /tmp/all 15 -d -1 -i -f "$FIELDS"
expect_eq "-i io_exits total" $((io_exits_a + io_exits_b)) "$(batch_total /tmp/all io_exits)"
expect_eq "-i halt_exits total" $((halt_exits_a + halt_exits_b)) "$(batch_total /tmp/all halt_exits)"
expect_eq "-i exits total" $((exits_a + exits_b)) "$(batch_total /tmp/all exits)"
expect_eq "-i io_exits delta (frozen VMs)" 0 "$(batch_delta /tmp/all io_exits)"

# Without -i, totals start at kvm_stat's start: frozen VMs show nothing
ks /tmp/now 15 -d -1 -f "$FIELDS"
expect_eq "io_exits total without -i" 0 "$(batch_total /tmp/now io_exits)"
expect_eq "halt_exits delta without -i" 0 "$(batch_delta /tmp/now halt_exits)"

ks /tmp/pa 15 -d -1 -i -p $A -f "$FIELDS"
expect_eq "-p alpha io_exits" "$io_exits_a" "$(batch_total /tmp/pa io_exits)"
expect_eq "-p alpha halt_exits" "$halt_exits_a" "$(batch_total /tmp/pa halt_exits)"
expect_eq "-p alpha exits" "$exits_a" "$(batch_total /tmp/pa exits)"
ks /tmp/pb 15 -d -1 -i -p $B -f "$FIELDS"
expect_eq "-p beta io_exits" "$io_exits_b" "$(batch_total /tmp/pb io_exits)"
ks /tmp/ga 15 -d -1 -i -g alpha -f "$FIELDS"
expect_eq "-g alpha io_exits" "$io_exits_a" "$(batch_total /tmp/ga io_exits)"
ks /tmp/gb 15 -d -1 -i -g beta -f "$FIELDS"
expect_eq "-g beta halt_exits" "$halt_exits_b" "$(batch_total /tmp/gb halt_exits)"

# The VMMs' own totals: at least what kvm_stat read while frozen, at most
# a few catch-up loops more (see vmm_thaw)
vmm_thaw alpha
vmm_thaw beta
expect_range "alpha: VMM hlt_exits vs kvm_stat -p" \
	"$halt_exits_a" $((halt_exits_a + 20)) "$(vmm_count alpha hlt_exits)"
expect_range "beta: VMM hlt_exits vs kvm_stat -p" \
	"$halt_exits_b" $((halt_exits_b + 20)) "$(vmm_count beta hlt_exits)"

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
