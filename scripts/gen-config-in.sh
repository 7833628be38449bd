#!/bin/sh
# Prints Config.in, the Kconfig entries of the standalone build and of
# BusyBox's menu, from the //config: lines of the applet sources, as
# BusyBox's scripts/gen_build_files.sh makes a directory's Config.in:
# the blocks of applet/*.c in file-name order (C locale, so kvm_stat.c
# comes first), a blank line between the blocks of two files.
# usage: scripts/gen-config-in.sh > Config.in   (make Config.in)
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/.." || exit 1
awk '
FNR == 1 { first = 1 }
sub(/^\/\/config:/, "") {
	if (first && n && last != "" && $0 != "")
		print ""
	first = 0; n++; last = $0
	print
}' applet/*.c
