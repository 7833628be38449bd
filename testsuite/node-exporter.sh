#!/bin/sh
# Fetches Prometheus' node_exporter into DIR (DIR/usr/bin/prometheus-node-
# exporter), for textfile.bats: its textfile collector is the parser that
# -O's files are written for. The Debian package is downloaded and
# unpacked, not installed: installing it would start a service.
# Usage: node-exporter.sh DIR. Says why and exits 1 if it can't.
dir=$1
bin=$dir/usr/bin/prometheus-node-exporter
[ -x "$bin" ] && exit 0
mkdir -p "$dir/deb" || exit 1
echo "fetching node_exporter for textfile.bats (apt-get download prometheus-node-exporter) into $dir"
rm -f "$dir"/deb/*.deb
if ! (cd "$dir/deb" && apt-get download prometheus-node-exporter) >"$dir/fetch.log" 2>&1 ||
	! dpkg -x "$dir"/deb/prometheus-node-exporter_*.deb "$dir" >>"$dir/fetch.log" 2>&1 ||
	! [ -x "$bin" ]; then
	echo "node_exporter not fetched (see $dir/fetch.log): textfile.bats skips its test" >&2
	exit 1
fi
rm -rf "$dir/deb"
