#!/bin/sh
# make check-fresh: the README's two commands, as root, on a fresh Debian
# machine: a Debian made by debootstrap into $(BUILD)/fresh-debian, with
# what a new machine of this project's kind has (build-essential, git),
# nothing else. Into it goes a clone of this tree's HEAD (what lands, not
# the work tree); in it run `make && ./kvm_stat -1`, `make ARCH=arm64` and
# `make test`, which must install what they miss themselves (musl-tools;
# the arm64 cross compiler and musl; bats, tmux, bpftool).
# Ends with make test's "N passed, N failed, N skipped" line.
#
# The chroot gets the host's /dev (/dev/kvm), /sys (tracefs, debugfs) and
# a /proc of its own, all mounted in a private mount namespace: they go
# when the check ends, however it ends, and `rm -rf build` never meets a
# bind mount of /dev. Its / is a mount point, as on a machine (util-linux's
# unshare, which hardening.bats uses, needs that).
#
# Needs root, debootstrap and unshare (installed when missing, by
# ensure-deps.sh fresh) and Debian's mirror
# (FRESH_MIRROR): ~100 MB of packages, ~7 minutes. Not part of .ci/run,
# which runs on a machine that has its tools already; run it when the
# set-up (testsuite/ensure-deps.sh, the Makefile's deps) changes.
set -u
cd "$(dirname "$0")/.." || exit 1
dir=${BUILD:-build}/fresh-debian
suite=${FRESH_SUITE:-bookworm}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}

die() { echo "check-fresh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
testsuite/ensure-deps.sh fresh || exit 1
git rev-parse --verify -q HEAD >/dev/null || die "not a git checkout"

# A new one each time: a fresh machine has nothing of a former run
rm -rf "$dir"
mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)
echo "check-fresh: debootstrap $suite into $dir"
debootstrap --include=build-essential,git,ca-certificates "$suite" "$dir" \
	"$mirror" > "$dir.debootstrap.log" 2>&1 ||
	die "debootstrap failed, see $dir.debootstrap.log"
cp /etc/resolv.conf "$dir/etc/resolv.conf"
git clone -q . "$dir/root/kvm_stat" || die "git clone failed"
echo "check-fresh: $(git log --oneline -1 HEAD)"

# shellcheck disable=SC2016
unshare -m --propagation private sh -c '
	d=$1
	mount --bind "$d" "$d" && mount -t proc proc "$d/proc" &&
	mount --rbind /sys "$d/sys" && mount --rbind /dev "$d/dev" ||
		exit 1
	exec chroot "$d" sh -c "cd /root/kvm_stat &&
		make > /tmp/make.log 2>&1 || { tail -n 20 /tmp/make.log; exit 1; }
		./kvm_stat -1 -f kvm_pio > /dev/null &&
		echo \"check-fresh: make && ./kvm_stat -1: ok\" || exit 1
		make ARCH=arm64 > /tmp/arm64.log 2>&1 ||
			{ tail -n 20 /tmp/arm64.log; exit 1; }
		echo \"check-fresh: make ARCH=arm64: ok\"
		make test"' fresh "$dir"
rc=$?
rm -rf "$dir" "$dir.debootstrap.log"
exit $rc
