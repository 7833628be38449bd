#!/usr/bin/env bats
# The interactive screen, driven in a detached tmux session of a fixed size
# on a fixture tree: keys with send-keys, the screen with capture-pane.
# Expected screens are built from the fixture's numbers with the
# reference's formats ('%-40s %10d%7.1f %8s'), not copied from our output.

load helpers

setup() {
	require_feature tui TUI
	require_feature debugfs DEBUGFS
	command -v tmux >/dev/null || skip "tmux is not installed"
	SOCK_BASE="kvmstat-tui-$$-$BATS_TEST_NUMBER"
	SOCK=$SOCK_BASE
	NSOCK=0
	D=$BATS_TEST_TMPDIR
	fixture
	fx vm 4242 10 exits=1000 io_exits=300 halt_exits=200
	fx vm 5151 11 exits=500 io_exits=50 irq_exits=7
	fx proc 4242 qemu-system-x86_64 -name guest=web,debug-threads=on
	fx proc 5151 qemu-system-x86_64 -name db
}

# kvm_stat is ended by the test, not by the tmux server going: a process
# whose terminal vanishes may be left running (a sanitizer build's leak
# check at exit can spin forever in one), and no test leaves one behind
teardown() {
	end_tui
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	if [ -n "${VMM_PID:-}" ]; then
		kill "$VMM_PID" 2>/dev/null
		wait "$VMM_PID" 2>/dev/null
	fi
	return 0
}

# SIGTERM to kvm_stat if it still runs, then wait until it has gone
end_tui() {
	local pid
	pid=$(tui_pid 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -TERM $pid 2>/dev/null || return 0
	wait_for 10 ! kill -0 $pid 2>/dev/null
}

tm() {
	tmux -L "$SOCK" "$@"
}

# Starts kvm_stat ARGS in a WxH tmux window (TUI_SIZE, default 80x24);
# records stty -g before and after, and the exit status, in $D. Each
# start has a tmux server of its own: one just killed may still be
# shutting down on its socket (a new session there failed under load).
start_tui() {
	local size=${TUI_SIZE:-80x24}
	NSOCK=$((NSOCK + 1))
	SOCK=$SOCK_BASE-$NSOCK
	printf '%s\n' "#!/bin/sh" \
		"export KVM_STAT_ROOT='$KVM_STAT_ROOT' TERM=\${TUI_TERM:-$TERM}" \
		"${TUI_PRE:-:}" \
		"stty -g > '$D/stty.before'" \
		"$KVM_STAT $*" \
		"echo \$? > '$D/rc'" \
		"stty -g > '$D/stty.after'" \
		"exec sleep 600" > "$D/run.sh"
	chmod +x "$D/run.sh"
	# exec: the pane's process is run.sh, kvm_stat its child (tui_pid),
	# whatever the user's shell (bash runs a lone command in place, dash
	# forks it)
	tm -f /dev/null new-session -d -x "${size%x*}" -y "${size#*x}" -s tui \
		"exec env TUI_TERM=${TUI_TERM:-screen} $D/run.sh"
}

# The screen, trailing blank lines dropped (capture-pane drops blanks at
# line ends)
screen() {
	tm capture-pane -p -t tui | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

# The screen cut at column N, blanks at line ends dropped
screen_cut() {
	screen | cut -c1-"$1" | sed 's/ *$//'
}

screen_is() {
	[ "$(screen)" = "$1" ]
}

screen_cut_is() {
	[ "$(screen_cut "$1")" = "$2" ]
}

# Waits until the screen equals stdin, else shows both
expect_screen() {
	local want
	want=$(cat)
	wait_for 10 screen_is "$want" && return 0
	diff -u <(echo "$want") <(screen) >&2
	return 1
}

# The same, the screen cut at column N (CurAvg/s depends on timing)
expect_screen_cut() {
	local n=$1 want
	want=$(cat)
	wait_for 10 screen_cut_is "$n" "$want" && return 0
	diff -u <(echo "$want") <(screen_cut "$n") >&2
	return 1
}

has_line() {
	screen | grep -qxF -- "$1"
}

# Waits until a screen line is exactly LINE
wait_line() {
	wait_for 10 has_line "$1" && return 0
	screen >&2
	echo "no line '$1'" >&2
	return 1
}

# The pid of kvm_stat: the child of the pane's shell
tui_pid() {
	pgrep -P "$(tm list-panes -t tui -F '#{pane_pid}')"
}

# kvm_stat has ended: the pane's script wrote its exit status
wait_exit() {
	wait_for 10 test -s "$D/rc"
}

keys() {
	tm send-keys -t tui "$@"
}

# Reference formats
head_line() {
	printf ' %-40s %10s%7s %8s\n' "${1:-Event}" Total %Total CurAvg/s
}

# NAME VALUE TOTAL CUR: the percentage computed here
row() {
	printf ' %-40s %10d%7.1f %8s\n' "$1" "$2" \
		"$(awk -v v="$2" -v t="$3" 'BEGIN { printf "%.1f", v * 100 / t }')" "$4" |
		sed 's/ *$//'
}

total_line() {
	printf ' %-40s %10d        %8s\n' Total "$1" "$2" | sed 's/ *$//'
}

# exits 1500, io 350, halt 200, irq 7: the two VMs' sums, -i shows them
summary_frame() {
	echo "kvm statistics - summary"
	echo
	head_line
	row exits 1500 2057 0
	row io_exits 350 2057 0
	row halt_exits 200 2057 0
	row irq_exits 7 2057 0
	total_line 2057 ""
}

@test "tui: first frame, exact text and attributes" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	# bold title, reverse-video column header, bold Total
	run tm capture-pane -p -e -t tui
	[[ ${lines[0]} == *$'\e[1mkvm statistics - summary'* ]]
	[[ ${lines[1]} == *$'\e[7mEvent'* ]]
	[[ $output == *$'\e[1mTotal'* ]]
}

@test "tui: sorting by CurAvg/s then by Total ('o'), both ways" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	# irq_exits +500: by total it stays below exits and above io_exits
	fx set 5151-11 irq_exits=507
	keys o
	{
		echo "kvm statistics - summary"
		echo
		head_line | cut -c1-59
		row exits 1500 2557 | cut -c1-59
		row irq_exits 507 2557 | cut -c1-59
		row io_exits 350 2557 | cut -c1-59
		row halt_exits 200 2557 | cut -c1-59
		echo " Total                                          2557"
	} | sed 's/ *$//' | expect_screen_cut 59
	# by (delta, total) again: the one that moved comes first
	fx set 5151-11 irq_exits=1007
	keys o
	{
		echo "kvm statistics - summary"
		echo
		head_line | cut -c1-59
		row irq_exits 1007 3057 | cut -c1-59
		row exits 1500 3057 | cut -c1-59
		row io_exits 350 3057 | cut -c1-59
		row halt_exits 200 3057 | cut -c1-59
		echo " Total                                          3057"
	} | sed 's/ *$//' | expect_screen_cut 59
}

