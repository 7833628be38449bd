#!/usr/bin/env bats
# -O FILE, --textfile FILE: Prometheus' text exposition format. Every file
# is checked the way a scraper parses it (exposition_ok below: the line
# grammar, one HELP and one TYPE per family before its samples, families
# not interleaved, no repeated series, a final newline); the values
# against the fixture's counters and, on real KVM, the test VMM's counts.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_feature textfile TEXTFILE
	T=$BATS_TEST_TMPDIR
}

teardown() {
	local p
	for p in ${BG:-} ${VMS:-}; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null || true
}

# exposition_ok FILE: silent and 0 if FILE is valid text exposition format
# (version 0.0.4), else the first offending line on stderr and 1
exposition_ok() {
	if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" != '\n' ]; then
		echo "$1: no newline at the end" >&2
		return 1
	fi
	# label values must be UTF-8: the collector refuses the whole file
	# for one that is not (iconv also takes what is past U+10FFFF: the
	# test of names below checks those bytes exactly)
	if ! iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; then
		echo "$1: not UTF-8" >&2
		return 1
	fi
	awk '
	function bad(why) { printf "line %d: %s: %s\n", NR, why, $0 > "/dev/stderr"; err = 1; exit 1 }
	BEGIN {
		name = "[a-zA-Z_:][a-zA-Z0-9_:]*"
		lname = "[a-zA-Z_][a-zA-Z0-9_]*"
		lvalue = "\"([^\"\\\\]|\\\\[\\\\\"n])*\""
		label = lname "=" lvalue
		value = "[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?Inf|NaN"
		sample_re = "^" name "(\\{(" label "(," label ")*,?)?\\})? (" value ")$"
	}
	/^# HELP / {
		if ($0 !~ ("^# HELP " name "( .*)?$")) bad("bad HELP")
		if (help[$3]++) bad("second HELP")
		if (done[$3]) bad("HELP after the samples")
		next
	}
	/^# TYPE / {
		if ($0 !~ ("^# TYPE " name " (counter|gauge|histogram|summary|untyped)$")) bad("bad TYPE")
		if (type[$3]) bad("second TYPE")
		if (done[$3]) bad("TYPE after the samples")
		type[$3] = $4
		next
	}
	/^#/ { bad("a comment we never write") }
	/^$/ { next }
	{
		if ($0 !~ sample_re) bad("bad sample")
		series = $0; sub(/ [^ ]*$/, "", series)
		metric = series; sub(/\{.*/, "", metric)
		if (!type[metric]) bad("sample before (or without) its TYPE")
		if (!help[metric]) bad("sample without HELP")
		if (metric != cur) {
			if (done[metric]) bad("family interleaved")
			done[metric] = 1; cur = metric
		}
		if (seen[series]++) bad("repeated series")
		# label names unique within the sample
		rest = series; sub(/^[^{]*\{?/, "", rest); delete names
		while (match(rest, "^" lname "=")) {
			ln = substr(rest, 1, RLENGTH - 1)
			if (names[ln]++) bad("repeated label " ln)
			rest = substr(rest, RLENGTH + 1)
			match(rest, "^" lvalue ",?"); rest = substr(rest, RLENGTH + 1)
		}
	}' "$1"
}

# value FILE SERIES: the sample value of SERIES (name and labels, exact)
value() {
	# not awk -v: it would take the backslashes of SERIES as escapes
	S=$2 awk 'BEGIN { s = ENVIRON["S"] }
		substr($0, 1, length(s) + 1) == s " " { print substr($0, length(s) + 2) }' "$1"
}

# has_value FILE SERIES VALUE: SERIES is VALUE in FILE
has_value() {
	[ "$(value "$1" "$2" 2>/dev/null)" = "$3" ]
}

# at_least FILE SERIES N: SERIES is N or more in FILE
at_least() {
	local v
	v=$(value "$1" "$2" 2>/dev/null)
	[ -n "$v" ] && [ "$v" -ge "$3" ]
}

# Two guests with counters and names the test chose
two_guests() {
	fixture
	fx vm 4242 11 exits=100 io_exits=7 halt_exits=3
	fx vm 4343 12 exits=5 mmio_exits=2
	fx proc 4242 qemu-system-x86_64 -name guest=web01,debug-threads=on
	fx proc 4343 qemu-system-x86_64 -name db02
}

@test "the validator rejects what a scraper would" {
	printf '# TYPE a counter\na 1\n' > "$T/nohelp"
	printf '# HELP a x\n# TYPE a counter\na{l="x"y"} 1\n' > "$T/quote"
	printf '# HELP a x\n# TYPE a counter\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n' > "$T/interleaved"
	printf '# HELP a x\n# TYPE a counter\na 1' > "$T/nonewline"
	printf '# HELP a x\n# TYPE a counter\na{l="1"} 1\na{l="1"} 2\n' > "$T/repeated"
	printf '# HELP a x\n# TYPE a counter\na{l="1",l="2"} 1\n' > "$T/label"
	printf '# HELP a x\n# TYPE a counter\na{l="a\\\\b\\"c\\nd"} 1\n' > "$T/good"
	for f in nohelp quote interleaved nonewline repeated label; do
		run ! exposition_ok "$T/$f"
	done
	exposition_ok "$T/good"
}

@test "-d -1 -O -: each guest's counters, valid format, exact values" {
	require_feature debugfs DEBUGFS
	two_guests
	run --separate-stderr kvm_stat -d -1 -O -
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	printf '%s\n' "$output" > "$T/out"
	exposition_ok "$T/out"
	local f w d
	for f in exits:100:5 io_exits:7:0 halt_exits:3:0 mmio_exits:0:2 irq_exits:0:0 signal_exits:0:0; do
		IFS=: read -r f w d <<< "$f"
		[ "$(value "$T/out" "kvm_stat_debugfs_total{field=\"$f\",guest=\"web01\",pid=\"4242\"}")" = "$w" ]
		[ "$(value "$T/out" "kvm_stat_debugfs_total{field=\"$f\",guest=\"db02\",pid=\"4343\"}")" = "$d" ]
	done
	# 2 guests x 6 fields, the HELP and TYPE of one family: nothing else
	[ "$(grep -vc '^#' "$T/out")" = 12 ]
	[ "$(grep -c '^# HELP' "$T/out")" = 1 ]
	grep -qx '# TYPE kvm_stat_debugfs_total counter' "$T/out"
}

@test "the kernel's totals, not since the start; -p and -f pick series" {
	require_feature debugfs DEBUGFS
	two_guests
	kvm_stat -d -1 -O "$T/a.prom" -p 4343 -f 'exits|mmio'
	exposition_ok "$T/a.prom"
	run grep -v '^#' "$T/a.prom"
	[ "${lines[*]}" = "kvm_stat_debugfs_total{field=\"exits\",guest=\"db02\",pid=\"4343\"} 5 kvm_stat_debugfs_total{field=\"mmio_exits\",guest=\"db02\",pid=\"4343\"} 2" ]
}

@test "instant values are gauges: read-only files (INSTANT) and max_* (PEAK)" {
	require_feature debugfs DEBUGFS
	FIELDS="exits blocking max_mmu_rmap_size halt_wait_hist" fixture
	fx vm 4242 11 exits=9 blocking=1 max_mmu_rmap_size=33 halt_wait_hist=4
	chmod 444 "$FX/sys/kernel/debug/kvm/blocking"
	kvm_stat -d -1 -O "$T/g.prom"
	cat "$T/g.prom"
	exposition_ok "$T/g.prom"
	grep -qx '# TYPE kvm_stat_debugfs gauge' "$T/g.prom"
	[ "$(value "$T/g.prom" 'kvm_stat_debugfs{field="blocking",guest="",pid="4242"}')" = 1 ]
	[ "$(value "$T/g.prom" 'kvm_stat_debugfs{field="max_mmu_rmap_size",guest="",pid="4242"}')" = 33 ]
	[ "$(value "$T/g.prom" 'kvm_stat_debugfs_total{field="exits",guest="",pid="4242"}')" = 9 ]
	[ "$(value "$T/g.prom" 'kvm_stat_debugfs_total{field="halt_wait_hist",guest="",pid="4242"}')" = 4 ]
	[ "$(grep -c 'field="blocking"' "$T/g.prom")" = 1 ]
}

@test "a guest name with quotes, a backslash and a newline is escaped" {
	require_feature debugfs DEBUGFS
	fixture
	fx vm 4242 11 exits=1
	local name=$'we "b\\01\nx'
	fx proc 4242 qemu -name "$name"
	kvm_stat -d -1 -O "$T/e.prom" -f exits
	cat "$T/e.prom"
	exposition_ok "$T/e.prom"
	# the escaping done here, by other means
	local want=${name//\\/\\\\}
	want=${want//\"/\\\"}
	want=${want//$'\n'/\\n}
	[ "$(value "$T/e.prom" "kvm_stat_debugfs_total{field=\"exits\",guest=\"$want\",pid=\"4242\"}")" = 1 ]
}

@test "a name that is not UTF-8 gets U+FFFD for each byte of it; quotes in a field name are escaped" {
	require_feature debugfs DEBUGFS
	# a hostile tree's field: the kernel's names are plain
	FIELDS='exits q"\' fixture
	fx vm 4242 11 exits=1 'q"\=2'
	# Unicode's table 3-7 at its edges: what is well-formed stays, each
	# byte of what is not (overlong, surrogate, past U+10FFFF, cut
	# short, a lone continuation byte) becomes U+FFFD (EF BF BD)
	local ok bad r
	ok=$(printf 'a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80\xe0\xa0\x80\xf0\x90\x80\x80z')
	bad=$(printf '\xc0\xaf|\xc1\xbf|\xe0\x9f\xbf|\xed\xa0\x80|\xf0\x8f\xbf\xbf|\xf4\x90\x80\x80|\xf5\x80|\xff|\x80|\xe2\x82x|\xc3')
	r=$(printf '\xef\xbf\xbd')
	fx proc 4242 qemu -name "$ok$bad"
	kvm_stat -d -1 -O "$T/u.prom"
	cat "$T/u.prom"
	exposition_ok "$T/u.prom"
	local want="$ok$r$r|$r$r|$r$r$r|$r$r$r|$r$r$r$r|$r$r$r$r|$r$r|$r|$r|$r${r}x|$r"
	[ "$(value "$T/u.prom" "kvm_stat_debugfs_total{field=\"exits\",guest=\"$want\",pid=\"4242\"}")" = 1 ]
	[ "$(value "$T/u.prom" "kvm_stat_debugfs_total{field=\"q\\\"\\\\\",guest=\"$want\",pid=\"4242\"}")" = 2 ]
}

# node_exporter BIN DIR: started on a free port of 127.0.0.1 with only its
# textfile collector, on DIR; $NE_URL is its /metrics, $BG its pid
start_node_exporter() {
	local try port
	for try in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 30000))
		"$1" --collector.disable-defaults --collector.textfile \
			--collector.textfile.directory="$2" \
			--web.listen-address="127.0.0.1:$port" >"$T/ne.log" 2>&1 &
		BG=$!
		NE_URL=http://127.0.0.1:$port/metrics
		# up, or gone (the port was taken)
		wait_for 20 eval 'curl -sf "$NE_URL" >/dev/null || ! kill -0 $BG 2>/dev/null'
		kill -0 $BG 2>/dev/null && return 0
	done
	cat "$T/ne.log" >&2
	return 1
}

# same_samples WRITTEN SCRAPED: each kvm_stat sample of WRITTEN is in
# SCRAPED with the same value, and there are no others. As Prometheus
# reads them: node_exporter writes large numbers as floats (1.5e+06: the
# values compare as numbers), and gives every series of a family the same
# label names, "" where one has none (a parent's reason=""), which to
# Prometheus is the same series: empty labels are dropped on both sides.
same_samples() {
	awk '
	function split_sample() {
		v = $NF; sub(/ [^ ]*$/, "")
		gsub(/,[a-zA-Z_]+=""/, ""); sub(/\{[a-zA-Z_]+="",?/, "{"); sub(/\{\}/, "")
	}
	FNR == NR { if (/^kvm_stat/) { split_sample(); w[$0] = v }; next }
	/^kvm_stat/ {
		split_sample()
		if (!($0 in w) || w[$0] + 0 != v + 0) { print "scraped: " $0 " " v; bad = 1 }
		delete w[$0]
	}
	END { for (s in w) { print "not scraped: " s; bad = 1 }; exit bad }' "$1" "$2"
}

# node_exporter_takes FILE: FILE, scraped through node_exporter's textfile
# collector, gives no error and the same samples; skips without it
node_exporter_takes() {
	local ne=$BUILD/node_exporter/usr/bin/prometheus-node-exporter
	[ -x "$ne" ] || skip "no node_exporter: make test fetches it (testsuite/node-exporter.sh)"
	mkdir -p "$T/tf"
	cp "$1" "$T/tf/kvm.prom"
	start_node_exporter "$ne" "$T/tf"
	curl -sf "$NE_URL" >"$T/scraped"
	kill $BG; wait $BG || true
	BG=
	grep -E '^(node_textfile|kvm_stat)' "$T/scraped"
	grep -qx 'node_textfile_scrape_error 0' "$T/scraped"
	same_samples "$1" "$T/scraped"
}

@test "node_exporter's textfile collector takes the file whole, names that are not UTF-8 included" {
	require_feature debugfs DEBUGFS
	FIELDS='exits blocking q"\' fixture
	fx vm 4242 11 exits=7 blocking=1 'q"\=2'
	chmod 444 "$FX/sys/kernel/debug/kvm/blocking"
	fx proc 4242 qemu -name "$(printf 'w\xffeb \xc3\xa9 "\\')"
	kvm_stat -d -1 -O "$T/n.prom"
	node_exporter_takes "$T/n.prom"
	# as their families' types
	grep -qx '# TYPE kvm_stat_debugfs gauge' "$T/scraped"
	grep -qx '# TYPE kvm_stat_debugfs_total counter' "$T/scraped"
	[ "$(grep -c '^kvm_stat' "$T/scraped")" = 3 ]
}

@test "without -1: rewritten every -s seconds with the new values" {
	require_feature debugfs DEBUGFS
	two_guests
	start_bg -d -s 0.2 -O "$T/r.prom"
	local s='kvm_stat_debugfs_total{field="io_exits",guest="web01",pid="4242"}' i
	wait_for 10 has_value "$T/r.prom" "$s" 7
	fx set 4242-11 io_exits=1234
	wait_for 10 has_value "$T/r.prom" "$s" 1234
	exposition_ok "$T/r.prom"
	kill $BG
	wait $BG || true
	[ ! -e "$T/r.prom.tmp" ]
}

@test "after a stop (SIGSTOP, Ctrl-Z): one file at once, then the rhythm, no burst" {
	require_feature debugfs DEBUGFS
	two_guests
	start_bg -d -s 0.1 -O -
	wait_for 10 grep -q '^# HELP kvm_stat_debugfs_total' "$T/out"
	no_burst_after_stop grep -c '^# HELP kvm_stat_debugfs_total' "$T/out"
}

@test "atomic: a reader looping over the file never sees part of it" {
	require_feature debugfs DEBUGFS
	fixture
	local i n=60
	# no global sums: the per-guest series do not read them
	for i in $(seq 1000 $((1000 + n - 1))); do
		SKIP_SUMS=1 fx vm $i 3 exits=$i io_exits=1 halt_exits=2
	done
	local want=$((n * 6 + 2))	# samples, one HELP and one TYPE
	kvm_stat -d -1 -O "$T/ref.prom"
	[ "$(wc -l < "$T/ref.prom")" = $want ]
	start_bg -d -s 0.1 -O "$T/a.prom"
	wait_for 10 test -e "$T/a.prom"
	# read until 10 different files (a rename each) were seen, or 20 s
	local inodes=" " reads=0 end=$((SECONDS + 20)) ino
	while [ $SECONDS -lt $end ]; do
		ino=$(stat -c %i "$T/a.prom")
		cat "$T/a.prom" > "$T/copy"
		reads=$((reads + 1))
		if [ "$(wc -l < "$T/copy")" != $want ] || ! cmp -s "$T/copy" "$T/ref.prom"; then
			echo "read $reads: a different file" >&2
			diff "$T/ref.prom" "$T/copy" | head >&2
			return 1
		fi
		[[ $inodes == *" $ino "* ]] || inodes="$inodes$ino "
		[ "$(wc -w <<< "$inodes")" -ge 10 ] && break
	done
	echo "$reads reads, $(wc -w <<< "$inodes") files"
	[ "$(wc -w <<< "$inodes")" -ge 10 ]
}

@test "disk full: a clear error, the old file intact, no FILE.tmp left" {
	require_feature debugfs DEBUGFS
	is_root || skip "mounting a small tmpfs needs root"
	unshare -m true 2>/dev/null || skip "no private mount namespaces here"
	two_guests
	mkdir "$T/full"
	run --separate-stderr unshare -m sh -c '
		mount -t tmpfs -o size=16k none "$1" || exit 99
		echo old > "$1/kvm.prom"
		dd if=/dev/zero of="$1/filler" bs=1k count=64 2>/dev/null
		shift
		"$@"; s=$?
		cat "$0/kvm.prom"
		ls "$0"
		exit $s' "$T/full" "$T/full" $KVM_STAT -d -1 -O "$T/full/kvm.prom"
	echo "$status: $stderr // $output"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: can't write '$T/full/kvm.prom.tmp': No space left on device" ]
	[ "${lines[0]}" = old ]
	[ "${lines[*]:1}" = "filler kvm.prom" ]
}

@test "a FILE.tmp that is there (a planted symlink, a left-over file) is replaced, never written through" {
	require_feature debugfs DEBUGFS
	two_guests
	echo precious > "$T/victim"
	ln -s "$T/victim" "$T/kvm.prom.tmp"
	kvm_stat -d -1 -O "$T/kvm.prom" -f exits
	[ "$(cat "$T/victim")" = precious ]
	[ ! -L "$T/kvm.prom" ] && [ ! -e "$T/kvm.prom.tmp" ]
	exposition_ok "$T/kvm.prom"
	[ "$(value "$T/kvm.prom" 'kvm_stat_debugfs_total{field="exits",guest="web01",pid="4242"}')" = 100 ]
	# a file left by a run killed mid-write
	echo 'half a fi' > "$T/kvm.prom.tmp"
	kvm_stat -d -1 -O "$T/kvm.prom" -f exits
	[ ! -e "$T/kvm.prom.tmp" ]
	exposition_ok "$T/kvm.prom"
}

@test "bad use: -O with -l, an unwritable place: one line, status 1" {
	require_feature debugfs DEBUGFS
	two_guests
	run --separate-stderr kvm_stat -d -O "$T/x" -l
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: option -O/--textfile excludes -l/-L" ]
	run --separate-stderr kvm_stat -d -1 -O "$T/nodir/x.prom"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kvm_stat: can't open '$T/nodir/x.prom.tmp': No such file or directory" ]
	if has_feature long; then
		run --separate-stderr kvm_stat -d -1 --textfile -
		[ "$status" -eq 0 ]
		[[ $output == *'kvm_stat_debugfs_total{field="exits",guest="web01",pid="4242"} 100'* ]]
	fi
}

# ---- real KVM: the tracepoints, all guests together ----



@test "tracepoints on real KVM: counts equal the test VMM's, by reason" {
	require_feature tracepoints TRACEPOINTS
	local vmm=$BUILD/tiny_vmm tracefs
	[ -c /dev/kvm ] || skip "/dev/kvm absent: no KVM on this host"
	tracefs=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts)
	[ -n "$tracefs" ] && [ -d "$tracefs/events/kvm" ] || skip "no kvm tracepoints"
	[ -x "$vmm" ] || skip "$vmm not built (make vmm)"
	start_bg -O "$T/t.prom" -s 0.2 -f 'kvm_userspace_exit$|kvm_userspace_exit\((IO|HLT)\)'
	wait_for 10 test -s "$T/t.prom"
	"$vmm" -l 1500 -name guest=tf > "$T/vm.out"
	local io hlt all s='kvm_stat_tracepoint_events_total{event="kvm_userspace_exit"'
	io=$(sed -n 's/^io_exits //p' "$T/vm.out")
	hlt=$(sed -n 's/^hlt_exits //p' "$T/vm.out")
	[ "$io" = 3000 ] && [ "$hlt" = 1500 ]
	# the VMM has ended: wait for a file written after its last exit
	# (counts only grow: both at least ours, or the wait gives up)
	wait_for 10 at_least "$T/t.prom" "$s,reason=\"IO\"}" "$io" || true
	wait_for 10 at_least "$T/t.prom" "$s,reason=\"HLT\"}" "$hlt" || true
	cat "$T/t.prom"
	exposition_ok "$T/t.prom"
	local got="$(value "$T/t.prom" "$s,reason=\"IO\"}") $(value "$T/t.prom" "$s,reason=\"HLT\"}")"
	# all guests together: more than ours counted means another VM ran
	# meanwhile (a test suite running beside this one); fewer is a miss
	local gio ghlt
	read -r gio ghlt <<< "$got"
	if [ "$got" != "$io $hlt" ] && { [ "$(other_vms)" -gt 0 ] ||
		{ [ "${gio:-0}" -gt "$io" ] && [ "${ghlt:-0}" -gt "$hlt" ]; }; }; then
		skip "another VM ran meanwhile: host-wide counts can't be exact"
	fi
	[ "$got" = "$io $hlt" ]
	# the parent counts every reason: at least these
	all=$(value "$T/t.prom" "$s}")
	[ "$all" -ge $((io + hlt)) ]
	# all guests together: no guest label on this path
	! grep -q 'guest=' "$T/t.prom"
	kill $BG; wait $BG || true
	node_exporter_takes "$T/t.prom"
}
