#!/usr/bin/env bats
# Per-vCPU breakdown (-v, the TUI's 'v'): the test VMM with 3 vCPUs, each
# doing its own known number of loops (tiny_vmm -L), counted on this
# machine's KVM. Each exact test runs on the BPF path and on the perf path
# (--no-bpf). Expected numbers come from the loop counts given here: a
# loop is 2 kvm_pio hits and 3 kvm_userspace_exit hits (IO, IO, HLT).

bats_require_minimum_version 1.5.0
load helpers

LOOPS="100,200,300"

setup() {
	VMM=$BUILD/tiny_vmm
	T=$BATS_TEST_TMPDIR
}

teardown() {
	local p
	for p in ${VMS:-} ${BG:-}; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null || true
	tmux_end "kvmstat-vcpu-$$"
}

has_vcpu() {
	[[ $($KVM_STAT --help 2>&1) == *"	-v	"* ]]
}

need_kvm() {
	has_vcpu || skip "this build has no per-vCPU support (FEATURE_KVM_STAT_VCPU off)"
	[ -c /dev/kvm ] || skip "/dev/kvm absent: no KVM on this host"
	awk '$3 == "tracefs" { f = 1 } END { exit !f }' /proc/mounts ||
		skip "tracefs not mounted"
	[ -x "$VMM" ] || skip "$VMM not built (make vmm)"
	is_root || skip "perf tracepoints need root here"
}

# The counting paths to run a test on: BPF where built and allowed, perf
paths() {
	if [[ $($KVM_STAT --help 2>&1) == *--no-bpf* ]]; then
		echo bpf perf
	else
		echo perf
	fi
}

opt_of() {	# opt_of PATH: kvm_stat's option for it
	[ "$1" = perf ] && echo --no-bpf || true
}

# start_gated_vm NAME VMM-ARGS...: a VM whose vCPU threads exist, named
# "CPU N/KVM", but wait for SIGHUP before their loops (-G); they stay
# after them (-k). Its pid in $VM.
start_gated_vm() {
	# a file of its own: a wait on a reused one could see the last run's
	"$VMM" -name "guest=$1" -G -k "${@:2}" > "$T/vm.$1.$path.out" &
	VM=$!
	VMS="${VMS:-} $VM"
	wait_for 10 grep -q '^pid ' "$T/vm.$1.$path.out"
}

# vcpu_sums FILE FIELD: "VCPU: SUM" lines, the FIELD column of a plain -v
# log summed per vCPU (the last columns: a name may hold blanks)
vcpu_sums() {
	awk -v f="$2" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i; n = NF - 1; next }
	$1 ~ /^[0-9][0-9][0-9][0-9]-/ {
		name = $(n + 3)
		for (i = n + 4; i <= NF; i++) name = name " " $i
		s[name] += $(c + 2)
	}
	END { for (k in s) print k ": " s[k] }' "$1" | sort
}

# The same for a CSV -v log (whose header comes again every 20 records)
csv_vcpu_sums() {
	awk -F, -v f="$2" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i; next }
	$1 == "timestamp" { next }
	{ s[$2] += $c }
	END { for (k in s) print k ": " s[k] }' "$1" | sort
}

# What the sums must be for LOOPS and N hits a loop
want_sums() {	# want_sums N
	local IFS=, l i=0 all=0
	for l in $LOOPS; do
		echo "CPU $i/KVM: $(($1 * l))"
		all=$((all + $1 * l))
		i=$((i + 1))
	done
	echo "all: $all"
}

sums_are() {	# sums_are WANT FN FILE FIELD
	[ "$($2 "$3" "$4")" = "$1" ]
}

# --- options --------------------------------------------------------------