cur_moved() {
	[ "$(screen | awk '$1 == "exits" { print $4 }')" != 0 ]
}

@test "tui: CurAvg/s is the change per second since the last refresh" {
	# t0 before the first read, t1 after the second is seen
	local t0=${EPOCHREALTIME//[!0-9]/} t1 cur
	start_tui -d -i -s 25
	summary_frame | expect_screen
	# The screen reads again 0.25 s after the first frame (the reference
	# does too), unseen: the same numbers. 2 s from the first frame puts
	# the Space's read over 1 s after that one, unless that timer comes
	# more than 0.75 s late.
	sleep 2
	fx set 4242-10 exits=1600
	keys Space
	wait_for 10 cur_moved
	t1=${EPOCHREALTIME//[!0-9]/}
	cur=$(screen | awk '$1 == "exits" { print $4 }')
	# 600 over the time between the last two reads: more than 1 s (so
	# less than 600/s), less than t1 - t0 (so at least 600 over that): a
	# loaded machine makes it longer, never shorter
	echo "CurAvg/s $cur, $(((t1 - t0) / 1000)) ms"
	[ "$cur" -lt 600 ]
	[ "$cur" -ge $((600 * 1000000 / (t1 - t0) - 1)) ]
	run screen
	[[ ${lines[6]} == " Total"*"$cur" ]]
}

@test "tui: child events hidden, shown with 'x' under their parent" {
	FIELDS="exit_instruction instruction_sigp instruction_stsi exit_null" \
		fixture arch=s390x
	fx vm 4242 10 exit_instruction=100 instruction_sigp=60 instruction_stsi=40 exit_null=50
	fx proc 4242 qemu-system-s390x -name s390guest
	start_tui -d -i -s 25
	{
		echo "kvm statistics - summary"
		echo
		head_line
		row exit_instruction 100 150 0
		row exit_null 50 150 0
		total_line 150 ""
	} | expect_screen
	keys x
	{
		echo "kvm statistics - summary"
		echo
		head_line
		row exit_instruction 100 150 0
		row "  instruction_sigp" 60 100 0
		row "  instruction_stsi" 40 100 0
		row exit_null 50 150 0
		total_line 150 ""
	} | expect_screen
	keys x
	{
		echo "kvm statistics - summary"
		echo
		head_line
		row exit_instruction 100 150 0
		row exit_null 50 150 0
		total_line 150 ""
	} | expect_screen
}

@test "tui: 'f' sets a regex filter, a bad one is refused, 'c' clears it" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys f
	printf '%s\n' "Show statistics for events matching a regex." "" \
		"Current regex:" "New regex:" | expect_screen
	keys 'exits(' Enter
	printf '%s\n' "Show statistics for events matching a regex." "" \
		"Current regex:" "New regex:" "" \
		'"exits(": Not a valid regular expression' | expect_screen
	keys BSpace BSpace BSpace BSpace BSpace BSpace 'io|halt' Enter
	{
		echo "kvm statistics - summary"
		echo "                 regex filter: io|halt"
		head_line
		row io_exits 350 550 0
		row halt_exits 200 550 0
		total_line 550 ""
	} | expect_screen
	keys c
	summary_frame | expect_screen
}

@test "tui: a long regex is cut at 44 characters in the header" {
	local re="exits|io_exits|halt_exits|irq_exits|signal_exits|mmio"
	start_tui -d -i -s 25 -f "'$re'"
	wait_line "                 regex filter: ${re:0:44}..."
	wait_line "$(row exits 1500 2057 0)"

}

@test "tui: 'p' prompt lists guests; pid valid and not running" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	local list
	list=$(printf '  %8s  %-60s\n' Pid "Guest Name (fuzzy list, might be inaccurate!)" \
		4242 web 5151 db | sed 's/ *$//')
	keys p
	{
		echo "Show statistics for specific guest or pid."
		echo "This might limit the shown data to the trace statistics."
		echo
		echo "Guest or pid [ENTER exits]:"
		echo; echo; echo
		echo "$list"
	} | expect_screen
	keys 999999 Enter
	{
		echo "Show statistics for specific guest or pid."
		echo "This might limit the shown data to the trace statistics."
		echo
		echo "Guest or pid [ENTER exits]:"
		echo
		echo '"999999": Not a running process'
		echo
		echo "$list"
	} | expect_screen
	keys C-u 4242 Enter
	{
		echo "kvm statistics - pid 4242 (web)"
		echo
		head_line
		row exits 1000 1500 0
		row io_exits 300 1500 0
		row halt_exits 200 1500 0
		total_line 1500 ""
	} | expect_screen
	# 0 (or an empty answer) goes back to all guests
	keys g 0 Enter
	summary_frame | expect_screen
}

