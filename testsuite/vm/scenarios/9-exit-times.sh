# 9. exit handling times (-e): a known handling time (tiny_vmm -s sleeps
# in user space after the loop's last exit: x86 HLT, arm64 the second
# DABT_LOW), counts equal to the counting path's children, the batch,
# log and CSV views, and the error without BPF. Its observer effect is
# scenario 11's.
. /vm/lib.sh
need_tools
ONCE=${EXIT_ONCE#kvm_exit(} ONCE=${ONCE%)}
PAIR=${EXIT_PAIR#kvm_exit(} PAIR=${PAIR%)}
# The loop's last exit, after which the VMM sleeps; the other one
case $(uname -m) in
aarch64) SLEPT=$PAIR OTHER=$ONCE VMM_SLEPT=$VMM_PAIR ;;	# the loop ends on its second MMIO write
*) SLEPT=$ONCE OTHER=$PAIR VMM_SLEPT=$VMM_ONCE ;;
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
# An exit is timed at the thread's next entry: the VM's very last exit
# (a HLT, after which the VMM ends) has none, so it is never counted
once=$(vmm_count known $VMM_SLEPT)
wait_for 10 csv_is /tmp/et.csv "$SLEPT" $((once - 1)) ||
	not_ok "-e's $SLEPT samples never reached the VMM's $once - 1"
n=$(log_records /tmp/tp)
wait_lines /tmp/tp $((n + 3)) 10 || not_ok "counting log stopped"
ks_stop
kill $TP_PID; wait $TP_PID
show /tmp/et.csv
show /tmp/tp
expect_eq "$SLEPT samples = the counting path's kvm_exit($SLEPT) - the last" \
	$(($(log_column_sum /tmp/tp "kvm_exit($SLEPT)") - 1)) "$(csv_sum /tmp/et.csv "$SLEPT" 3)"
expect_eq "$OTHER samples = the counting path's kvm_exit($OTHER)" \
	"$(log_column_sum /tmp/tp "kvm_exit($OTHER)")" "$(csv_sum /tmp/et.csv "$OTHER" 3)"
# Every other reason too (x86: NPF, a code past SVM's gap in the codes,
# whose slot of -e's array is moved down): "REASON SAMPLES" lines of both
counted() {
	awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^kvm_exit\(/) col[i] = $i; next }
		/^[0-9][0-9][0-9][0-9]-/ { for (i in col) s[i] += $(i + 2) }
		END { for (i in col) if (s[i]) { n = col[i]; gsub(/^kvm_exit\(|\)$/, "", n); print n, s[i] } }' "$1" |
		grep -v "^$SLEPT " | sort
}
timed() {
	awk -F, 'NR > 1 && $2 != "exit_reason" { s[$2] += $3 } END { for (r in s) print r, s[r] }' "$1" |
		grep -v "^$SLEPT " | sort
}
counted /tmp/tp >/tmp/counted
timed /tmp/et.csv >/tmp/timed
show /tmp/timed
expect_eq "the other reasons' samples = the counting path's" \
	"$(tr '\n' ' ' </tmp/counted)" "$(tr '\n' ' ' </tmp/timed)"
# Time from the CSV: a record's samples x avg_us is its time, summed over
# the VM's life (REASON '' sums every reason)
csv_time() {
	awk -F, -v r="$2" 'NR > 1 && $2 != "exit_reason" && (r == "" || $2 == r) {
		t += $3 * $8 } END { printf "%d\n", t }' "$1"
}
# The sleeps the VMM measured (a loaded host wakes it late) and its run:
# a sleep lies inside its exit's handling, every handling inside the run
ran=$(vmm_count known ran_us)
slept=$(vmm_count known slept_us)
say "the VMM ran $ran us, its sleeps took $slept us"
# 200 sleeps of at least 2 ms; the last one's exit is never timed
expect_range "$SLEPT time (us): the 199 timed sleeps of >= 2 ms, within the run" \
	$((199 * 2000)) "$ran" "$(csv_time /tmp/et.csv "$SLEPT")"
expect_range "all exits' time (us) within the run" 0 "$ran" "$(csv_time /tmp/et.csv '')"
avg() {
	awk -F, -v r="$2" '$2 == r { n += $3; t += $3 * $8 } END { printf "%d\n", n ? t / n : 0 }' "$1"
}
# The average of the slept reason (x86: a HLT a loop, each slept; arm64:
# 2 DABT_LOW a loop, one slept): the 199 timed sleeps over its samples,
# and at most 2 ms more for the rest of each exit (issue 16's "at least 2
# ms and under 4 ms", with the sleeps as long as they took: a fixed 4 ms
# failed under TCG on a busy host, where sleeps overran by 2 ms)
n=$(csv_sum /tmp/et.csv "$SLEPT" 3)
a_slept=$(avg /tmp/et.csv "$SLEPT") a_other=$(avg /tmp/et.csv "$OTHER")
expect_range "$SLEPT average (us): the sleeps' share, under 2 ms more" \
	$((199 * 2000 / n)) $((slept / 200 * 199 / n + 2000)) "$a_slept"
# The sleeps are the slept reason's, not the other's: its average is far
# below (x86: 2 IO a loop against 1 HLT; arm64: 1 HVC against 2 DABT_LOW)
expect_true "$OTHER average ($a_other us) below half of $SLEPT's ($a_slept us)" \
	[ $((a_other * 2)) -lt "$a_slept" ]
expect_true "$SLEPT p99 >= 2 ms" awk -F, -v r="$SLEPT" \
	'$2 == r && $9 >= 2000 { ok = 1 } END { exit !ok }' /tmp/et.csv

# Batch: perf kvm stat's header, a row for the reasons seen
vmm_start batch -r 100 -t 15 -s 2000 -name guest=batch
# tiny_vmm prints its pid before its vCPU's first KVM_RUN; under TCG the
# first exit can come after -1's whole second (seen once on arm64), so -1
# runs again, for at most 10 s, until its table has samples
batch_once() {
	timeout 20 kvm_stat -1 -e >/tmp/b 2>/tmp/b.err &&
		grep -q '^Total Samples:[1-9]' /tmp/b
}
say "kvm_stat -1 -e  (until the guest has exited)"
wait_for 10 batch_once
show /tmp/b
show /tmp/b.err
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

finish