@test "vcpu: -v without a guest, or on debugfs alone, is a one-line error" {
	has_vcpu || skip "no per-vCPU support in this build"
	run -1 $KVM_STAT -1 -v
	[ "$output" = "kvm_stat: option -v/--vcpus: Select a guest first (-p, -g, or the keys p, g)" ]
	fixture
	fx vm 4242 10 exits=1000
	fx proc 4242 qemu-system-x86_64 -name web
	run -1 $KVM_STAT -1 -d -v -p 4242
	[ "$output" = "kvm_stat: option -v/--vcpus: debugfs has no per-vCPU counters: use tracepoints (-t)" ]
	run -1 $KVM_STAT -d -v -g web -O -
	[ "${#lines[@]}" = 1 ]
	if has_feature long; then
		run -1 $KVM_STAT --once --vcpus
		[[ $output == *"Select a guest first"* ]]
	fi
}

# --- exact counts per vCPU -------------------------------------------------

@test "vcpu: -l -v, one line per vCPU, exact per vCPU on each path" {
	need_kvm
	require_feature log
	local path
	for path in $(paths); do
		start_gated_vm vl -L $LOOPS
		$KVM_STAT $(opt_of $path) -l -v -s 0.2 -p $VM \
			-f 'kvm_pio|kvm_userspace_exit$' > "$T/log.$path" 2> "$T/err" 3>&- &
		BG=$!
		wait_lines "$T/log.$path" 1
		[ "$(head -1 "$T/log.$path")" = "kvm_pio kvm_userspace_exit vcpu " ]
		kill -HUP $VM
		wait_for 20 sums_are "$(want_sums 2)" vcpu_sums "$T/log.$path" kvm_pio ||
			{ echo "$path:"; vcpu_sums "$T/log.$path" kvm_pio; false; }
		wait_for 20 sums_are "$(want_sums 3)" vcpu_sums "$T/log.$path" kvm_userspace_exit
		# a record: the guest's line, then one per vCPU, by start (the
		# last: every vCPU has run by now, not always by the first)
		grep -q ' all$' "$T/log.$path"
		[ "$(grep -A3 ' all$' "$T/log.$path" | tail -n 4 | sed -n '2,4s/.* \(CPU [0-9]\/KVM\)$/\1/p' | tr '\n' ,)" = "CPU 0/KVM,CPU 1/KVM,CPU 2/KVM," ]
		kill $BG $VM; wait $BG $VM || true
		BG= VMS=
	done
}

@test "vcpu: -l -c -v, CSV with a vcpu column, exact per vCPU" {
	need_kvm
	require_feature log
	local path
	for path in $(paths); do
		start_gated_vm vc -L $LOOPS
		$KVM_STAT $(opt_of $path) -l -c -v -s 0.2 -p $VM -f 'kvm_pio' \
			> "$T/csv.$path" 2> "$T/err" 3>&- &
		BG=$!
		wait_lines "$T/csv.$path" 1
		[ "$(head -1 "$T/csv.$path")" = "timestamp,vcpu,kvm_pio" ]
		kill -HUP $VM
		wait_for 20 sums_are "$(want_sums 2)" csv_vcpu_sums "$T/csv.$path" kvm_pio ||
			{ echo "$path:"; csv_vcpu_sums "$T/csv.$path" kvm_pio; false; }
		grep -Eq '^[0-9-]+ [0-9:]+,CPU 1/KVM,[0-9]+$' "$T/csv.$path"
		kill $BG $VM; wait $BG $VM || true
		BG= VMS=
	done
}

@test "vcpu: a vCPU named with ',' and '\"' keeps CSV's columns: those are '?'" {
	need_kvm
	require_feature log
	local path=default	# the default counting path
	# a VMM names its threads as it likes
	start_gated_vm vn -L $LOOPS -T 'C,P"U '
	$KVM_STAT -l -c -v -s 0.2 -p $VM -f 'kvm_pio' > "$T/csv" 2> "$T/err" 3>&- &
	BG=$!
	wait_lines "$T/csv" 1
	kill -HUP $VM
	local want
	want=$(want_sums 2 | sed 's|^CPU \([0-9]\)/KVM:|C?P?U \1:|' | sort)
	wait_for 20 sums_are "$want" csv_vcpu_sums "$T/csv" kvm_pio ||
		{ csv_vcpu_sums "$T/csv" kvm_pio; false; }
	# three columns on every line
	awk -F, 'NF != 3 { print "line " NR ": " $0; bad = 1 } END { exit bad }' "$T/csv"
	[ ! -s "$T/err" ]
}