@test "tui: 'g' prompt by guest name: valid, unknown, several matches" {
	fx proc 6161 qemu-system-x86_64 -name twin
	fx proc 6262 qemu-system-x86_64 -name twin
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys g
	wait_line "$(printf '  %8s  %s' 6262 twin)"
	keys nosuch Enter
	wait_line '"nosuch": Not an active guest'
	keys C-u twin Enter
	wait_line '"twin": Multiple matches found, use pid filter instead'
	keys C-u db Enter
	{
		echo "kvm statistics - pid 5151 (db)"
		echo
		head_line
		row exits 500 557 0
		row io_exits 50 557 0
		row irq_exits 7 557 0
		total_line 557 ""
	} | expect_screen
}

@test "tui: Escape leaves a prompt without a change" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys p 4242 Escape
	summary_frame | expect_screen
	keys f io Escape
	summary_frame | expect_screen
}

@test "tui: 's' delay prompt: valid, out of range, garbage, default" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys s
	printf '%s\n' "Set update interval (defaults to 3.0s)." "" \
		"Change delay from 25.0s to" | expect_screen
	keys 30 Enter
	printf '%s\n' "Set update interval (defaults to 3.0s)." "" \
		"Change delay from 25.0s to" "" '"30.0": Delay must be <=25.5' | expect_screen
	keys C-u 0.05 Enter
	printf '%s\n' "Set update interval (defaults to 3.0s)." "" \
		"Change delay from 25.0s to" "" '"0.05": Delay must be >=0.1' | expect_screen
	keys C-u abc Enter
	printf '%s\n' "Set update interval (defaults to 3.0s)." "" \
		"Change delay from 25.0s to" "" '"abc": Invalid value' | expect_screen
	keys C-u 1e1 Enter
	summary_frame | expect_screen
	keys s
	printf '%s\n' "Set update interval (defaults to 3.0s)." "" \
		"Change delay from 10.0s to" | expect_screen
	keys Enter
	summary_frame | expect_screen
	keys s
	printf '%s\n' "Set update interval (defaults to 3.0s)." "" \
		"Change delay from 3.0s to" | expect_screen
}

