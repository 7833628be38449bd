#!/usr/bin/env bats
# Command line: options, validation messages, exit status.

load helpers

setup() {
	fixture
}

# BusyBox prints usage texts to stderr after its banner line and a blank
# one; the standalone build prints --help to stdout
check_help() {
	[ "$status" -eq 0 ]
	if [ "$KVM_STAT_BUILD" = busybox ]; then
		[[ $stderr == "BusyBox v"*$'\n\n'"Usage: kvm_stat "* ]]
		[[ $stderr == *"-s SEC"* ]]
	else
		[[ ${lines[0]} == "Usage: kvm_stat "* ]]
		[[ $output == *"-s SEC"* ]]
		[ -z "$stderr" ]
	fi
}

@test "--help prints the usage to stdout and exits 0" {
	run --separate-stderr kvm_stat --help
	check_help
}

@test "-h is --help" {
	run --separate-stderr kvm_stat -h
	check_help
}

@test "an unknown option prints the usage to stderr, status 1" {
	run --separate-stderr kvm_stat -Y
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == *"Usage: kvm_stat "* ]]
}

@test "a stray argument is misuse" {
	run --separate-stderr kvm_stat -1 extra
	[ "$status" -eq 1 ]
	[[ $stderr == *"Usage: kvm_stat "* ]]
}

@test "-c needs -l or -L" {
	require_feature log LOG
	run --separate-stderr kvm_stat -c
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: option -c/--csv requires -l/--log" ]
}

@test "-z needs -l or -L" {
	require_feature log LOG
	run --separate-stderr kvm_stat -z -1
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: option -z/--skip-zero-records requires -l/-L" ]
}

@test "an invalid regex is named" {
	run --separate-stderr kvm_stat -d -1 -f 'exits(['
	[ "$status" -eq 1 ]
	[ "$stderr" = 'kvm_stat: "exits([" is not a valid regular expression' ]
}

@test "delays out of range: the reference's messages, Python's number format" {
	local arg want
	while read -r arg want; do
		run --separate-stderr kvm_stat -d -1 -s "$arg"
		[ "$status" -eq 1 ]
		[ "$stderr" = "kvm_stat: $want" ]
	done <<-'EOT'
	0.05 "0.05": Delay must be >=0.1
	0 "0.0": Delay must be >=0.1
	30 "30.0": Delay must be <=25.5
	25.6 "25.6": Delay must be <=25.5
	1e-5 "1e-05": Delay must be >=0.1
	-2 "-2.0": Delay must be >=0.1
	100000000000000000 "1e+17": Delay must be <=25.5
	inf "inf": Delay must be <=25.5
	-Infinity "-inf": Delay must be >=0.1
	1e400 "inf": Delay must be <=25.5
	-1e400 "-inf": Delay must be >=0.1
	1e-320 "1e-320": Delay must be >=0.1
	1e-400 "0.0": Delay must be >=0.1
	123456789.123456789 "123456789.12345679": Delay must be <=25.5
	EOT
}

@test "garbage delays are rejected" {
	local arg
	for arg in 1x abc "" 0x10 nan 1,5; do
		run --separate-stderr kvm_stat -d -1 -s "$arg"
		[ "$status" -eq 1 ]
		[ "$stderr" = "kvm_stat: invalid delay '$arg': not a number" ]
	done
}

@test "delays at the limits are accepted" {
	fx vm 100 1
	run kvm_stat -d -1 -s 0.1
	[ "$status" -eq 0 ]
	run kvm_stat -d -1 -s 25.5
	[ "$status" -eq 0 ]
}

@test "garbage pids are rejected" {
	local arg
	for arg in abc 12x -5 "" 99999999999; do
		run --separate-stderr kvm_stat -d -1 -p "$arg"
		[ "$status" -eq 1 ]
		[ "$stderr" = "kvm_stat: invalid pid '$arg'" ]
	done
}

@test "a pid that does not exist" {
	run --separate-stderr kvm_stat -d -1 -p 4242
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: pid 4242 does not exist (a thread id instead of a process id?)" ]
}

@test "-g: no such guest" {
	fx proc 300 qemu -name guest=other
	run --separate-stderr kvm_stat -d -1 -g web
	[ "$status" -eq 1 ]
	[ "$stderr" = 'kvm_stat: no guest by the name "web" found' ]
}

