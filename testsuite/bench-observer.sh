#!/bin/bash
# The observer effect, for `make bench`: how much longer the test guest
# takes for N loops (2 port writes + HLT each, ~18 KVM tracepoint hits)
# while kvm_stat's default screen watches, against no watcher. Rounds
# are interleaved (alone, BPF, perf, in a rotating order) because these
# machines are shared and noisy; each watched run is compared with the
# unwatched run of its own round, and the median of those ratios is the
# figure:
#   observer_bpf_pct    the TUI counting with BPF programs
#   observer_perf_pct   the TUI with --no-bpf (filtered perf counters,
#                       what upstream kvm_stat opens)
#   tracepoint_fds_bpf, tracepoint_fds_perf   the TUI's descriptors with
#                       every kvm event (ls /proc/PID/fd | wc -l)
# OBSERVER_LOOPS (100000) and OBSERVER_ROUNDS (5) set the size.
cd "$(dirname "$0")/.." || exit 1
KVM_STAT=${KVM_STAT:-./kvm_stat}
case $KVM_STAT in /*) ;; *) KVM_STAT=$PWD/$KVM_STAT ;; esac
BUILD=${BUILD:-build}
VMM=$PWD/$BUILD/tiny_vmm
LOOPS=${OBSERVER_LOOPS:-100000}
ROUNDS=${OBSERVER_ROUNDS:-5}

skip() { echo "observer benchmark skipped: $*" >&2; exit 0; }
[ -c /dev/kvm ] || skip "no /dev/kvm"
[ -x "$VMM" ] || skip "no $VMM (make vmm)"
command -v tmux >/dev/null || skip "no tmux"
grep -qw tracefs /proc/mounts || skip "tracefs not mounted"
"$KVM_STAT" --help 2>&1 | grep -q -- --no-bpf || skip "this build has no BPF path"

sock=kvmstat-observer-$$
tmp=$(mktemp -d)
trap 'tmux -L $sock kill-server 2>/dev/null; rm -rf "$tmp"' EXIT

# The guest's wall time for LOOPS loops, in microseconds
guest_us() {
	local t0 t1
	t0=$(date +%s%N)
	"$VMM" -l "$LOOPS" -q > /dev/null || return 1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
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

stop_watcher() {
	tmux -L $sock send-keys -t w q 2>/dev/null
	tmux -L $sock kill-server 2>/dev/null
	while kill -0 "$WATCHER" 2>/dev/null; do sleep 0.05; done
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

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

guest_us > /dev/null	# warm-up
for r in $(seq "$ROUNDS"); do
	# rotate the order, so that no mode always runs first
	for m in $(echo "alone bpf perf alone bpf" | cut -d' ' -f$(( (r - 1) % 3 + 1 ))-$(( (r - 1) % 3 + 3 ))); do
		case $m in
		alone) alone=$(guest_us) ;;
		bpf) read -r bpf fds_bpf <<< "$(watched)" ;;
		perf) read -r perf fds_perf <<< "$(watched --no-bpf)" ;;
		esac
	done
	echo "$bpf $alone" | awk '{ printf "%.2f\n", ($1 / $2 - 1) * 100 }' >> "$tmp/bpf"
	echo "$perf $alone" | awk '{ printf "%.2f\n", ($1 / $2 - 1) * 100 }' >> "$tmp/perf"
	echo "$alone" >> "$tmp/alone"
done
echo "observer_guest_alone: $(median < "$tmp/alone" | awk '{ printf "%.0f", $1 / 1000 }') ms ($LOOPS loops, $ROUNDS rounds)"
echo "observer_bpf_pct: $(median < "$tmp/bpf") %"
echo "observer_perf_pct: $(median < "$tmp/perf") %"
echo "tracepoint_fds_bpf: $fds_bpf count"
echo "tracepoint_fds_perf: $fds_perf count"
exit 0