@test "tui: 'h' help screen, any key goes back" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys h
	# 'e' and 'v' where the build has them (FEATURE_KVM_STAT_EXIT_TIMES,
	# FEATURE_KVM_STAT_VCPU)
	local usage no_e=cat no_v=cat
	usage=$($KVM_STAT --help 2>&1)
	[[ $usage == *"	e	"* ]] || no_e="grep -v ^...e"
	[[ $usage == *"	v	"* ]] || no_v="grep -v ^...v"
	$no_e <<-'EOF' | $no_v | expect_screen
	Interactive commands reference

	Press any key to exit

	   b     toggle events by guests (debugfs only, honors filters)
	   c     clear filter
	   e     toggle exit handling times by reason
	   f     filter by regular expression
	   g     filter by guest name/PID
	   h     display interactive commands reference
	   o     toggle sorting order (Total vs CurAvg/s)
	   p     filter by guest name/PID
	   q     quit
	   r     reset stats
	   s     set delay between refreshs (value range: 0.1-25.5 secs)
	   v     toggle events by vCPU (with a guest selected)
	   x     toggle reporting of stats for individual child trace events
	Any other key refreshes statistics immediately
	EOF
	keys z
	summary_frame | expect_screen
}

@test "tui: 'b' by-guest view and back" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys b
	{
		echo "kvm statistics - summary"
		echo
		head_line "Guest Name"
		row web 1500 2057 0
		row db 557 2057 0
		total_line 2057 ""
	} | expect_screen
	keys b
	summary_frame | expect_screen
}

@test "tui: 'r' resets the counters to zero" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys r
	{
		echo "kvm statistics - summary"
		echo
		head_line
		echo
		echo " No matching events reported yet"
	} | expect_screen
	fx set 4242-10 io_exits=310
	keys Space
	{
		echo "kvm statistics - summary"
		echo
		head_line | cut -c1-59
		row io_exits 10 10 | cut -c1-59
	} | sed 's/ *$//' | expect_screen_cut 59
}

@test "tui: a watched guest that dies is marked DEAD, then followed by name" {
	start_tui -d -i -s 25 -p 4242
	{
		echo "kvm statistics - pid 4242 (web)"
		echo
		head_line
		row exits 1000 1500 0
		row io_exits 300 1500 0
		row halt_exits 200 1500 0
		total_line 1500 ""
	} > "$D/web"
	expect_screen < "$D/web"
	rm -rf "$KVM_STAT_ROOT/proc/4242"
	keys Space
	# the marker at the end of the title, the last numbers kept
	sed '1s/$/   Guest is DEAD/' "$D/web" | expect_screen
	run tm capture-pane -p -e -t tui
	[[ ${lines[0]} == *'5;7m'*'   Guest is DEAD'* ]]
	# the same name comes back with a new pid
	fx proc 7777 qemu-system-x86_64 -name web
	keys Space
	printf '%s\n' "kvm statistics - pid 7777 (web)" "" "$(head_line)" "" \
		" Updating pid filter..." | expect_screen
}

