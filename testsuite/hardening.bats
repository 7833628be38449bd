#!/usr/bin/env bats
# Hostile input and hostile conditions: blocked output and signals, a
# stopped logger, regexes that would eat memory, Python's number syntax,
# bytes that must not reach a terminal, long command lines, CSV on a pipe,
# a full disk. Expected values come from the fixtures and from Python's
# own answers (testsuite/py-numbers.txt).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	local p
	for p in ${BG:-} ${HOLD:-}; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null || true
}

# Process PID has filled its pipe (64 KiB): what it wrote no longer grows,
# though it writes a record every 0.1 s
blocked_in_write() {
	local a b
	a=$(awk '/^wchar/ { print $2 }' /proc/$1/io 2>/dev/null)
	[ "${a:-0}" -ge 32768 ] || return 1
	sleep 0.3
	b=$(awk '/^wchar/ { print $2 }' /proc/$1/io 2>/dev/null)
	[ "$a" = "$b" ]
}

gone() {
	! kill -0 "$1" 2>/dev/null
}

# kvm_stat -l writing into a FIFO that nobody reads; $BG its pid once it
# is blocked on the full pipe (400 fields: a record is ~4 KiB)
start_blocked_logger() {
	"$MKFIXTURE" bench "$T/root" 1 400
	export KVM_STAT_ROOT=$T/root
	mkfifo "$T/fifo"
	exec 7<> "$T/fifo"	# held open, never read
	$KVM_STAT -d -l -s 0.1 > "$T/fifo" 2> "$T/err" 3>&- 7>&- &
	BG=$!
	wait_for 10 blocked_in_write $BG
}

@test "a write blocked on a full pipe gives way to SIGTERM" {
	require_feature log
	start_blocked_logger
	kill -TERM $BG
	wait_for 10 gone $BG
	run wait $BG
	exec 7>&-
	[ "$status" -eq 143 ]	# ended by SIGTERM, as the reference
}

@test "a write blocked on a full pipe gives way to SIGINT (status 0)" {
	require_feature log
	start_blocked_logger
	kill -INT $BG
	wait_for 10 gone $BG
	run wait $BG
	exec 7>&-
	[ "$status" -eq 0 ]
}

@test "-l after a stop: one record, then the rhythm again, no burst" {
	require_feature log
	fixture
	fx vm 100 1 exits=4
	start_bg -d -l -s 0.1 -f exits
	wait_lines "$T/out" 3
	no_burst_after_stop count_lines "$T/out"
}

@test "-f: a regex that would eat gigabytes is refused at once, truly" {
	local t0 t1
	# an AddressSanitizer build compiles regexes unbounded (kvm_stat_core.c)
	! is_asan_build || skip "an AddressSanitizer build has no regex bound"
	fixture
	t0=$(date +%s%N)
	run --separate-stderr kvm_stat -d -1 -f '(.{0,255}){0,255}'
	t1=$(date +%s%N)
	[ "$status" -eq 1 ]
	[ "$stderr" = 'kvm_stat: "(.{0,255}){0,255}": regular expression too large' ]
	[ $(((t1 - t0) / 1000000)) -lt 3000 ]
	# what a field filter needs still passes: classes, alternatives, bounds
	fx vm 100 1 exits=4
	run --separate-stderr kvm_stat -d -1 -i -f '[[:alpha:]_]{0,4}xits|(io|halt)_exits{1,2}$'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(batch_line exits 4 0)" ]
}

# testsuite/py-numbers.txt: "int|float|input|Python's answer" (the value,
# or "error"), written by testsuite/py-numbers.py
@test "-p and -s take exactly what Python's int() and float() take" {
	fixture
	local kind arg want n=0 shown
	while IFS='|' read -r kind arg want; do
		[ -n "$kind" ] || continue
		arg=$(printf '%b' "$arg")
		n=$((n + 1))
		if [ "$kind" = int ]; then
			run --separate-stderr kvm_stat -d -1 -f zzz -p "$arg"
			if [ "$want" = error ] || [ "$want" -lt 0 ] || [ "$want" -gt 2147483647 ]; then
				# negative and huge pids are refused (the reference
				# would misbehave, or say the pid does not exist)
				[ "$stderr" = "kvm_stat: invalid pid '$(printf '%s' "$arg" | tr -c '[:print:]' '?')'" ] ||
					{ echo "-p [$arg]: $stderr"; false; }
			elif [ "$want" = 0 ]; then
				[ "$status" -eq 0 ] || { echo "-p [$arg]: $stderr"; false; }
			else
				[ "$stderr" = "kvm_stat: pid $want does not exist (a thread id instead of a process id?)" ] ||
					{ echo "-p [$arg]: $stderr"; false; }
			fi
		else
			run --separate-stderr kvm_stat -d -1 -f zzz -s "$arg"
			shown=$(printf '%s' "$arg" | tr -c '[:print:]' '?')
			case $want in
			error|nan) [ "$stderr" = "kvm_stat: invalid delay '$shown': not a number" ] ||
				{ echo "-s [$arg]: $stderr"; false; } ;;
			*) # in range: accepted; else the reference's message
				if awk -v d="$want" 'BEGIN { exit !(d >= 0.1 && d <= 25.5) }'; then
					[ "$status" -eq 0 ] || { echo "-s [$arg]: $stderr"; false; }
				else
					[[ $stderr == "kvm_stat: \"$want\": Delay must be "* ]] ||
						{ echo "-s [$arg] want $want: $stderr"; false; }
				fi ;;
			esac
		fi
	done < "$TOP/testsuite/py-numbers.txt"
	echo "$n inputs"
	[ "$n" -gt 40 ]
}

