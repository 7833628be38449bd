#!/usr/bin/env bats
# Log mode: -l, -L, -c, -z; banners, signals, errors. Fake host trees.

load helpers

setup() {
	require_feature log LOG
	require_feature debugfs DEBUGFS
	fixture
	fx vm 100 7 exits=100 io_exits=50
}

teardown() {
	end_bg
}

TS='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'

# The record of the reference: timestamp, then ' %9d' per delta
std_record_re() {
	local re="^$TS" d
	for d; do re+=$(printf ' %9d' "$d"); done
	echo "$re\$"
}

@test "-l: banner of sorted names each followed by a space, then records" {
	start_bg -d -l -s 0.1 -f 'exits|io'
	wait_lines "$BATS_TEST_TMPDIR/out" 4
	kill -INT $BG
	wait $BG || true
	mapfile -t out < "$BATS_TEST_TMPDIR/out"
	[ "${out[0]}" = "exits io_exits " ]
	[[ ${out[1]} =~ $(std_record_re 0 0) ]]
	[[ ${out[2]} =~ $(std_record_re 0 0) ]]
}

# Sums of the records' columns (after the date and time), "S1 S2 ..."
record_sums() {
	awk -F '[ ,]+' '/^[0-9]/ { for (i = 3; i <= NF; i++) s[i] += $i; n = NF }
		END { for (i = 3; i <= n; i++) printf "%s%d", (i > 3 ? " " : ""), s[i] }' "$1"
}

sums_are() {
	[ "$(record_sums "$1")" = "$2" ]
}

@test "-l -z: only records with a change, with the exact deltas" {
	start_bg -d -l -z -s 0.1 -f 'exits|io'
	# the banner comes after the first read (the baselines)
	wait_lines "$BATS_TEST_TMPDIR/out" 1
	fx set 100-7 exits=173 io_exits=51
	wait_for 10 sums_are "$BATS_TEST_TMPDIR/out" "73 1"
	kill -TERM $BG
	wait $BG || true
	mapfile -t out < "$BATS_TEST_TMPDIR/out"
	printf '%s\n' "${out[@]}"
	[ "${out[0]}" = "exits io_exits " ]
	# The fixture renames each file it changes, but two files are two
	# renames: a read may fall between them (rarely), and then the
	# change comes as two records. Either way no record is all zeros.
	if [ "${#out[@]}" -eq 2 ]; then
		[[ ${out[1]} =~ $(std_record_re 73 1) ]]
	else
		[ "${#out[@]}" -eq 3 ]
		[[ ${out[1]} =~ $(std_record_re 73 0) ]] || [[ ${out[1]} =~ $(std_record_re 0 1) ]]
		[[ ${out[2]} =~ $(std_record_re 73 0) ]] || [[ ${out[2]} =~ $(std_record_re 0 1) ]]
	fi
}

@test "-l: the banner again after every 20 records" {
	start_bg -d -l -s 0.1 -f exits
	wait_lines "$BATS_TEST_TMPDIR/out" 43
	kill $BG
	wait $BG || true
	mapfile -t out < "$BATS_TEST_TMPDIR/out"
	local i
	for i in 0 21 42; do
		[ "${out[$i]}" = "exits " ]
	done
	for i in 1 20 22 41; do
		[[ ${out[$i]} =~ $(std_record_re 0) ]]
	done
}

@test "-l -c: CSV banner and records" {
	start_bg -d -l -c -s 0.1 -f 'exits|io'
	wait_lines "$BATS_TEST_TMPDIR/out" 5
	fx set 100-7 exits=105
	wait_for 10 sums_are "$BATS_TEST_TMPDIR/out" "5 0"
	kill $BG
	wait $BG || true
	mapfile -t out < "$BATS_TEST_TMPDIR/out"
	[ "${out[0]}" = "timestamp,exits,io_exits" ]
	local line sum=0
	for line in "${out[@]:1}"; do
		[[ $line =~ ^$TS,(-?[0-9]+),0$ ]]
		sum=$((sum + BASH_REMATCH[1]))
	done
	[ "$sum" -eq 5 ]
}

