#!/usr/bin/env bats
# The build: Config.in against the //config: blocks, usage text per
# feature set, what a build without a feature says.

load helpers

@test "Config.in carries the same entries as the //config: blocks" {
	diff -u <("$TOP/scripts/gen-config-in.sh") "$TOP/Config.in"
}

@test "every feature of Config.in gates something in the sources" {
	local sym
	for sym in $(sed -n 's/^config \(FEATURE_[A-Z0-9_]*\)$/\1/p' "$TOP/Config.in"); do
		grep -Eq "(CONFIG|ENABLE|IF)_$sym\b" "$TOP"/applet/*.c
	done
}

@test "the usage text shows only what is built" {
	run kvm_stat --help
	[ "$status" -eq 0 ]
	if has_feature log; then [[ $output == *"-L FILE"* ]]; else [[ $output != *"-L"* ]]; fi
	if has_feature tui; then [[ $output == *"Interactive keys"* ]]; else [[ $output != *"Interactive"* ]]; fi
	if has_feature tracepoints; then [[ $output == *"	-t	"* ]]; else [[ $output != *"	-t	"* ]]; fi
}

@test "a build without the screen says so and names -1" {
	has_feature tui && skip "this build has the interactive screen"
	fixture
	run --separate-stderr kvm_stat -d
	[ "$status" -eq 1 ]
	[[ $stderr == "kvm_stat: the interactive screen is not built in: use -1 (batch)"* ]]
}

@test "a build without tracepoints refuses -t clearly" {
	has_feature tracepoints && skip "this build has tracepoints"
	fixture
	run --separate-stderr kvm_stat -t -1
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: -t: tracepoint support is not built in" ]
}

@test "a build without tracepoints reads debugfs by default" {
	has_feature tracepoints && skip "this build has tracepoints"
	fixture
	fx vm 100 1 exits=4
	run --separate-stderr kvm_stat -1 -i -f exits
	[ "$status" -eq 0 ]
	[ "$output" = "$(batch_line exits 4 0)" ]
}

@test "a build without long options refuses them" {
	has_feature long && skip "this build has long options"
	run --separate-stderr kvm_stat --once
	[ "$status" -eq 1 ]
}

# The link packs the data segment right after the code (common-page-size=16
# in the Makefile); the kernel's ELF loader still needs each segment's file
# offset congruent to its address modulo the segment's alignment, which is
# the largest page size (64 KiB on arm64). Checked on every binary built,
# and on the one under test (in make test-asan, a dynamic one).
@test "the binaries' segments load on every page size" {
	command -v readelf >/dev/null || skip "no readelf (binutils)"
	local bin loads off addr align n=0
	for bin in "$KVM_STAT" "$TOP"/build/arm64/kvm_stat; do
		[ -f "$bin" ] || continue
		loads=$(readelf -lW "$bin" | awk '$1 == "LOAD" { print $2, $3, $NF }')
		[ -n "$loads" ]
		while read -r off addr align; do
			[ $(((addr - off) % align)) -eq 0 ] || { echo "$bin: LOAD at $off, $addr, align $align" >&2; return 1; }
		done <<< "$loads"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}