@test "-g NAME -p PID: the later one wins, as in the reference" {
	fixture
	fx vm 100 1 exits=4
	fx vm 200 1 exits=9
	fx proc 100 qemu -name web
	fx proc 200 qemu -name db
	run kvm_stat -d -1 -i -f exits -g web -p 200
	[ "$output" = "$(batch_line exits 9 0)" ]
	run kvm_stat -d -1 -i -f exits -p 200 -g web
	[ "$output" = "$(batch_line exits 4 0)" ]
	run kvm_stat -d -1 -i -f exits -p200 -1g web
	[ "$output" = "$(batch_line exits 4 0)" ]
	if has_feature long; then
		run kvm_stat -d -1 -i -f exits --pid=200 -1g web
		[ "$output" = "$(batch_line exits 4 0)" ]
		run kvm_stat -d -1 -i -f exits --gu web -ip200
		[ "$output" = "$(batch_line exits 9 0)" ]
	fi
	# -g is looked up all the same, as the reference's argparse does
	run --separate-stderr kvm_stat -d -1 -g nosuch -p 200
	[ "$stderr" = 'kvm_stat: no guest by the name "nosuch" found' ]
}

@test "bytes of options and of the host never reach the terminal raw" {
	fixture
	run --separate-stderr kvm_stat -d -1 -g $'\e]0;TITLE\a'
	[ "$stderr" = 'kvm_stat: no guest by the name "?]0;TITLE?" found' ]
	run --separate-stderr kvm_stat -d -1 -p $'1\e[2J'
	[ "$stderr" = "kvm_stat: invalid pid '1?[2J'" ]
	run --separate-stderr kvm_stat -d -1 -s $'\e[31m'
	[ "$stderr" = "kvm_stat: invalid delay '?[31m': not a number" ]
	# a hostile tree's field name
	fx vm 100 1
	printf '7\n' > "$KVM_STAT_ROOT/sys/kernel/debug/kvm/"$'ev\e]2;x\ail'
	printf '7\n' > "$KVM_STAT_ROOT/sys/kernel/debug/kvm/100-1/"$'ev\e]2;x\ail'
	run kvm_stat -d -1 -i -f ev
	[ "$output" = "$(batch_line 'ev?]2;x?il' 7 0)" ]
}

@test "-g finds -name after 80 KB of arguments" {
	fixture
	fx vm 100 1 exits=4
	fx proc 100 qemu $(seq -f 'arg%05g' 1 8000) -name far
	[ "$(stat -c %s "$KVM_STAT_ROOT/proc/100/cmdline")" -gt 65536 ]
	run kvm_stat -d -1 -i -f exits -g far
	[ "$output" = "$(batch_line exits 4 0)" ]
}

@test "-c -L /dev/stdout into a pipe writes the CSV header" {
	require_feature log
	fixture
	fx vm 100 1 exits=4
	$KVM_STAT -d -c -s 0.1 -f 'exits|io_exits' -L /dev/stdout 3>&- | head -n 2 > "$T/out"
	[ "$(head -n 1 "$T/out")" = "timestamp,exits,io_exits" ]
}

