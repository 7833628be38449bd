#!/bin/sh
# Runs each libFuzzer target for FUZZ_SECONDS (default 20), one line per
# target, then "N passed, N failed". A crash, a sanitizer report, a broken
# property (abort) or a leak fails the target; the input that did it is
# kept as FUZZ_DIR/crash-TARGET-* and the log as FUZZ_DIR/TARGET.log.
# The seed corpus (testsuite/fuzz/corpus/TARGET) is copied first: what the
# fuzzer adds stays in the build tree, the seeds in git stay few.
#
# usage: run.sh FUZZ_DIR TARGET...
fuzz_dir=$1
shift
seconds=${FUZZ_SECONDS:-20}
seeds=$(dirname "$0")/corpus
passed=0 failed=0
# UBSan reports are fatal (-fno-sanitize-recover at build time too);
# halt_on_error: ASan's first report ends the run
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1
for t; do
	corpus=$fuzz_dir/corpus/$t
	log=$fuzz_dir/$t.log
	mkdir -p "$corpus" "$fuzz_dir/tmp/$t"
	cp "$seeds/$t"/* "$corpus"/ 2>/dev/null
	rm -f "$fuzz_dir/crash-$t-"*
	start=$(date +%s)
	# -close_fd_mask=1: what the parsers print on stdout (the probe's
	# escape sequences) goes nowhere; stderr stays in the log.
	# -timeout: an input that takes seconds is a finding too.
	TMPDIR=$fuzz_dir/tmp/$t "$fuzz_dir/$t" -max_total_time="$seconds" \
		-timeout=10 -rss_limit_mb=1024 -close_fd_mask=1 -print_final_stats=1 \
		-artifact_prefix="$fuzz_dir/crash-$t-" "$corpus" >"$log" 2>&1
	rc=$?
	rm -rf "$fuzz_dir/tmp/$t"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" = 0 ] && ! ls "$fuzz_dir/crash-$t-"* >/dev/null 2>&1; then
		passed=$((passed + 1))
		printf 'fuzz %-16s ok    %s runs in %ss, corpus %s\n' "$t" \
			"${runs:-?}" $(($(date +%s) - start)) "$(ls "$corpus" | wc -l)"
	else
		failed=$((failed + 1))
		printf 'fuzz %-16s FAIL  (exit %s), log %s\n' "$t" "$rc" "$log"
		grep -m 3 -E 'ERROR|runtime error|property failed|SUMMARY' "$log" | sed 's/^/    /'
		ls "$fuzz_dir/crash-$t-"* 2>/dev/null | sed 's/^/    input: /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
