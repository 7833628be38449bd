#!/bin/sh
# Configure and build one BusyBox out of tree.
#
# usage: build.sh SRCDIR OUTDIR FRAGMENT...
#
# The configuration is allnoconfig plus the lines of the fragments
# ("CONFIG_X=y", "CONFIG_X=value", "# CONFIG_X is not set"), then
# oldconfig for the rest. BusyBox's kconfig ignores KCONFIG_ALLCONFIG for
# booleans in allnoconfig, hence the edit of .config. Every fragment line
# must survive oldconfig: a symbol dropped by an unmet "depends on" fails
# the build instead of silently building something else.
# Environment: JOBS (make -j, default 2), BB_MAKEFLAGS (e.g. CC=musl-gcc).
set -eu

src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
shift 2
log=$out/build.log

fail() {
	echo "$*" >&2
	grep -E ': (error|warning|undefined reference)|\*\*\* ' "$log" | head -n 30 >&2 ||
		tail -n 30 "$log" >&2
	exit 1
}

# shellcheck disable=SC2086 # BB_MAKEFLAGS holds several words
bbmake() {
	make -C "$src" O="$out" ${BB_MAKEFLAGS:-} "$@" >>"$log" 2>&1
}

for f; do test -r "$f" || { echo "no fragment $f" >&2; exit 1; }; done

# Settings of all fragments; a later line for the same symbol wins
cat "$@" | grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)' |
	awk '{ n = $1 == "#" ? $2 : substr($0, 1, index($0, "=") - 1) }
		!(n in at) { order[++cnt] = n } { at[n] = $0 }
		END { for (i = 1; i <= cnt; i++) print at[order[i]] }' \
	>"$out/.fragment.new"
echo "${BB_MAKEFLAGS:-}" >>"$out/.fragment.new"
: >"$log"

# Reconfigure only when the fragment changed: an unchanged .config keeps
# the objects, so a rerun only recompiles the files copied in again.
if ! cmp -s "$out/.fragment.new" "$out/.fragment" || ! test -f "$out/.config"; then
	rm -f "$out/.fragment"
	bbmake allnoconfig || fail "allnoconfig failed in $src"
	while IFS= read -r line; do
		case $line in
		'# '*)	name=${line#\# }; name=${name%% *};;
		CONFIG_*)	name=${line%%=*};;
		*)	continue;;
		esac
		sed -i -e "s@^# $name is not set\$@$line@" \
			-e "s@^$name=.*@$line@" "$out/.config"
		grep -qxF "$line" "$out/.config" || echo "$line" >>"$out/.config"
	done <"$out/.fragment.new"
	yes '' | bbmake oldconfig || fail "oldconfig failed in $src"
	missing=$(grep "^CONFIG_" "$out/.fragment.new" | grep -vxF -f "$out/.config" || true)
	test -z "$missing" || { echo "not in the final .config (unmet dependency?):" >&2
		echo "$missing" >&2; exit 1; }
	mv "$out/.fragment.new" "$out/.fragment"
else
	rm -f "$out/.fragment.new"
fi

bbmake -j"${JOBS:-2}" || fail "build failed in $out (log: $log)"
test -x "$out/busybox" || fail "no busybox binary in $out"
