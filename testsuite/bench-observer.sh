#!/bin/bash
# The observer effect, for `make bench`: how much longer the test guest
# takes for N loops (2 port writes + HLT each, ~18 KVM tracepoint hits)
# while kvm_stat's default screen watches, against no watcher:
#   observer_bpf_pct    the TUI counting with BPF programs
#   observer_perf_pct   the TUI with --no-bpf (filtered perf counters,
#                       what upstream kvm_stat opens)
#   observer_control_pct  the same figure for an unwatched run: the
#                       method's own bias, which should be ~0
#   observer_*_p25_pct, observer_*_p75_pct  the quartiles, the noise
#   tracepoint_fds_bpf, tracepoint_fds_perf   the TUI's descriptors with
#                       every kvm event (ls /proc/PID/fd | wc -l)
#
# These machines are shared VMs: back-to-back runs of the same guest
# differ by up to 15 %, in bursts. So the runs are short and many, and
# interleaved: alone, X, -, alone, Y, -, alone, Z, -, alone... where X,
# Y, Z are the BPF watcher, the perf watcher and the control (rotating
# order), and - is a run thrown away.
# Each run of X, Y or Z is compared with the mean of the two unwatched
# runs next to it, and the median of those ratios is the figure. The
# guest is pinned to the last CPU, where it runs in every mode: a
# migration is noise, not the watcher's cost. The watcher is not
# pinned; it idles between its refreshes (every 3 s) and its programs
# or counters run in the guest's own context, on the guest's CPU.
# OBSERVER_LOOPS (60000, ~1.8 s here) and OBSERVER_ROUNDS (12) set the
# size: ~4.5 minutes in all, most of it the perf watcher's closer (~8 s
# of tearing down 269 counters each time, waited for).
cd "$(dirname "$0")/.." || exit 1
KVM_STAT=${KVM_STAT:-./kvm_stat}
case $KVM_STAT in /*) ;; *) KVM_STAT=$PWD/$KVM_STAT ;; esac
KVM_STAT=$(readlink -f "$KVM_STAT")
. testsuite/bench-lib.sh
BUILD=${BUILD:-build}
VMM=$PWD/$BUILD/tiny_vmm
LOOPS=${OBSERVER_LOOPS:-60000}
ROUNDS=${OBSERVER_ROUNDS:-12}
CPU=$(($(getconf _NPROCESSORS_ONLN) - 1))

skip() { echo "observer benchmark skipped: $*" >&2; exit 0; }
[ -c /dev/kvm ] || skip "no /dev/kvm"
[ -x "$VMM" ] || skip "no $VMM (make vmm)"
command -v tmux >/dev/null || skip "no tmux"
command -v taskset >/dev/null || skip "no taskset"
grep -qw tracefs /proc/mounts || skip "tracefs not mounted"
"$KVM_STAT" --help 2>&1 | grep -q -- --no-bpf || skip "this build has no BPF path"

sock=kvmstat-observer-$$
tmp=$(mktemp -d)
trap 'tmux -L $sock kill-server 2>/dev/null; rm -rf "$tmp"' EXIT

# The guest's wall time for N (LOOPS) loops, in microseconds
guest_us() {
	local t0 t1
	now_us t0
	taskset -c "$CPU" "$VMM" -l "${1:-$LOOPS}" -q > /dev/null || return 1
	now_us t1
	echo $((t1 - t0))
}

# Starts the screen (OPTIONS) in a detached tmux window and waits for its
# first frame; sets WATCHER to its pid
start_watcher() {
	local i
	tmux -L $sock -f /dev/null new-session -d -x 80 -y 24 -s w \
		"TERM=screen exec $KVM_STAT $*"
	for i in $(seq 200); do
		tmux -L $sock capture-pane -p -t w 2>/dev/null |
			grep -q 'kvm statistics' && break
		sleep 0.05
	done
	WATCHER=$(tmux -L $sock list-panes -t w -F '#{pane_pid}')
}

# Quits the screen and waits until the closer is done too: its tearing
# down of the tracepoints must not slow the unwatched run that follows
stop_watcher() {
	tmux -L $sock send-keys -t w q 2>/dev/null
	tmux -L $sock kill-server 2>/dev/null
	while kill -0 "$WATCHER" 2>/dev/null || ours_running; do sleep 0.05; done
}

# One watched run: prints "guest_us fds"
watched() {
	local us fds
	start_watcher "$@"
	fds=$(ls /proc/"$WATCHER"/fd | wc -l)
	us=$(guest_us)
	stop_watcher
	echo "$us $fds"
}

# Appends 100 * (RUN / mean(BEFORE, AFTER) - 1) to FILE
ratio() {
	awk -v w="$1" -v a="$2" -v b="$3" \
		'BEGIN { printf "%.2f\n", (w / ((a + b) / 2) - 1) * 100 }' >> "$4"
}

guest_us > /dev/null	# warm-up
before=$(guest_us)
modes="bpf perf control"
for r in $(seq "$ROUNDS"); do
	for m in $modes; do
		case $m in
		bpf) read -r us fds_bpf <<< "$(watched)" ;;
		perf) read -r us fds_perf <<< "$(watched --no-bpf)" ;;
		control) us=$(guest_us) ;;
		esac
		# a run thrown away: the kernel frees what the watcher had
		# (programs, tracepoint probes) in deferred work, which would
		# slow the next run, not the watched one
		guest_us $((LOOPS / 4)) > /dev/null
		after=$(guest_us)
		ratio "$us" "$before" "$after" "$tmp/$m"
		echo "$after" >> "$tmp/alone"
		before=$after
	done
	modes="${modes#* } ${modes%% *}"	# rotate: no mode always first
done
echo "observer_guest_alone: $(percentile 50 < "$tmp/alone" | awk '{ printf "%.0f", $1 / 1000 }') ms ($LOOPS loops, $ROUNDS rounds, CPU $CPU)"
for m in bpf perf control; do
	echo "observer_${m}_pct: $(percentile 50 < "$tmp/$m") %"
	echo "observer_${m}_p25_pct: $(percentile 25 < "$tmp/$m") %"
	echo "observer_${m}_p75_pct: $(percentile 75 < "$tmp/$m") %"
done
echo "tracepoint_fds_bpf: $fds_bpf count"
echo "tracepoint_fds_perf: $fds_perf count"
exit 0
