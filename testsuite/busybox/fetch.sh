#!/bin/sh
# Fetch and unpack Debian's busybox source package for each SUITE given,
# with a private apt configuration under BBDIR: the system's apt sources,
# lists and caches are read-only to us, never written.
#
# usage: fetch.sh BBDIR SUITE...	(SUITE: bookworm, trixie)
# prints one line per suite: "SUITE VERSION SRCDIR"
set -eu

bbdir=$1
shift
apt=$bbdir/apt
mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" \
	"$apt/dl" "$bbdir/src"
apt=$(cd "$apt" && pwd)

# Mirror: the Debian archive the system's apt already uses, and no other:
# the project names no host of its own. The URIs of deb/deb-src entries,
# one-line (sources.list, *.list: "deb [OPTIONS] URI SUITE...") and deb822
# (*.sources: "URIs:" in a stanza not "Enabled: no"), the first whose path
# ends in /debian (the archive itself: /debian-security has no busybox).
apt_uris() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" || $1 == "deb-src" {
			i = 2
			if ($i ~ /^\[/)
				while (i < NF && $i !~ /\]$/)
					i++
			if ($i ~ /^\[/ || $i ~ /\]$/)
				i++
			print $i
		}'
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# paragraph mode: one stanza a record, comment lines dropped
		grep -v '^[[:space:]]*#' "$f" | awk -v RS= '
			tolower($0) ~ /(^|\n)enabled:[ \t]*no/ { next }
			{
				n = split($0, line, "\n")
				for (i = 1; i <= n; i++)
					if (tolower(line[i]) ~ /^uris:/) {
						sub(/^[^:]*:/, "", line[i])
						m = split(line[i], u, " ")
						for (j = 1; j <= m; j++)
							print u[j]
					}
			}'
	done
}
mirror=$(apt_uris | grep -E '^https?://[^/]+(/.*)?/debian/?$' | head -n 1)
if [ -z "$mirror" ]; then
	echo "fetch.sh: no Debian archive (a URI ending in /debian) in the system's" \
		"apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/*.list," \
		"*.sources): add the mirror this machine should use there" >&2
	exit 1
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# "/debian/" and "/debian" name the same archive
mirror=${mirror%/}
list=$apt/sources.list
: >"$list.tmp"
for suite; do
	echo "deb-src [signed-by=$keyring] $mirror $suite main" >>"$list.tmp"
done

apt_private() {
	apt-get -q \
		-o Dir::Etc::sourcelist="$list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::Etc::trusted=/etc/apt/trusted.gpg \
		-o Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d \
		-o Dir::State="$apt/state" \
		-o Dir::State::status=/var/lib/dpkg/status \
		-o Dir::Cache="$apt/cache" \
		-o APT::Sandbox::User=root \
		"$@"
}

# The index is refreshed only when the list of suites changes:
# reruns must be fast and work offline once everything is unpacked.
if ! cmp -s "$list" "$list.tmp" || ! ls "$apt/state/lists/"*Sources* >/dev/null 2>&1; then
	mv "$list.tmp" "$list"
	apt_private update >"$apt/update.log" 2>&1 ||
		{ cat "$apt/update.log" >&2; exit 1; }
else
	rm -f "$list.tmp"
fi

for suite; do
	out=$bbdir/src/$suite
	if ! test -f "$out/.unpacked"; then
		# "'URI' busybox_1.37.0-6.dsc SIZE SHA256:..." (name decoded)
		dsc=$(apt_private source --print-uris "busybox/$suite" |
			awk '$2 ~ /^busybox_.*\.dsc$/ { print $2; exit }')
		test -n "$dsc" || { echo "no busybox source in $suite" >&2; exit 1; }
		(cd "$apt/dl" && apt_private source --download-only "busybox/$suite") \
			>"$apt/source-$suite.log" 2>&1 ||
			{ cat "$apt/source-$suite.log" >&2; exit 1; }
		rm -rf "$out"
		dpkg-source -q -x "$apt/dl/$dsc" "$out" >"$apt/unpack-$suite.log" 2>&1 ||
			{ cat "$apt/unpack-$suite.log" >&2; exit 1; }
		dsc=${dsc#busybox_}
		echo "${dsc%.dsc}" >"$out/.unpacked"
	fi
	printf '%s %s %s\n' "$suite" "$(cat "$out/.unpacked")" "$out"
done