@test "vcpu: -1 -v, field/vCPU rows after each field, exact per vCPU" {
	need_kvm
	local path
	for path in $(paths); do
		# -g: the guest by name; the loops run inside the 1 s sample
		start_gated_vm vb -L $LOOPS
		$KVM_STAT $(opt_of $path) -1 -v -g vb -f 'kvm_pio|kvm_userspace_exit\(HLT' \
			> "$T/batch.$path" 2> "$T/err" 3>&- &
		BG=$!
		wait_for 10 in_poll $BG
		kill -HUP $VM
		wait $BG
		BG=
		# the parent of a wanted child comes too, as without -v
		diff -u - "$T/batch.$path" <<-EOF
		$(batch_line kvm_pio 1200 1200)
		$(batch_line "kvm_pio/CPU 0/KVM" 200 200)
		$(batch_line "kvm_pio/CPU 1/KVM" 400 400)
		$(batch_line "kvm_pio/CPU 2/KVM" 600 600)
		$(batch_line kvm_userspace_exit 1800 1800)
		$(batch_line "kvm_userspace_exit/CPU 0/KVM" 300 300)
		$(batch_line "kvm_userspace_exit/CPU 1/KVM" 600 600)
		$(batch_line "kvm_userspace_exit/CPU 2/KVM" 900 900)
		$(batch_line "kvm_userspace_exit(HLT)" 600 600)
		$(batch_line "kvm_userspace_exit(HLT)/CPU 0/KVM" 100 100)
		$(batch_line "kvm_userspace_exit(HLT)/CPU 1/KVM" 200 200)
		$(batch_line "kvm_userspace_exit(HLT)/CPU 2/KVM" 300 300)
		EOF
		kill $VM; wait $VM || true
		VMS=
	done
}

# --- vCPUs that come and go ------------------------------------------------

lines_of() {	# lines_of RE FILE
	grep -c "$1" "$2"
}

lines_at_least() {	# lines_at_least RE FILE N
	[ "$(lines_of "$1" "$2")" -ge "$3" ]
}

@test "vcpu: a vCPU thread started late appears; one that ended keeps its counts" {
	need_kvm
	require_feature log
	# CPU 0 and 1 run (paced) and end; CPU 2 is created at SIGHUP
	"$VMM" -name guest=hot -L 50,400,300 -r 1000 -H 1 -w 60 > "$T/vm.out" &
	VM=$!
	VMS=$VM
	wait_for 10 grep -q '^pid ' "$T/vm.out"
	start_bg -l -v -s 0.2 -p $VM -f 'kvm_pio'
	wait_for 10 grep -q 'CPU 1/KVM$' "$T/out"
	! grep -q 'CPU 2/KVM$' "$T/out"
	kill -HUP $VM
	wait_for 20 grep -q 'CPU 2/KVM$' "$T/out"
	# every thread ended (-w: the process stays): the lines stay, zeros
	wait_for 20 grep -q '^io_exits ' "$T/vm.out"
	local n
	n=$(lines_of 'CPU 2/KVM$' "$T/out")
	wait_for 10 lines_at_least 'CPU 2/KVM$' "$T/out" $((n + 2))
	tail -4 "$T/out" | grep -q '^[0-9-]* [0-9:]*         0 CPU 1/KVM$'
	if [[ $($KVM_STAT --help 2>&1) == *--no-bpf* ]]; then
		# the BPF path counts from its set-up: the late thread exactly
		vcpu_sums "$T/out" kvm_pio
		[ "$(vcpu_sums "$T/out" kvm_pio | grep 'CPU 2')" = "CPU 2/KVM: 600" ]
	fi
}

# --- the screen ------------------------------------------------------------

vtm() {
	tmux -L "kvmstat-vcpu-$$" "$@"
}

