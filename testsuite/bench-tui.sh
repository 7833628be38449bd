#!/bin/sh
# Bytes the TUI sends to the terminal, measured with tmux pipe-pane on an
# 80x24 window over a fixture of two VMs (KVM_STAT, default ./kvm_stat):
#   tui_bytes_first_frame     from the start until the screen is steady
#                             (setup, clear, header, rows, and the 0.25 s
#                             refresh after it)
#   tui_bytes_steady_refresh  one refresh where one counter moved (its
#                             Total, every %Total, two CurAvg/s change),
#                             the mean of 5
#   tui_bytes_idle_refresh    one refresh where nothing changed
# then what curses sends for the same screens (testsuite/bench-curses.py,
# fed with capture-pane texts of ours): curses_bytes_*.
set -e
cd "$(dirname "$0")/.."
KVM_STAT=${KVM_STAT:-./kvm_stat}
case $KVM_STAT in /*) ;; *) KVM_STAT=$PWD/$KVM_STAT ;; esac
command -v tmux >/dev/null || { echo "bench-tui: tmux is not installed" >&2; exit 1; }

dir=$(mktemp -d)
sock=kvmstat-bench-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT
fx=testsuite/mkfixture.sh
$fx init "$dir/root"
$fx vm "$dir/root" 4242 10 exits=1000 io_exits=300 halt_exits=200
$fx vm "$dir/root" 5151 11 exits=500 io_exits=50 irq_exits=7
$fx proc "$dir/root" 4242 qemu -name web
$fx proc "$dir/root" 5151 qemu -name db
out=$dir/bytes screens=$dir/screens
: > "$out"
mkdir "$screens"

# the pipe is attached while the shell sleeps, before the first byte
tmux -L $sock -f /dev/null new-session -d -x 80 -y 24 -s b \
	"sleep 0.5; KVM_STAT_ROOT='$dir/root' TERM=screen exec $KVM_STAT -d -i -s 25"
tmux -L $sock pipe-pane -o -t b "cat >> '$out'"
sleep 2
size() { wc -c < "$out"; }
# waits until no byte came for 0.3 s
settle() {
	n=-1
	while [ "$n" != "$(size)" ]; do
		n=$(size)
		sleep 0.3
	done
}
settle
capture() { tmux -L $sock capture-pane -p -t b > "$screens/$1"; }
capture first
echo "tui_bytes_first_frame: $(size) bytes"

total=0 value=1000
for i in 1 2 3 4 5; do
	value=$((value + 100))
	$fx set "$dir/root" 4242-10 exits=$value
	before=$(size)
	tmux -L $sock send-keys -t b Space
	settle
	total=$((total + $(size) - before))
	capture steady$i
done
echo "tui_bytes_steady_refresh: $((total / 5)) bytes"

tmux -L $sock send-keys -t b Space	# CurAvg/s back to 0
settle
capture zero
before=$(size)
tmux -L $sock send-keys -t b Space
settle
capture idle
echo "tui_bytes_idle_refresh: $(($(size) - before)) bytes"
tmux -L $sock send-keys -t b q

if command -v python3 >/dev/null; then
	python3 testsuite/bench-curses.py "$screens" \
	|| echo "curses_bytes: skipped (bench-curses.py failed)"
else
	echo "curses_bytes: skipped (python3 is not installed)"
fi
