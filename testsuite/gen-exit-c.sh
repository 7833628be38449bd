#!/bin/sh
# Print the tables of applet/kvm_stat_exits.c from the installed uapi
# headers plus testsuite/exit-reasons-upstream.h (newer kernels, arm64).
# usage: testsuite/gen-exit-c.sh [INCLUDE_DIR]   (default /usr/include)
# The format is described in applet/kvm_stat_exits.c.
inc=${1:-/usr/include}
here=$(dirname "$0")
up=$here/exit-reasons-upstream.h
asm=$inc/x86_64-linux-gnu/asm
[ -d "$asm" ] || asm=$inc/asm
table() {	# TABLE HEADER...: "TABLE NAME CODE" lines
	"$here/gen-exit-tables.sh" "$@" | sed "s/^/$1 /"
}
{
	table user "$inc/linux/kvm.h" "$up"
	table vmx "$asm/vmx.h" "$up"
	table svm "$asm/svm.h" "$up"
	table arm64 "$up"
} | awk '
{ t[NR] = $1; name[NR] = $2; code[NR] = $3 }

# READ_CR3 at 0x3 -> READ_CR%u: the first number in a name, if it is the
# register number (the low 4 bits of the code); "" if none
function pattern(i,  n) {
	if (!match(name[i], /[0-9]+/))
		return ""
	n = substr(name[i], RSTART, RLENGTH)
	if (n != code[i] % 16)
		return ""
	return substr(name[i], 1, RSTART - 1) "%u" substr(name[i], RSTART + RLENGTH)
}

function end_run() {
	if (run_table != "")
		runs = runs sprintf("\n\t{ %d, 0x%x, EXITS_%s },",
			size - run_start, run_first, toupper(run_table))
}

function start_run(i) {
	end_run()
	run_table = t[i]
	run_first = next_code = code[i]
	run_start = size
	prev = ""
	printf "\n\t/* %s from 0x%x */", t[i], code[i]
}

# name i as stored: itself, its family pattern, or "=" (pattern as before)
function stored(i,  p) {
	p = pattern(i)
	if (p != "" && p == prev)
		return "="
	prev = p
	if (p != "" && i < NR && t[i + 1] == t[i] && p == pattern(i + 1))
		return p
	return name[i]
}

END {
	printf "static const char exit_names[] ALIGN1 ="
	for (i = 1; i <= NR; i++) {
		# a name is a printf format (see pattern()): no other %
		if (length(name[i]) >= 32 || index(name[i], "%")) {
			print "gen-exit-c.sh: bad name " name[i] > "/dev/stderr"
			exit 1
		}
		# a gap of more empty names than the 6 bytes of a run entry
		# (SVM: 0xa6 -> 0x400) starts a new run
		if (t[i] != run_table || code[i] - next_code > 6)
			start_run(i)
		if (code[i] > next_code) {
			printf "\n\t\""
			for (c = next_code; c < code[i]; c++)
				printf "\\0"
			printf "\"\t/* 0x%x%s */", next_code,
				(code[i] - next_code > 1 ? sprintf("-0x%x", code[i] - 1) : "")
			size += code[i] - next_code
		}
		s = stored(i)
		printf "\n\t\"%s\\0\"", s
		if (s != name[i])
			printf "\t/* 0x%x %s */", code[i], name[i]
		size += length(s) + 1
		next_code = code[i] + 1
	}
	end_run()
	printf ";\n\nstatic const struct exit_run exit_runs[] = {%s\n};\n", runs
}'
