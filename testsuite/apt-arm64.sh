#!/bin/sh
# Debian's arm64 packages on an amd64 machine, with a private apt
# configuration under DIR: the Debian archives and suites the system already
# uses, for arm64 only. The system's apt sources, lists, caches and dpkg
# architectures are read, never written (no dpkg --add-architecture).
#
# usage: apt-arm64.sh DIR download PKG...   .debs into DIR/debs, prints paths
#        apt-arm64.sh DIR depends PKG       PKG's first Depends (a
#                                           metapackage's real package)
set -eu

dir=$1 cmd=$2
shift 2
mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" "$dir/debs" \
	"$dir/preferences.d"
dir=$(cd "$dir" && pwd)
list=$dir/sources.list

# "deb [arch=arm64 signed-by=KEY] URI SUITE main" for each Debian archive
# (a URI ending in /debian or /debian-security) and suite of the system's
# sources, in both the one-line and the deb822 formats:
#   deb [signed-by=/usr/share/keyrings/k.gpg] http://host/debian bookworm main
#   Types: deb / URIs: http://host/debian / Suites: bookworm bookworm-updates
debian_sources() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		case $f in
		*.sources) deb822 <"$f" ;;
		*) oneline <"$f" ;;
		esac
	done | awk -v key=/usr/share/keyrings/debian-archive-keyring.gpg '
		$1 ~ /\/debian(-security)?\/?$/ && !seen[$0]++ {
			k = $3 != "" ? $3 : key
			printf "deb [arch=arm64 signed-by=%s] %s %s main\n", k, $1, $2
		}'
}

# "URI SUITE [KEYRING]" per line
oneline() {
	sed -n 's/^[[:space:]]*deb[[:space:]]\+//p' |
	awk '{
		key = ""
		if ($1 ~ /^\[/) {
			while ($1 !~ /\]$/) {
				if ($1 ~ /signed-by=/) key = $1
				$1 = ""; $0 = $0
			}
			if ($1 ~ /signed-by=/) key = $1
			$1 = ""; $0 = $0
		}
		sub(/.*signed-by=/, "", key); sub(/\]$/, "", key)
		print $1, $2, key
	}'
}

deb822() {
	awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/)
				for (i = 1; i <= nu; i++)
					for (j = 1; j <= ns; j++)
						print u[i], s[j], key
			types = ""; nu = ns = 0; key = ""
		}
		/^[[:space:]]*#/ { next }
		/^[[:space:]]*$/ { flush(); next }
		{ f = tolower($1); $1 = "" }
		f == "types:" { types = $0 " " }
		f == "uris:" { nu = split($0, u, " ") }
		f == "suites:" { ns = split($0, s, " ") }
		f == "signed-by:" && $2 ~ /^\// { key = $2 }
		END { flush() }'
}

apt_private() {
	"$@" -q \
		-o Dir::Etc::sourcelist="$list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::Etc::preferences="$dir/preferences" \
		-o Dir::Etc::preferencesparts="$dir/preferences.d" \
		-o Dir::State="$dir/state" \
		-o Dir::State::status="$dir/status" \
		-o Dir::Cache="$dir/cache" \
		-o APT::Architecture=arm64 \
		-o APT::Architectures=arm64 \
		-o APT::Sandbox::User=root
}

# The index is fetched once, and again only when the sources changed or a
# download failed (the archive moved on): reruns work offline.
update() {
	apt_private apt-get update >"$dir/update.log" 2>&1 ||
		{ cat "$dir/update.log" >&2; exit 1; }
}

debian_sources >"$list.tmp"
[ -s "$list.tmp" ] || { echo "apt-arm64: no Debian archive in the apt sources" >&2; exit 1; }
: >>"$dir/status"
if ! cmp -s "$list" "$list.tmp" || ! ls "$dir/state/lists/"*_Packages* >/dev/null 2>&1; then
	mv "$list.tmp" "$list"
	update
else
	rm -f "$list.tmp"
fi

case $cmd in
download)
	get() { (cd "$dir/debs" && apt_private apt-get download "$@") >"$dir/download.log" 2>&1; }
	get "$@" || { update; get "$@"; } || { cat "$dir/download.log" >&2; exit 1; }
	for pkg; do
		ls -t "$dir/debs/${pkg%%:*}"_*_arm64.deb | head -n 1
	done
	;;
depends)
	# "  Depends: linux-image-6.1.0-41-arm64"
	apt_private apt-cache depends "$1" |
		sed -n 's/^ *Depends: *\([^ <]*\).*/\1/p' | head -n 1
	;;
*)
	echo "usage: apt-arm64.sh DIR download PKG... | depends PKG" >&2
	exit 2
	;;
esac
