# Sourced by the bench scripts that run kvm_stat more than once, after
# they set KVM_STAT.

ours_exe=$(readlink -f "$KVM_STAT")	# as /proc/PID/exe names it

# Whether a process of this binary runs: kvm_stat, or the closer it hands
# its descriptors to when it quits (a detached grandchild, which tears the
# perf path's 269 counters down for seconds)
ours_running() {
	local exe
	for exe in /proc/[0-9]*/exe; do
		[ "$(readlink "$exe" 2>/dev/null)" = "$ours_exe" ] && return 0
	done
	return 1
}

# NAME = the time in µs, from bash's own clock, $EPOCHREALTIME (bash 5):
# a date(1) to read the clock is a fork and an exec, 1-5 ms here, which
# made most of the quit latency measured. (Its decimal point follows the
# locale.)
now_us() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		printf -v "$1" %s "${EPOCHREALTIME//[!0-9]/}"
	else
		printf -v "$1" %s "$(($(date +%s%N) / 1000))"
	fi
}

# P (0-100)th percentile of the numbers on stdin, interpolated
percentile() {
	sort -n | awk -v p="$1" '{ v[NR] = $1 }
		END { x = 1 + (NR - 1) * p / 100; i = int(x)
			printf "%.2f", v[i] + (x - i) * (v[i + 1] - v[i]) }'
}
