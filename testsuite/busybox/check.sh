#!/bin/bash
# make busybox-check: build kvm_stat inside Debian's BusyBox 1.35 (bookworm)
# and 1.37 (trixie), every feature on and then off, and run the bats suite
# against "busybox kvm_stat". One line per step; exit 1 if any step failed.
#
# Environment (optional), besides those of lib.sh:
#   BATS_FILES  the suite ("testsuite/*.bats")
#   VARIANTS    builds per version ("full min full@gcc"): NAME is
#               testsuite/busybox/NAME.config, "@CC" overrides BB_CC
#   BUILD_ONLY  variants only built, not tested ("full@gcc": the glibc
#               headers' warnings under CONFIG_WERROR are what it checks)
set -u
. "$(dirname "$0")/lib.sh"
BATS_FILES=${BATS_FILES:-$(echo "$top"/testsuite/*.bats)}
VARIANTS=${VARIANTS:-full min full@gcc}
BUILD_ONLY=${BUILD_ONLY:-full@gcc}

failed=0
step_start=0
start() { step_start=$(date +%s); }
report() {	# report LABEL ok|FAIL DETAILS
	printf '%-30s %-4s %s (%ds)\n' "$1" "$2" "$3" $(($(date +%s) - step_start))
	test "$2" = ok || failed=1
}

# The suite learns what it tests from the environment: the command (with
# a space in it), the build's .config and its kvm_stat features.
# run-tests.sh mounts debugfs and tracefs when they are missing.
run_suite() {	# run_suite LABEL OUTDIR
	local label=$1 out=$2 tap=$2/bats.tap rc total skipped notok
	start
	KVM_STAT="$out/busybox kvm_stat" \
	KVM_STAT_BUILD=busybox \
	KVM_STAT_CONFIG=$out/.config \
	KVM_STAT_FEATURES=$(features_of "$out/.config") \
	TESTS=$BATS_FILES \
		"$top/testsuite/run-tests.sh" >"$tap" 2>&1 </dev/null
	rc=$?
	total=$(grep -c '^\(not \)\?ok ' "$tap")
	skipped=$(grep -c '^ok .* # skip' "$tap")
	notok=$(grep -c '^not ok ' "$tap")
	if test $rc = 0 && test "$notok" = 0 && test "$total" -gt 0; then
		report "$label test" ok "$total tests, $skipped skipped"
	else
		report "$label test" FAIL "$notok of $total failed (rc $rc), log: $tap"
		grep -A6 '^not ok ' "$tap" | head -n 40 | sed 's/^/	/'
	fi
}

start
if trees=$(prepare_trees 2>"$BBDIR/fetch.err"); then
	report "busybox fetch" ok "$(cut -d' ' -f1,2 "$BBDIR/fetched" | tr '\n' ' ')"
else
	report "busybox fetch" FAIL "$(tail -n 3 "$BBDIR/fetch.err")"
	exit 1
fi

while read -r suite ver tree <&3; do
	start
	if sync_applet "$tree"; then
		report "busybox $ver copy" ok "$(cd "$tree/procps" && echo kvm_stat*.[ch])"
	else
		report "busybox $ver copy" FAIL "no $APPLET_DIR/kvm_stat.c"
		continue
	fi
	for variant in $VARIANTS; do
		name=${variant%@*}
		cc=$BB_CC
		case $variant in *@*) cc=${variant#*@};; esac
		out=$BBDIR/out/$suite-$variant
		label="busybox $ver $variant"
		start
		if bb_build "$suite" "$variant" "$cc" "$name" 2>"$out.err"; then
			report "$label build" ok "$cc, $(stat -c %s "$out/busybox") bytes, [$(features_of "$out/.config")]"
			case " $BUILD_ONLY " in
			*" $variant "*) ;;
			*) run_suite "$label" "$out";;
			esac
		else
			report "$label build" FAIL "log: $out/build.log"
			sed 's/^/	/' "$out.err" | head -n 30
		fi
	done
done 3<<EOT
$trees
EOT
exit $failed