@test "a full disk: a clear error, and only whole records in the file" {
	require_feature log
	is_root || skip "mounting a small tmpfs needs root"
	# util-linux's unshare makes / private first, which fails where / is
	# no mount point (a chroot)
	unshare -m true 2>/dev/null || skip "no private mount namespace here (unshare -m fails)"
	"$MKFIXTURE" bench "$T/root" 1 200
	export KVM_STAT_ROOT=$T/root
	mkdir "$T/small"
	# a private mount namespace: the machine's mounts are not touched
	run unshare -m sh -c "mount -t tmpfs -o size=16k tmpfs '$T/small' &&
		$KVM_STAT -d -l -s 0.1 -L '$T/small/log' 2> '$T/err';
		echo \$? > '$T/rc'; cp '$T/small/log' '$T/log'"
	cat "$T/err"
	[ "$(cat "$T/rc")" = 1 ]
	[[ $(cat "$T/err") == "kvm_stat: write error on '$T/small/log': No space left on device" ]]
	# every line whole: it ends with a newline, and each record has all
	# its fields, the banner's and the date and time
	[ "$(tail -c 1 "$T/log" | od -An -c | tr -d ' ')" = '\n' ]
	[ "$(wc -l < "$T/log")" -ge 3 ]
	awk 'NR == 1 { n = NF + 2 } NR > 1 && NF != n { print "cut: " NR; bad = 1 }
		END { exit bad }' "$T/log"
}


# The perf path's -p tests against a process whose threads come and go:
# root, tracefs, testsuite/vmm/thread_churn
need_churn() {
	require_feature tracepoints TRACEPOINTS
	require_feature log
	is_root || skip "perf counters of another process need root"
	grep -qw tracefs /proc/mounts || skip "tracefs not mounted"
	[ -x "$BUILD/thread_churn" ] || skip "$BUILD/thread_churn not built (make vmm)"
}

# start_churn SECONDS [EVERY_MS LIFE_MS]: thread_churn in the background,
# its pid in HOLD once it runs
start_churn() {
	"$BUILD/thread_churn" "$@" > "$T/churn.out" & HOLD=$!
	wait_for 10 grep -q '^pid ' "$T/churn.out"
}

@test "-p on the perf path: the groups of ended threads are released" {
	need_churn
	# ~5 threads alive at a time, 50 born a second
	start_churn 8
	KVM_STAT="$KVM_STAT --no-bpf" start_bg -l -s 0.1 -p $HOLD -f '^kvm_pio$'
	wait_lines "$T/out" 20	# 2 s: ~100 threads came and went
	local n
	n=$(perf_fds $BG)
	echo "perf fds after 2 s: $n"
	# one per live thread (and the main thread); without the release,
	# one per thread ever seen: ~100
	[ "$n" -le 20 ]
	wait_lines "$T/out" 40
	n=$(perf_fds $BG)
	echo "perf fds after 4 s: $n"
	[ "$n" -le 20 ]
}

@test "-p -v on the perf path: the groups of ended threads that never counted are released" {
	need_churn
	[[ $($KVM_STAT --help 2>&1) == *"	-v	"* ]] || skip "this build has no per-vCPU rows"
	# -v keeps an ended vCPU's group for its row; threads that never hit
	# a tracepoint (these, QEMU's workers) have no row to keep
	start_churn 8
	KVM_STAT="$KVM_STAT --no-bpf" start_bg -l -v -s 0.1 -p $HOLD -f '^kvm_pio$'
	wait_lines "$T/out" 20	# 2 s: ~100 threads came and went
	local n
	n=$(perf_fds $BG)
	echo "perf fds after 2 s: $n"
	[ "$n" -le 20 ]
}

@test "-p -v on the perf path: threads that never counted leave no rows behind" {
	need_churn
	[[ $($KVM_STAT --help 2>&1) == *"	-v	"* ]] || skip "this build has no per-vCPU rows"
	! is_asan_build || skip "AddressSanitizer's quarantine holds freed memory: RSS says nothing"
	# every event: a row per event for each of ~10 threads a second
	# made ~130 KiB a second that stayed (~3 MiB after 25 s)
	start_churn 30 2 3
	KVM_STAT="$KVM_STAT --no-bpf" start_bg -l -v -s 0.1 -p $HOLD
	local before after
	wait_for 30 has_lines "$T/out" 20
	before=$(awk '/^VmRSS/ { print $2 }' /proc/$BG/status)
	wait_for 30 has_lines "$T/out" 80
	after=$(awk '/^VmRSS/ { print $2 }' /proc/$BG/status)
	echo "RSS: $before kB after 20 lines, $after kB after 80"
	[ "$after" -le $((before + 64)) ]
}

@test "-p on the perf path: a thread that ends while its group opens is skipped" {
	need_churn
	# a thread every 2 ms that lives 3 ms, and a group of every event (a
	# counter each): many threads end after their leader opened, and the
	# kernel fails the members with ENODEV. That killed kvm_stat ("can't
	# open perf event ...: No such device") before its 66th line, in each
	# of 8 runs.
	start_churn 30 2 3
	KVM_STAT="$KVM_STAT --no-bpf" start_bg -l -s 0.1 -p $HOLD
	wait_for 30 has_lines "$T/out" 80
	kill -0 $BG
	cat "$T/err"
	[ ! -s "$T/err" ]
}

