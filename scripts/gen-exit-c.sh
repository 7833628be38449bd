#!/bin/sh
# Print the tables of applet/kvm_stat_exits.c from the installed uapi
# headers plus scripts/exit-reasons-upstream.h (newer kernels, arm64).
# usage: scripts/gen-exit-c.sh [INCLUDE_DIR]   (default /usr/include)
# The format is described in applet/kvm_stat_exits.c; the text is packed
# with pairs of bytes chosen by pack() below.
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
} | LC_ALL=C awk '	# C locale: bytes 0x80-0xff are characters of their own
# NUL: awk strings hold no NUL byte, DEL (in no name) stands for it.
# EXITS_*: the table ids of applet/kvm_stat.h.
BEGIN {
	for (c = 1; c < 256; c++)
		ord[sprintf("%c", c)] = c
	NUL = sprintf("%c", 127)
	ord[NUL] = 0
	id["user"] = 16; id["vmx"] = 1; id["svm"] = 2; id["arm64"] = 3
}

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

# name i as stored: itself, its family pattern, or "" (pattern as before)
function stored(i,  p) {
	p = pattern(i)
	if (p != "" && p == prev)
		return ""
	prev = p
	if (p != "" && i < NR && t[i + 1] == t[i] && p == pattern(i + 1))
		return p
	return name[i]
}

# The pair of bytes most often next to each other in the entries (ties: the
# first in byte order, as for-in has no order); "" if no pair is there 3
# times: a token costs its 2 bytes and saves one for each pair it replaces.
function best_pair(  i, j, n, p, best) {
	split("", n)
	for (i = 1; i <= NR; i++)
		for (j = 1; j < length(text[i]); j++)
			n[substr(text[i], j, 2)]++
	best = ""
	for (p in n)
		if (n[p] >= 3 && (best == "" || n[p] > n[best] ||
		    (n[p] == n[best] && p < best)))
			best = p
	return best
}

# S with each PAIR (left to right) replaced by the byte C
function replace(s, pair, c,  r, p) {
	r = ""
	while ((p = index(s, pair)) > 0) {
		r = r substr(s, 1, p - 1) c
		s = substr(s, p + 2)
	}
	return r s
}

# Greedy packing: the most frequent pair becomes the next token, until no
# pair saves a byte or the 128 token bytes 0x80-0xff are taken
function pack(  p, c, i) {
	for (ntok = 0; ntok < 128 && (p = best_pair()) != ""; ntok++) {
		c = sprintf("%c", 128 + ntok)
		for (i = 1; i <= NR; i++)
			text[i] = replace(text[i], p, c)
		token[ntok] = p
	}
}

# S as a C string literal: NUL, control bytes and tokens in octal
function c_string(s,  r, i, ch) {
	r = ""
	for (i = 1; i <= length(s); i++) {
		ch = substr(s, i, 1)
		r = r (ord[ch] < 32 || ord[ch] >= 128 ? sprintf("\\%03o", ord[ch]) : ch)
	}
	return r
}

# S with its tokens expanded, for the comments (NUL, skip bytes in octal)
function plain(s,  r, i, ch) {
	r = ""
	for (i = 1; i <= length(s); i++) {
		ch = substr(s, i, 1)
		r = r (ord[ch] >= 128 ? plain(token[ord[ch] - 128]) : \
			ord[ch] < 32 ? sprintf("\\%o", ord[ch]) : ch)
	}
	return r
}

END {
	for (i = 1; i <= NR; i++) {
		# a name is a printf format (see pattern()): no other %
		if (length(name[i]) >= 32 || index(name[i], "%") ||
		    index(name[i], NUL) || index(name[i], "#")) {
			print "gen-exit-c.sh: bad name " name[i] > "/dev/stderr"
			exit 1
		}
		# a gap of more codes than a skip byte counts (1-31) starts
		# a run: "#", the table id, its code / 32 (then a skip byte)
		run = ""
		if (t[i] != t[i - 1] || code[i] - next_code > 31) {
			next_code = code[i] - code[i] % 32
			if (next_code / 32 >= 127) {
				print "gen-exit-c.sh: code too high " name[i] > "/dev/stderr"
				exit 1
			}
			run = "#" sprintf("%c", id[t[i]]) \
				(next_code ? sprintf("%c", next_code / 32) : NUL)
			new_run[i] = 1
			prev = ""
		}
		skip = code[i] - next_code
		next_code = code[i] + 1
		text[i] = run (skip ? sprintf("%c", skip) : "") stored(i) NUL
		size += length(text[i])
	}
	pack()

	printf "static const unsigned char exit_pairs[] ALIGN1 ="
	for (i = 0; i < ntok; i++)
		printf "\n\t\"%s\"%s\t/* \\%03o %s */", c_string(token[i]),
			(i == ntok - 1 ? ";" : ""), 128 + i, plain(token[i])
	printf "\n\nstatic const unsigned char exit_text[] ALIGN1 ="
	for (i = 1; i <= NR; i++) {
		if (new_run[i])
			printf "\n\t/* %s from 0x%x */", t[i], code[i]
		printf "\n\t\"%s\"%s\t/* 0x%x %s */", c_string(text[i]),
			(i == NR ? ";" : ""), code[i], name[i]
	}
	printf "\n#define EXIT_TEXT_SIZE %d\t/* exit_text expanded */\n", size
}'
