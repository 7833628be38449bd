# shellcheck shell=bash disable=SC2086
# Shared by check.sh and size.sh (sourced): defaults, fetching, and
# copying the applet into a BusyBox tree.
#
# Environment (all optional):
#   BBDIR       work directory (build/busybox)
#   APPLET_DIR  the applet's sources (applet)
#   SUITES      Debian suites ("bookworm trixie": BusyBox 1.35 and 1.37)
#   BB_CC       compiler (musl-gcc if installed, else cc)
#   JOBS        make -j (2)

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BBDIR=${BBDIR:-$top/build/busybox}
APPLET_DIR=${APPLET_DIR:-$top/applet}
SUITES=${SUITES:-bookworm trixie}
if test -z "${BB_CC:-}"; then
	BB_CC=cc
	command -v musl-gcc >/dev/null && BB_CC=musl-gcc
fi
export JOBS=${JOBS:-2}
mkdir -p "$BBDIR/out"
BBDIR=$(cd "$BBDIR" && pwd)

# Copy the applet into the tree's procps/, touching only files whose
# content changed so that make recompiles no more than needed.
sync_applet() {
	local procps=$1/procps f base
	for f in "$procps"/kvm_stat*.[ch]; do
		test -e "$f" || continue
		test -e "$APPLET_DIR/${f##*/}" || rm -f "$f"
	done
	for f in "$APPLET_DIR"/kvm_stat*.[ch]; do
		test -e "$f" || continue
		base=${f##*/}
		cmp -s "$f" "$procps/$base" || cp "$f" "$procps/$base"
	done
	test -e "$procps/kvm_stat.c"
}

# bb_build SUITE NAME CC FRAGMENT...: build $BBDIR/out/SUITE-NAME from the
# tree of SUITE; the fragments are names of testsuite/busybox/*.config
bb_build() {
	local suite=$1 name=$2 cc=$3 f frags=
	shift 3
	for f; do frags="$frags $here/$f.config"; done
	BB_MAKEFLAGS="CC=$cc" "$here/build.sh" "$BBDIR/tree/$suite" \
		"$BBDIR/out/$suite-$name" "$here/base.config" $frags
}

# "CONFIG_FEATURE_KVM_STAT_TUI=y" -> "tui"
features_of() {
	sed -n 's/^CONFIG_FEATURE_KVM_STAT_\(.*\)=y$/\1/p' "$1" | tr 'A-Z\n' 'a-z ' | sed 's/ $//'
}

# prepare_trees: fetch the sources; print "SUITE VERSION TREE" per suite,
# "1.37.0-6" shortened to "1.37"; the tree is created on first use
prepare_trees() {
	local suite version src
	"$here/fetch.sh" "$BBDIR" $SUITES >"$BBDIR/fetched" || return 1
	while read -r suite version src; do
		test -d "$BBDIR/tree/$suite" ||
			{ mkdir -p "$BBDIR/tree" && cp -a "$src" "$BBDIR/tree/$suite"; } ||
			return 1
		echo "$suite $(echo "$version" | cut -d. -f1,2) $BBDIR/tree/$suite"
	done <"$BBDIR/fetched"
}