@test "-d after the kvm module was reloaded: the new kvm/ is read" {
	require_feature log
	fixture
	fx vm 100 1 exits=5
	start_bg -d -l -s 0.1 -f exits
	wait_lines "$T/out" 2
	# the module goes (its directory with it), and comes back
	mv "$KVM_STAT_ROOT/sys/kernel/debug/kvm" "$T/kvm.old"
	mkdir "$KVM_STAT_ROOT/sys/kernel/debug/kvm"
	for f in exits io_exits halt_exits mmio_exits irq_exits signal_exits; do
		echo 0 > "$KVM_STAT_ROOT/sys/kernel/debug/kvm/$f"
	done
	fx vm 200 1 exits=3
	local n
	n=$(wc -l < "$T/out")
	wait_lines "$T/out" $((n + 2))
	fx set 200-1 exits=10	# the new VM's 7 more exits
	wait_for 10 awk '/^[0-9]/ { s += $3 } END { exit !(s >= 7) }' "$T/out"
	cat "$T/out"
	# exactly 7: from first sight of the new VM on
	[ "$(awk '/^[0-9]/ { s += $3 } END { print s }' "$T/out")" = 7 ]
}

@test "too few descriptors: a clear error, never a wrong number" {
	! is_asan_build || skip "AddressSanitizer's runtime needs descriptors of its own"
	fixture
	fx vm 100 1 exits=8
	local n
	# from too few to read anything to enough: each run either prints
	# the true count or fails with a message, nothing in between
	for n in 4 5 6 7 8 9 10 12 16; do
		for args in "-i -p 100" ""; do
			run --separate-stderr bash -c "exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
				ulimit -n $n; exec $KVM_STAT -d -1 $args -f 'exits$'"
			echo "ulimit -n $n, $args: $status [$output] [$stderr]"
			if [ "$status" -eq 0 ]; then
				[ "$output" = "$(batch_line exits "$( [ -n "$args" ] && echo 8 || echo 0)" 0)" ]
			else
				[ -z "$output" ] && [ -n "$stderr" ]
			fi
		done
	done
	# a limit that lets the set-up through fails at the counters, saying
	# so (EMFILE, whose text is the libc's)
	run --separate-stderr bash -c "exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
		ulimit -n 5; exec $KVM_STAT -d -1 -i -p 100 -f 'exits$'"
	[[ $stderr == "kvm_stat: can't read debugfs counters: "* ]]
}

@test "u64 counters: 2^64-1 as the kernel has it, and sums past 2^63" {
	local kvm
	fixture
	kvm=$KVM_STAT_ROOT/sys/kernel/debug/kvm
	# written here: the fixture's shell arithmetic stops at 2^63
	SKIP_SUMS=1 fx vm 100 1
	echo 18446744073709551615 > "$kvm/100-1/exits"
	run kvm_stat -d -1 -i -p 100 -f 'exits$'
	[ "$output" = "$(printf '%-42s%s%10d' exits 18446744073709551615 0)" ]
	SKIP_SUMS=1 fx vm 200 1
	echo 9223372036854775807 > "$kvm/100-1/exits"
	echo 10 > "$kvm/200-1/exits"
	echo 9223372036854775817 > "$kvm/exits"
	run kvm_stat -d -1 -i -f 'exits$'
	[ "$output" = "$(printf '%-42s%s%10d' exits 9223372036854775817 0)" ]
}

@test "the closer's fallback without close_range() closes what is not ours" {
	require_feature tracepoints TRACEPOINTS
	is_root || skip "perf counters need root here"
	grep -qw tracefs /proc/mounts || skip "tracefs not mounted"
	local closer
	# fd 9 is the test's: the closer must not keep it open
	KVM_STAT_DEBUG=no-close-range $KVM_STAT --no-bpf -1 -t > /dev/null 9> "$T/held"
	closer=$(ps -eo pid=,args= | awk -v cmd="$KVM_STAT --no-bpf -1 -t" '
		{ p = $1; a = $0; sub(/^ *[0-9]+ /, "", a); if (a == cmd) print p }' | tail -n 1)
	[ -n "$closer" ] || skip "the closer was already done"
	echo "closer $closer: $(ls /proc/$closer/fd 2>/dev/null | tr '\n' ' ')"
	[ ! -e /proc/$closer/fd/9 ]
}
