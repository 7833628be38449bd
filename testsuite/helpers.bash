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

# Waits until FILE has at least N lines (at most ~5 s)
wait_lines() {
	local i
	for i in $(seq 100); do
		[ "$(wc -l < "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $2 lines in $1" >&2
	return 1
}

is_root() {
	[ "$(id -u)" = 0 ]
}