@test "tui: resize redraws; rows are cut, never wrapped; tiny sizes work" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	tm resize-window -t tui -x 40 -y 6
	summary_frame | head -6 | cut -c1-40 | sed 's/ *$//' |
		sed '6s/.*/ Total/' | expect_screen
	tm resize-window -t tui -x 20 -y 5
	# the last row is left for the Total: one event row, no Total
	printf '%s\n' "kvm statistics - sum" "" " Event" " exits" |
		expect_screen
	tm resize-window -t tui -x 80 -y 24
	summary_frame | expect_screen
}

@test "tui: 'q' quits with the terminal settings restored" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys q
	wait_exit
	[ "$(cat "$D/rc")" = 0 ]
	cmp "$D/stty.before" "$D/stty.after"
	# the last frame stays, the shell continues below it
	summary_frame | expect_screen
}

@test "tui: Ctrl-C quits with the terminal settings restored" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	keys C-c
	wait_exit
	[ "$(cat "$D/rc")" = 0 ]
	cmp "$D/stty.before" "$D/stty.after"
}

@test "tui: SIGTERM and SIGHUP restore the terminal" {
	local sig
	for sig in TERM HUP; do
		rm -f "$D/rc"
		start_tui -d -i -s 25
		summary_frame | expect_screen
		kill -"$sig" "$(tui_pid)"
		wait_exit
		[ "$(cat "$D/rc")" != 0 ]
		cmp "$D/stty.before" "$D/stty.after"
		tm kill-server
	done
}

@test "tui: a fatal signal (SIGSEGV) restores the terminal" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	kill -SEGV "$(tui_pid)"
	wait_exit
	[ "$(cat "$D/rc")" = 139 ]
	cmp "$D/stty.before" "$D/stty.after"
}

@test "tui: works with TERM=vt100, vt220 and linux" {
	local t
	for t in vt100 vt220 linux; do
		TUI_TERM=$t start_tui -d -i -s 25
		summary_frame | expect_screen
		keys q
		wait_exit
		[ "$(cat "$D/rc")" = 0 ]
		rm -f "$D/rc"
		tm kill-server
	done
}

@test "tui: TERM=dumb or no terminal: a clear error, non-zero exit" {
	run env TERM=dumb script -qec "$KVM_STAT -d" /dev/null
	[ "$status" -ne 0 ]
	[[ $output == *"needs a terminal"*"-1"*"-l"* ]]
	run kvm_stat -d < /dev/null
	[ "$status" -ne 0 ]
	[[ $output == *"needs a terminal"* ]]
}

@test "tui: size 0x0 (serial console): asks the terminal" {
	TUI_PRE="stty rows 0 cols 0" start_tui -d -i -s 25
	summary_frame | expect_screen
}

@test "tui: a guest name holding escape sequences is printed harmless" {
	fx proc 4242 qemu-system-x86_64 -name $'evil\e]2;owned\a\e[2J\e[31m'
	start_tui -d -i -s 25 -p 4242
	{
		echo "kvm statistics - pid 4242 (evil?]2;owned??[2J?[31m)"
		echo
		head_line
		row exits 1000 1500 0
		row io_exits 300 1500 0
		row halt_exits 200 1500 0
		total_line 1500 ""
	} | expect_screen
	# no raw ESC reached the terminal: the window title is unchanged
	[ "$(tm display-message -p -t tui '#{pane_title}')" != owned ]
}

@test "tui: a guest name longer than 48 characters is cut" {
	local name=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP
	fx proc 4242 qemu-system-x86_64 -name "$name"
	start_tui -d -i -s 25 -p 4242
	wait_line "kvm statistics - pid 4242 (${name:0:48}...)"
}

screen_has_exits() {
	screen | grep -q '^ kvm_userspace_exit  *[1-9][0-9]* '
}

