#!/bin/sh
# make size: the stripped static binary, and .text+.data+.bss of the
# applet's own objects (what it adds to a BusyBox), total and per file.
# Goals (x86_64, -Os): applet code with every feature <= 20 KiB, batch+log
# on debugfs only <= 8 KiB, static standalone binary <= 128 KiB.
# STRIP and SIZE name the tools for a cross build (mk/arm64.mk).
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
bin=${KVM_STAT:-./kvm_stat}
tmp=$(mktemp)
${STRIP:-strip} -o "$tmp" "$bin" 2>/dev/null || cp "$bin" "$tmp"
P=${NAME:-}
echo "${P}binary_stripped: $(stat -c %s "$tmp") bytes"
rm -f "$tmp"
total=0
for o in $(compat/objects.sh "${CONFIG:-$( [ -f .config ] && echo .config || echo configs/defconfig)}" applet/*.c); do
	n=$(${SIZE:-size} "$BUILD/$o" | awk 'NR == 2 { print $1 + $2 + $3 }')
	echo "${P}applet_${o%.o}: $n bytes"
	total=$((total + n))
done
echo "${P}applet_total: $total bytes"
