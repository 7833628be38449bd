# 11. The observer effect where kvm_exit fires: how many fewer loops the
# test guest does in 2 s while kvm_stat watches, against no watcher:
#   exit_times_observer_pct   under -e (two programs an exit: kvm_exit's
#                             notes the time, kvm_entry's adds it up)
#   counting_observer_pct     under the counting path with kvm_exit's
#                             children (one program an exit), for scale
#
# Under QEMU's TCG on a shared machine the same 2 s alone differ by up to
# 2x from one run to the next, in bursts (seen: 6500 and 13900 loops in 3
# s, minutes apart). So each watched window is compared with the mean of
# the unwatched windows just before and after it, the two watchers take
# turns, and each figure is the median of ROUNDS such ratios. Nothing is
# pinned (taskset). Its 21 VMs made and destroyed are what hung the x86
# guest under multi-threaded TCG; it now runs on one host thread
# (testsuite/vm/run.sh).
. /vm/lib.sh
need_tools
ROUNDS=5

say "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
perf_open() { ls -l /proc/$1/fd 2>/dev/null | grep -q perf_event; }
# The loops of one window
loops() {
	tiny_vmm -t 2 >/tmp/vmm.obs 2>&1
	sed -n "s/^$VMM_ONCE //p" /tmp/vmm.obs
}
# watched ARGS...: the loops of one window under kvm_stat ARGS, once its
# programs are attached (their perf event of kvm_exit is open)
watched() {
	kvm_stat "$@" >/dev/null 2>&1 &
	w=$!
	wait_for 10 perf_open $w || not_ok "kvm_stat $* never attached"
	loops
	kill $w
	wait $w
}
# pct BEFORE AFTER WATCHED: the slowdown against the mean of the two
pct() {
	awk -v a="$1" -v b="$2" -v w="$3" \
		'BEGIN { printf "%.1f\n", w ? ((a + b) / 2 / w - 1) * 100 : 999 }'
}
median() { echo $* | tr ' ' '\n' | sort -n | sed -n "$(((ROUNDS + 1) / 2))p"; }

before=$(loops)
et= tp=
for round in $(seq $ROUNDS); do
	e=$(watched -e -l -s 1)
	mid=$(loops)
	t=$(watched -t -l -s 1 -f 'kvm_exit')
	after=$(loops)
	say "round $round: alone $before, -e $e, alone $mid, -t $t, alone $after"
	for n in "$before" "$e" "$mid" "$t" "$after"; do
		[ "${n:-0}" -gt 0 ] || { not_ok "a window without loops"; finish; }
	done
	et="$et $(pct "$before" "$mid" "$e")"
	tp="$tp $(pct "$mid" "$after" "$t")"
	before=$after
done
say "-e: $et; -t: $tp"
echo "exit_times_observer_pct: $(median $et) %"
echo "counting_observer_pct: $(median $tp) %"
finish
