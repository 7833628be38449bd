#!/bin/sh
# Print the tables of applet/kvm_stat_exits.c from the installed uapi
# headers plus testsuite/exit-reasons-upstream.h (newer kernels, arm64).
# usage: testsuite/gen-exit-c.sh [INCLUDE_DIR]   (default /usr/include)
inc=${1:-/usr/include}
here=$(dirname "$0")
up=$here/exit-reasons-upstream.h
asm=$inc/x86_64-linux-gnu/asm
[ -d "$asm" ] || asm=$inc/asm
emit() {	# table C_NAME HEADER...
	t=$1 c=$2; shift 2
	"$here/gen-exit-tables.sh" "$t" "$@" | awk -v c="$c" '
	{ n[NR] = $1; v[NR] = $2 }
	END {
		printf "static const char %s_names[] ALIGN1 =", c
		for (i = 1; i <= NR; i++) printf "\n\t\"%s\\0\"", n[i]
		printf ";\nstatic const uint16_t %s_codes[] = {", c
		for (i = 1; i <= NR; i++) printf "%s%s%s", (i % 10 == 1 ? "\n\t" : " "), v[i], (i < NR ? "," : "")
		printf "\n};\n\n"
	}'
}
emit user user "$inc/linux/kvm.h" "$up"
emit vmx vmx "$asm/vmx.h" "$up"
emit svm svm "$asm/svm.h" "$up"
emit arm64 arm64 "$up"