@test "-g: several guests of that name list their pids, no crash" {
	fx proc 301 qemu -name web
	fx proc 77 qemu -name guest=web,debug-threads=on
	fx proc 302 qemu -name guest=other
	run --separate-stderr kvm_stat -d -1 -g web
	[ "$status" -eq 1 ]
	[ "$stderr" = 'kvm_stat: multiple processes found (pids: 77 301). Use "-p" to specify the desired pid' ]
}

@test "long options are accepted" {
	require_feature long LONG_OPTIONS
	fx vm 100 1 exits=5
	run kvm_stat --debugfs --once --debugfs-include-past --fields=exits --set-delay 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(batch_line exits 5 0)" ]
	run kvm_stat --debugfs --batch -i --pid 100 -f exits
	[ "$output" = "$(batch_line exits 5 0)" ]
}

@test "options cluster and take their argument attached or apart" {
	fx vm 100 1 exits=5 io_exits=2
	run kvm_stat -1di -fexits -s 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(batch_line exits 5 0)" ]
	run kvm_stat -di1f io -s2
	[ "$output" = "$(batch_line io_exits 2 0)" ]
	# "--" ends the options: what follows is an operand, and misuse
	run --separate-stderr kvm_stat -1 -d -- -i
	[ "$status" -eq 1 ]
	[[ $stderr == *"Usage: kvm_stat "* ]]
}

@test "a missing option argument is misuse, naming the option" {
	run --separate-stderr kvm_stat -1 -d -f
	[ "$status" -eq 1 ]
	[[ ${stderr_lines[0]} == "kvm_stat: "*"f"* ]]
	[[ $stderr == *"Usage: kvm_stat "* ]]
}

@test "long options: unique prefixes, =ARG, and misuse named" {
	require_feature long LONG_OPTIONS
	fx vm 100 1 exits=5 io_exits=2
	run kvm_stat --debugfs --onc --debugfs-i --fie=io --set 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(batch_line io_exits 2 0)" ]
	# "--debugfs" is exact, "--deb" could be --debugfs-include-past too
	run kvm_stat --debugfs --once -i --fields exits
	[ "$output" = "$(batch_line exits 5 0)" ]
	run --separate-stderr kvm_stat --deb -1
	[ "$status" -eq 1 ]
	[[ ${stderr_lines[0]} == "kvm_stat: "*"deb"* ]]
	run --separate-stderr kvm_stat --once=3
	[ "$status" -eq 1 ]
	[[ ${stderr_lines[0]} == "kvm_stat: "*"once"* ]]
	run --separate-stderr kvm_stat --no-such-option
	[ "$status" -eq 1 ]
	[[ ${stderr_lines[0]} == "kvm_stat: "*"no-such-option"* ]]
}

@test "no debugfs mounted (a FUSE mount named debugfs does not count)" {
	fixture nodebugfs
	run --separate-stderr kvm_stat -d -1
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: debugfs is not mounted: enable CONFIG_DEBUG_FS and run 'mount -t debugfs debugfs /sys/kernel/debug'" ]
}

@test "no kvm directory in debugfs" {
	fixture nokvm
	run --separate-stderr kvm_stat -d -1
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: $FX/sys/kernel/debug/kvm not found: make sure that CONFIG_KVM is enabled in your kernel and that the modules are loaded" ]
}

@test "-t without tracefs is an error" {
	require_feature tracepoints TRACEPOINTS
	run --separate-stderr kvm_stat -t -1
	[ "$status" -eq 1 ]
	[[ $stderr == "kvm_stat: tracefs not found"* ]]
}

@test "without tracefs the default falls back to debugfs at once, with a note" {
	require_feature tracepoints TRACEPOINTS
	fx vm 100 1 exits=3
	SECONDS=0
	run --separate-stderr kvm_stat -1 -i -f exits
	[ "$status" -eq 0 ]
	[ "$stderr" = "kvm_stat: tracefs not found, falling back to debugfs statistics" ]
	[ "$output" = "$(batch_line exits 3 0)" ]
	[ "$SECONDS" -le 2 ]
}

@test "options of features this build lacks are refused clearly" {
	if has_feature log; then
		skip "this build has log mode"
	fi
	run --separate-stderr kvm_stat -l
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: log mode (-l, -L, -c, -z) is not built in" ]
}
