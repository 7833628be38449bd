#!/bin/bash
# make size-busybox: what enabling kvm_stat (every feature) adds to a
# static BusyBox, as text+data+bss of busybox_unstripped ("size"):
#   busybox_1.37_kvm_stat_delta: N bytes
#       over a minimal BusyBox (true, false): the applet, the libbb code
#       it needs and the libc code it pulls in (printf, regex, stdio...)
#   busybox_1.37_kvm_stat_delta_over_common: N bytes
#       over a BusyBox that already has grep, ls, date, printf, stty, top:
#       closer to the cost in a real build
# BusyBox's own bloat-o-meter listing is kept next to the builds.
# Environment: see lib.sh (SUITES, BB_CC, ...).
set -eu
. "$(dirname "$0")/lib.sh"

size_of() {	# text+data+bss
	size "$BBDIR/out/$1/busybox_unstripped" | awk 'NR == 2 { print $4 }'
}

delta() {	# delta SUITE VER LABEL BASE WITH
	local suite=$1 ver=$2 label=$3
	local old=$suite-$4 new=$suite-$5
	python3 "$BBDIR/tree/$suite/scripts/bloat-o-meter" \
		"$BBDIR/out/$old/busybox_unstripped" "$BBDIR/out/$new/busybox_unstripped" \
		>"$BBDIR/out/bloat-$suite-$label.txt" 2>&1 || true
	echo "busybox_${ver}_kvm_stat_$label: $(($(size_of "$new") - $(size_of "$old"))) bytes"
}

trees=$(prepare_trees)
while read -r suite ver tree <&3; do
	sync_applet "$tree" || { echo "no $APPLET_DIR/kvm_stat.c" >&2; exit 1; }
	# the "full" build is shared with make busybox-check
	bb_build "$suite" full "$BB_CC" full
	bb_build "$suite" none "$BB_CC" none
	bb_build "$suite" common-full "$BB_CC" common full
	bb_build "$suite" common-none "$BB_CC" common none
	delta "$suite" "$ver" delta none full
	delta "$suite" "$ver" delta_over_common common-none common-full
done 3<<EOT
$trees
EOT
echo "(text+data+bss with $BB_CC; bloat-o-meter listings: $BBDIR/out/bloat-*.txt)"
