# 9. exit handling times (-e): a known handling time (tiny_vmm -s sleeps
# in user space after the loop's last exit: x86 HLT, arm64 the second
# DABT_LOW), counts equal to the counting path's children, the batch,
# log and CSV views, the error without BPF, and the observer effect
# ("exit_times_observer_pct: N %").
. /vm/lib.sh
need_tools
ONCE=${EXIT_ONCE#kvm_exit(} ONCE=${ONCE%)}
PAIR=${EXIT_PAIR#kvm_exit(} PAIR=${PAIR%)}
case $(uname -m) in
aarch64) SLEPT=$PAIR ;;	# the loop ends on its second MMIO write
*) SLEPT=$ONCE ;;
esac

# csv_sum FILE REASON COLUMN: a column summed over REASON's CSV rows
# (timestamp,exit_reason,samples,samples_pct,time_pct,min_us,max_us,
# avg_us,p99_us); csv_last: its last row's value
csv_sum() {
	awk -F, -v r="$2" -v c="$3" '$2 == r { s += $c } END { print s + 0 }' "$1"
}
csv_is() {
	[ "$(csv_sum "$1" "$2" 3)" = "$3" ]
}

# The whole life of a VM of 200 loops with 2 ms after each HLT, seen by -e
# (CSV, every second) and by the counting path beside it
kvm_stat -t -l -s 1 -f 'kvm_exit' >/tmp/tp 2>/tmp/tp.err &
TP_PID=$!
ks_bg /tmp/et.csv -e -l -c -s 1
wait_lines /tmp/et.csv 1 20 || not_ok "no CSV header in 20 s"
wait_lines /tmp/tp 2 20 || not_ok "no counting log in 20 s"
vmm_start known -l 200 -s 2000 -name guest=known
vmm_wait known 60
once=$(vmm_count known $VMM_ONCE)
wait_for 10 csv_is /tmp/et.csv "$SLEPT" "$once" ||
	not_ok "-e's $SLEPT samples never reached the VMM's $once"
n=$(log_records /tmp/tp)
wait_lines /tmp/tp $((n + 3)) 10 || not_ok "counting log stopped"
ks_stop
kill $TP_PID; wait $TP_PID
show /tmp/et.csv
show /tmp/tp
expect_eq "$ONCE samples = the counting path's $EXIT_ONCE" \
	"$(log_column_sum /tmp/tp "$EXIT_ONCE")" "$(csv_sum /tmp/et.csv "$ONCE" 3)"
expect_eq "$PAIR samples = the counting path's $EXIT_PAIR" \
	"$(log_column_sum /tmp/tp "$EXIT_PAIR")" "$(csv_sum /tmp/et.csv "$PAIR" 3)"
# the average over the VM's life: time = sum over records of samples x avg
avg() {
	awk -F, -v r="$2" '$2 == r { n += $3; t += $3 * $8 } END { printf "%d\n", n ? t / n : 0 }' "$1"
}
case $SLEPT in
"$ONCE")
	expect_range "$ONCE average (us) with 2 ms slept" 2000 3999 "$(avg /tmp/et.csv "$ONCE")"
	expect_range "$PAIR average (us), far below" 0 500 "$(avg /tmp/et.csv "$PAIR")"
	;;
*)	# every second DABT_LOW sleeps: half of 2 ms on average
	expect_range "$PAIR average (us) with 2 ms slept every other" 1000 1999 \
		"$(avg /tmp/et.csv "$PAIR")"
	;;
esac
expect_true "$SLEPT p99 >= 2 ms" awk -F, -v r="$SLEPT" \
	'$2 == r && $9 >= 2000 { ok = 1 } END { exit !ok }' /tmp/et.csv

# Batch: perf kvm stat's header, a row for the reasons seen
vmm_start batch -r 100 -t 6 -s 2000 -name guest=batch
ks /tmp/b 20 -1 -e
expect_true "batch header" grep -Eq '^ +VM-EXIT +Samples +Samples% +Time% +Min Time +Max Time +Avg time' /tmp/b
expect_true "batch row for $SLEPT" grep -Eq "^ +$SLEPT +[1-9][0-9]* " /tmp/b
expect_true "batch total line" grep -q '^Total Samples:[1-9]' /tmp/b
# -p: only that guest's exits (none from an idle pid: kvm_stat's own)
ks /tmp/bp 20 -1 -e -p $$
expect_true "-p of a process without vCPUs: nothing seen" grep -q 'no kvm_exit seen' /tmp/bp.err
# Plain log: a table per record
ks_bg /tmp/el -e -l -s 1
wait_for 10 grep -q "^ *$SLEPT " /tmp/el || not_ok "no $SLEPT row in the plain log"
ks_stop
show /tmp/el
expect_true "log record: a timestamp line" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}$' /tmp/el
vmm_wait batch 20

# No BPF: a clear error
timeout 10 kvm_stat -1 -e --no-bpf >/tmp/nb 2>&1
expect_eq "-e --no-bpf exit status" 1 "$?"
expect_true "-e --no-bpf says why" grep -q 'need BPF' /tmp/nb

# The observer effect: the guest's time for N loops alone and under -e,
# interleaved rounds, the median ratio
perf_open() { ls -l /proc/$1/fd 2>/dev/null | grep -q perf_event; }
now_us() { date +%s%N | awk '{ printf "%d\n", $1 / 1000 }'; }
run_us() {
	t0=$(now_us)
	tiny_vmm -l 3000 -q >/dev/null
	echo $(($(now_us) - t0))
}
ratios=
for round in 1 2 3; do
	alone=$(run_us)
	kvm_stat -e -l -s 1 >/dev/null 2>&1 &
	w=$!
	# attached: kvm_exit's perf event is its last descriptor
	wait_for 10 perf_open $w || not_ok "kvm_stat -e never attached"
	watched=$(run_us)
	kill $w; wait $w
	say "round $round: alone $alone us, under -e $watched us"
	ratios="$ratios $((watched * 1000 / alone))"
done
med=$(echo $ratios | tr ' ' '\n' | sort -n | sed -n 2p)
echo "exit_times_observer_pct: $(awk -v m="$med" 'BEGIN { printf "%.1f", m / 10 - 100 }') %"
finish