vscreen() {	# the screen cut at column ${1:-59} (CurAvg/s depends on timing)
	vtm capture-pane -p -t v | cut -c1-"${1:-59}" | sed 's/ *$//'
}

vscreen_has() {
	vscreen ${2:-} | grep -qxF -- "$1"
}

vrow() {	# NAME VALUE TOTAL: up to %Total
	printf ' %-40s %10d%7.1f\n' "$1" "$2" \
		"$(awk -v v="$2" -v t="$3" 'BEGIN { printf "%.1f", v * 100 / t }')"
}

@test "vcpu: TUI 'v' rows per vCPU, exact; 'x' adds their exit reasons; 'o' sorts; 'r' resets" {
	need_kvm
	require_feature tui TUI
	command -v tmux >/dev/null || skip "tmux is not installed"
	local path l
	for path in $(paths); do
		start_gated_vm vt -L $LOOPS
		tmux_end "kvmstat-vcpu-$$"
		vtm -f /dev/null new-session -d -x 80 -y 24 -s v \
			"$KVM_STAT $(opt_of $path) -p $VM -s 0.3 -f 'kvm_userspace_exit'; sleep 600"
		wait_for 10 vscreen_has " Event                                         Total %Total"
		vtm send-keys -t v v
		wait_for 10 vscreen_has " vCPU                                          Total %Total"
		kill -HUP $VM
		vtm send-keys -t v o	# by total
		for l in "$(vrow "CPU 2/KVM" 900 1800)" "$(vrow "CPU 1/KVM" 600 1800)" \
			"$(vrow "CPU 0/KVM" 300 1800)"; do
			wait_for 20 vscreen_has "$l" || { vscreen; false; }
		done
		[ "$(vscreen | sed -n 4,6p)" = "$(vrow "CPU 2/KVM" 900 1800)
$(vrow "CPU 1/KVM" 600 1800)
$(vrow "CPU 0/KVM" 300 1800)" ]
		vtm send-keys -t v x
		wait_for 10 vscreen_has "$(printf '   %-38s %10d%7.1f' 'kvm_userspace_exit(IO)' 600 66.7)"
		[ "$(vscreen | sed -n 4,6p)" = "$(vrow "CPU 2/KVM" 900 1800)
$(printf '   %-38s %10d%7.1f' 'kvm_userspace_exit(IO)' 600 66.7)
$(printf '   %-38s %10d%7.1f' 'kvm_userspace_exit(HLT)' 300 33.3)" ]
		# 'r': the vCPUs' counts start from zero (the loops are over)
		vtm send-keys -t v r
		wait_for 10 vscreen_has " No matching events reported yet"
		# back to events
		vtm send-keys -t v v
		wait_for 10 vscreen_has " Event                                         Total %Total"
		vtm send-keys -t v q
		tmux_end "kvmstat-vcpu-$$"
		kill $VM; wait $VM || true
		VMS=
	done
}

@test "vcpu: TUI 'v' without a guest, or on debugfs alone, says why" {
	has_vcpu || skip "no per-vCPU support in this build"
	require_feature tui TUI
	require_feature debugfs DEBUGFS
	command -v tmux >/dev/null || skip "tmux is not installed"
	fixture
	fx vm 4242 10 exits=1000
	fx proc 4242 qemu-system-x86_64 -name web
	vtm -f /dev/null new-session -d -x 80 -y 24 -s v \
		"KVM_STAT_ROOT=$KVM_STAT_ROOT $KVM_STAT -d -s 25; sleep 600"
	wait_for 10 vscreen_has " Event                                         Total %Total"
	vtm send-keys -t v v
	wait_for 10 vscreen_has "                             Command not available" 80
	vscreen_has "                Select a guest first (-p, -g, or the keys p, g)" 80
	vtm send-keys -t v z p 4242 Enter
	wait_for 10 vscreen_has "kvm statistics - pid 4242 (web)"
	vtm send-keys -t v v
	wait_for 10 vscreen_has "             debugfs has no per-vCPU counters: use tracepoints (-t)" 80
	vtm send-keys -t v q
	tmux_end "kvmstat-vcpu-$$"
}