@test "tui: a real guest (tiny_vmm) under tracepoints; 'b' says debugfs only" {
	require_feature tracepoints TRACEPOINTS
	[ -c /dev/kvm ] || skip "no /dev/kvm on this machine"
	[ -x "$BUILD/tiny_vmm" ] || skip "no test VMM: run 'make vmm' first"
	is_root || skip "perf tracepoints need root here (perf_event_paranoid)"
	"$BUILD/tiny_vmm" -name guest=tuivm -r 1000 -t 30 > "$D/vmm.out" &
	local vmm=$!
	VMM_PID=$vmm
	wait_for 10 grep -q '^pid ' "$D/vmm.out"
	unset KVM_STAT_ROOT
	KVM_STAT_ROOT= start_tui -t -p "$vmm" -s 1
	wait_line "kvm statistics - pid $vmm (tuivm)"
	wait_for 10 screen_has_exits
	keys b
	wait_line "                 Command not available with tracepoints enabled"
	wait_line "           Restart with debugfs only (see option '-d') and try again!"
	keys z q
	wait_exit
	kill "$vmm" 2>/dev/null || true
	wait "$vmm" || true
	[ "$(cat "$D/rc")" = 0 ]
	cmp "$D/stty.before" "$D/stty.after"
}

# --- hostile terminals and job control --------------------------------------

@test "tui: Ctrl-S is a key, not flow control that freezes the screen" {
	start_tui -d -i -s 25
	summary_frame | expect_screen
	# with IXON on, the terminal would stop our output here, and 'q'
	# would wait for Ctrl-Q
	keys C-s
	keys x
	keys q
	wait_exit
	[ "$(cat "$D/rc")" = 0 ]
	[ "$(cat "$D/stty.after")" = "$(cat "$D/stty.before")" ]
}

@test "tui: a terminal claiming 65535x32769 cells: clamped, no crash, restored" {
	TUI_PRE="stty rows 65535 cols 32769" start_tui -d -i -s 25
	wait_line "kvm statistics - summary"
	keys q
	wait_exit
	[ "$(cat "$D/rc")" = 0 ]
	[ "$(cat "$D/stty.after")" = "$(cat "$D/stty.before")" ]
	rm -f "$D/rc"
	tm kill-server	# the next start has a server of its own
	TUI_PRE="stty rows 65535 cols 65535" start_tui -d -i -s 25
	wait_line "kvm statistics - summary"
	keys q
	wait_exit
	[ "$(cat "$D/rc")" = 0 ]
}

@test "tui: Ctrl-Z stops it with the terminal given back; fg redraws it" {
	local sh pid
	NSOCK=$((NSOCK + 1))
	SOCK=$SOCK_BASE-$NSOCK
	# an interactive shell: job control
	tm -f /dev/null new-session -d -x 80 -y 24 -s tui \
		"env -i PATH=$PATH HOME=$D TERM=screen PS1='prompt\$ ' bash --norc --noprofile -i"
	wait_line 'prompt$'
	# alone on its line: a stopped job ends a list in bash
	keys "stty -g > $D/stty.before; KVM_STAT_ROOT=$KVM_STAT_ROOT $KVM_STAT -d -i -s 25" Enter
	wait_line "kvm statistics - summary"
	pid=$(pgrep -f -- "$KVM_STAT -d -i -s 25" | head -n 1)
	keys C-z
	# stopped, and the shell has the terminal back, cooked
	wait_for 10 test "$(awk '{ print $3 }' /proc/$pid/stat)" = T
	keys "stty -g > $D/stty.stopped" Enter
	wait_for 10 test -s "$D/stty.stopped"
	[ "$(cat "$D/stty.stopped")" = "$(cat "$D/stty.before")" ]
	keys "fg; echo rc=\$? > $D/rc" Enter
	# running again, the whole screen drawn anew, keys taken raw
	wait_for 10 test "$(awk '{ print $3 }' /proc/$pid/stat)" != T
	wait_line "kvm statistics - summary"
	keys q
	wait_for 10 test -s "$D/rc"
	[ "$(cat "$D/rc")" = rc=0 ]
}

@test "tui: SIGTSTP from outside stops it the same way; SIGCONT redraws" {
	local pid
	start_tui -d -i -s 25
	summary_frame | expect_screen
	pid=$(tui_pid)
	kill -TSTP $pid
	# no job control in the pane's sh: the stop is the kernel's to make
	# (an orphaned process group is not stopped); either way the screen
	# comes back whole after SIGCONT
	kill -CONT $pid
	summary_frame | expect_screen
	keys q
	wait_exit
	[ "$(cat "$D/rc")" = 0 ]
	[ "$(cat "$D/stty.after")" = "$(cat "$D/stty.before")" ]
}
