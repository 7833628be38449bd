# Shared by the bats files. The command under test comes from $KVM_STAT
bats_require_minimum_version 1.5.0
# (default: ./kvm_stat of this tree); it may hold a space, as in
# "build/busybox/busybox kvm_stat", so it is always expanded unquoted.
TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${KVM_STAT:=$TOP/kvm_stat}"
: "${BUILD:=$TOP/build}"
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
MKFIXTURE=$TOP/testsuite/mkfixture.sh

kvm_stat() {
	$KVM_STAT "$@"
}

# Features of the build under test, read off its usage text (works the
# same for the standalone binary and for "busybox kvm_stat")
has_feature() {
	local usage
	usage=$($KVM_STAT --help 2>&1)
	case $1 in
	tui) [[ $usage == *"Interactive keys"* ]] ;;
	log) [[ $usage == *"-L FILE"* ]] ;;
	debugfs) [[ $usage == *"	-d	"* ]] ;;
	tracepoints) [[ $usage == *"	-t	"* ]] ;;
	textfile) [[ $usage == *"-O FILE"* ]] ;;
	long) kvm_stat --help >/dev/null 2>&1 && $KVM_STAT --once --help >/dev/null 2>&1 ;;
	esac
}

require_feature() {
	has_feature "$1" || skip "this build has no $1 support (FEATURE_KVM_STAT_${2:-$1} off)"
}

# A fresh fake host tree for the test: KVM_STAT_ROOT points at it
fixture() {
	FX=$BATS_TEST_TMPDIR/root
	rm -rf "$FX"
	"$MKFIXTURE" init "$FX" "$@"
	export KVM_STAT_ROOT=$FX
}

fx() {
	"$MKFIXTURE" "$1" "$FX" "${@:2}"
}

# The batch line of the reference: '%-42s%10d%10d'
batch_line() {
	printf '%-42s%10d%10d\n' "$1" "$2" "$3"
}

# Runs kvm_stat in the background, output in $BATS_TEST_TMPDIR/out.
# Not through the kvm_stat function: $! must be kvm_stat itself (a
# subshell would ignore SIGINT), and bats' fd 3 must not be held open.
start_bg() {
	$KVM_STAT "$@" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" 3>&- &
	BG=$!
}

# For teardown: ends the background kvm_stat ($BG) a failed test left
# running, and waits until it has gone (the suite checks that no test
# leaves a process behind)
end_bg() {
	[ -n "${BG:-}" ] || return 0
	kill "$BG" 2>/dev/null || return 0
	wait_for 10 ! kill -0 "$BG" 2>/dev/null
	wait "$BG" 2>/dev/null
	return 0
}

# wait_for SECONDS [!] COMMAND [ARG...]: runs COMMAND every 0.05 s until
# it succeeds (with "!": until it fails); false, saying what it waited
# for, once SECONDS have passed. The one way the tests wait: a condition,
# never a sleep of a guessed length. Be generous: a loaded machine is
# slow, and a condition that holds returns at once anyway.
wait_for() {
	local limit=$1 neg=0 start=${EPOCHREALTIME//[!0-9]/} rc
	shift
	if [ "$1" = "!" ]; then
		neg=1
		shift
	fi
	for (( ; ; )); do
		"$@" && rc=0 || rc=1
		[ $rc = $neg ] && return 0
		if [ $((${EPOCHREALTIME//[!0-9]/} - start)) -ge $((limit * 1000000)) ]; then
			echo "timed out after ${limit}s waiting for: $([ $neg = 1 ] && echo "! ")$*" >&2
			return 1
		fi
		sleep 0.05
	done
}

# The lines in FILE (0 if there is none yet)
count_lines() {
	wc -l < "$1" 2>/dev/null || echo 0
}

# FILE has at least N lines
has_lines() {
	[ "$(count_lines "$1")" -ge "$2" ]
}

# Waits until FILE has at least N lines
wait_lines() {
	wait_for 10 has_lines "$1" "$2"
}

# log_sums FILE NAME...: the sums of a plain -l log's columns NAME..., on
# one line (a record is date, time, then the first header's names in order)
log_sums() {
	awk -v names="${*:2}" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i + 2; next }
		/^[0-9]/ { for (k in col) sum[k] += $(col[k]) }
		END { n = split(names, w, " "); for (i = 1; i <= n; i++)
			printf "%s%s", sum[w[i]] + 0, i < n ? " " : "\n" }' "$1"
}

# PID sleeps in poll/ppoll: kvm_stat between two samples (its only wait)
in_poll() {
	[[ $(cat "/proc/$1/wchan" 2>/dev/null) == *poll* ]]
}

is_root() {
	[ "$(id -u)" = 0 ]
}

# Descriptors of process PID whose link is exactly WHAT
# ("anon_inode:[perf_event]", "anon_inode:bpf_link", ...)
fds_of() {
	local n=0 f
	for f in /proc/$1/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$2" ] && n=$((n + 1))
	done
	echo $n
}

# Perf event descriptors a process holds
perf_fds() {
	fds_of "$1" "anon_inode:[perf_event]"
}

# KVM VMs held by any process (tests running in parallel hold some)
other_vms() {
	local f n=0
	for f in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:kvm-vm" ] && n=$((n + 1))
	done
	echo $n
}

# The build under test carries AddressSanitizer (make test-asan): its
# runtime needs descriptors and address space of its own
is_asan_build() {
	ldd ${KVM_STAT%% *} 2>/dev/null | grep -q libasan
}

# tmux_end SOCKET: ends what runs under the panes of tmux server SOCKET
# (kvm_stat, or the sleep after it) with SIGTERM, waits until each has
# gone, then kills the server. Never the other way round: a process whose
# terminal vanishes under it may be left running (a sanitizer build's
# leak check at exit was seen to spin forever in one).
tmux_end() {
	local pane pid
	for pane in $(tmux -L "$1" list-panes -a -F '#{pane_pid}' 2>/dev/null); do
		for pid in $(pgrep -P "$pane"); do
			kill -TERM "$pid" 2>/dev/null || continue
			wait_for 10 ! kill -0 "$pid" 2>/dev/null || return 1
		done
	done
	tmux -L "$1" kill-server 2>/dev/null || true
}

# no_burst_after_stop COMMAND [ARG...]: stops $BG (a view at -s 0.1) for
# 2 s, 20 intervals missed, lets it go on, and checks what COMMAND counts
# in its output (records, files, tables) grows by 1 to 10 in the 0.5 s
# after: in rhythm ~5 (+1 at once); catching up would add 20 more
no_burst_after_stop() {
	local before after
	kill -STOP $BG
	sleep 2	# the stop itself
	before=$("$@")
	kill -CONT $BG
	sleep 0.5
	after=$("$@")
	echo "written in the 0.5 s after SIGCONT: $((after - before))"
	[ $((after - before)) -le 10 ] && [ $((after - before)) -ge 1 ]
}
