# 4. log mode over the serial console: -l -s 0.5, CSV (-c), -z, and -L FILE
# with SIGHUP after the file was moved away (logrotate): the new file gets a
# banner and the following records, nothing is lost.
. /vm/lib.sh
need_tools
FILTER='kvm_exit|kvm_userspace_exit'
RECORD='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'

# Plain log, two records a second, straight to the console as a user sees it
ks_bg /tmp/log -t -l -s 0.5 -f "$FILTER"
wait_lines /tmp/log 5 20 || not_ok "fewer than 5 lines in 20 s"
ks_stop
show /tmp/log
expect_true "banner names kvm_exit" grep -q '^kvm_exit ' /tmp/log
expect_true "records: timestamp then counts" \
	grep -Eq "$RECORD( +-?[0-9]+)+\$" /tmp/log
expect_eq "lines that are neither banner nor record" 0 \
	"$(grep -Evc "^kvm_exit |$RECORD" /tmp/log)"
expect_true "SIGTERM leaves no error" [ ! -s /tmp/log.err ]

# CSV: one banner "timestamp,name,...", records with as many fields
ks_bg /tmp/csv -t -l -c -s 0.5 -f "$FILTER"
wait_lines /tmp/csv 4 20 || not_ok "fewer than 4 CSV lines in 20 s"
ks_stop
show /tmp/csv
expect_true "CSV banner" grep -q '^timestamp,kvm_exit,' /tmp/csv
expect_eq "CSV records with the banner's field count" \
	"$(($(wc -l </tmp/csv) - 1))" \
	"$(awk -F, 'NR == 1 { n = NF; next } NF == n && /^[0-9]/' /tmp/csv | wc -l)"

# -z: no records while nothing happens, then only non-zero ones while a VM
# runs; their sum is still every exit of the VM.
ks_bg /tmp/z -t -l -z -s 0.5 -f "$FILTER"
wait_lines /tmp/z 1 20 || not_ok "no banner in 20 s"
sleep 2
expect_eq "-z records while idle" 0 "$(log_records /tmp/z)"
vmm_start z -l 300 -r 300 -t 2 -name guest=z
vmm_wait z 20
sleep 1.5
ks_stop
show /tmp/z
expect_true "-z printed records once the VM ran" [ "$(log_records /tmp/z)" -ge 1 ]
expect_eq "-z records that are all zero" 0 \
	"$(grep -E "$RECORD" /tmp/z | awk '{ for (i = 3; i <= NF; i++) if ($i != 0) next; n++ } END { print n + 0 }')"
expect_eq "-z: $EXIT_ONCE summed" 300 "$(log_column_sum /tmp/z "$EXIT_ONCE")"

# -L FILE, the file moved away, SIGHUP: kvm_stat reopens FILE, writes a
# banner there and carries on. A VM runs across the move; the two files
# together hold every one of its exits.
rm -f /tmp/kvm.log /tmp/kvm.log.1
ks_bg /tmp/L -t -L /tmp/kvm.log -s 0.5 -f "$FILTER"
wait_lines /tmp/kvm.log 2 20 || not_ok "no banner and record in /tmp/kvm.log"
vmm_start hup -l 600 -r 200 -t 5 -name guest=hup
sleep 1.2
mv /tmp/kvm.log /tmp/kvm.log.1
kill -HUP "$KS_PID"
wait_lines /tmp/kvm.log 2 10 || not_ok "no new /tmp/kvm.log after SIGHUP"
vmm_wait hup 20
n=$(log_records /tmp/kvm.log)
wait_lines /tmp/kvm.log $((n + 3)) 10 || not_ok "log stopped after SIGHUP"
ks_stop
say "moved file:"; show /tmp/kvm.log.1
say "new file:"; show /tmp/kvm.log
expect_true "kvm_stat alive after SIGHUP (stderr empty)" [ ! -s /tmp/L.err ]
expect_true "new file starts with the banner" \
	sh -c 'head -n 1 /tmp/kvm.log | grep -q "^kvm_exit "'
expect_true "moved file has records" [ "$(log_records /tmp/kvm.log.1)" -ge 1 ]
expect_true "new file has records" [ "$(log_records /tmp/kvm.log)" -ge 1 ]
sum=$(( $(log_column_sum /tmp/kvm.log.1 "$EXIT_PAIR") + \
	$(log_column_sum /tmp/kvm.log "$EXIT_PAIR") ))
expect_eq "$EXIT_PAIR over both files (nothing lost)" \
	"$(vmm_count hup $VMM_PAIR)" "$sum"
finish