@test "-L: appends; a plain banner each start, a CSV header only in an empty file" {
	local f=$BATS_TEST_TMPDIR/log
	echo "old line" > "$f"
	$KVM_STAT -d -L "$f" -s 0.1 -f exits 3>&- & pid=$! BG=$!
	wait_lines "$f" 3
	kill -INT $pid; wait $pid || true
	mapfile -t out < "$f"
	[ "${out[0]}" = "old line" ]
	[ "${out[1]}" = "exits " ]
	[[ ${out[2]} =~ $(std_record_re 0) ]]

	local c=$BATS_TEST_TMPDIR/csv
	$KVM_STAT -d -L "$c" -c -s 0.1 -f exits 3>&- & pid=$! BG=$!
	wait_lines "$c" 2
	kill -INT $pid; wait $pid || true
	n=$(wc -l < "$c")
	$KVM_STAT -d -L "$c" -c -s 0.1 -f exits 3>&- & pid=$! BG=$!
	wait_lines "$c" $((n + 2))
	kill -INT $pid; wait $pid || true
	[ "$(grep -c '^timestamp,exits$' "$c")" -eq 1 ]
	[ "$(head -1 "$c")" = "timestamp,exits" ]
	[ "$(grep -Ec "^$TS,0$" "$c")" -eq "$(($(wc -l < "$c") - 1))" ]
}

@test "-L CSV: no repeated header after 20 records" {
	local c=$BATS_TEST_TMPDIR/csv
	$KVM_STAT -d -L "$c" -c -s 0.1 -f exits 3>&- & pid=$! BG=$!
	wait_lines "$c" 24
	kill $pid; wait $pid || true
	[ "$(grep -c timestamp "$c")" -eq 1 ]
}

@test "-L + SIGHUP after logrotate moved the file: new file, banner, nothing lost" {
	local f=$BATS_TEST_TMPDIR/log
	$KVM_STAT -d -L "$f" -c -s 0.1 -f exits 3>&- & pid=$! BG=$!
	wait_lines "$f" 3
	mv "$f" "$f.1"
	kill -HUP $pid
	wait_lines "$f" 3
	fx set 100-7 exits=142
	wait_for 10 grep -Eq "^$TS,42$" "$f"
	kill -TERM $pid
	wait $pid || true
	# the old file: header and whole records only
	[ "$(head -1 "$f.1")" = "timestamp,exits" ]
	[ "$(grep -Ecv "^$TS,0$" "$f.1")" -eq 1 ]
	# the new file: its own header, then records; the change is there
	[ "$(head -1 "$f")" = "timestamp,exits" ]
	[ "$(grep -c timestamp "$f")" -eq 1 ]
	[ "$(grep -Ec "^$TS,42$" "$f")" -eq 1 ]
	[ "$(grep -Ecv "^$TS,(0|42)$" "$f")" -eq 1 ]
}

@test "SIGTERM: every record written so far is in the file, the process ends by the signal" {
	local f=$BATS_TEST_TMPDIR/csv
	$KVM_STAT -d -L "$f" -c -z -s 0.1 -f exits 3>&- & pid=$! BG=$!
	wait_lines "$f" 1
	fx set 100-7 exits=107
	wait_lines "$f" 2
	kill -TERM $pid
	status=0
	wait $pid || status=$?
	[ "$status" -eq 143 ]
	mapfile -t out < "$f"
	[ "${#out[@]}" -eq 2 ]
	[ "${out[0]}" = "timestamp,exits" ]
	[[ ${out[1]} =~ ^$TS,7$ ]]
}

@test "a write error (disk full) is reported, non-zero exit" {
	[ -w /dev/full ] || skip "/dev/full is not available"
	run --separate-stderr kvm_stat -d -L /dev/full -s 0.1
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: write error on '/dev/full': No space left on device" ]
	run --separate-stderr bash -c "$KVM_STAT -d -l -s 0.1 > /dev/full"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: write error: No space left on device" ]
}

@test "-L: a file that cannot be opened" {
	run --separate-stderr kvm_stat -d -L /nonexistent/dir/log
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: can't open '/nonexistent/dir/log': No such file or directory" ]
}

@test "a closed pipe ends quietly" {
	run --separate-stderr bash -c "$KVM_STAT -d -l -s 0.1 | head -3"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ -z "$stderr" ]
}
