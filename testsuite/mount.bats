#!/usr/bin/env bats
# A rescue shell has nothing mounted: as root on the real host, kvm_stat
# mounts a missing tracefs (and debugfs for -d) itself. Every test runs in
# a private mount namespace (unshare -m) whose tracefs and debugfs are
# unmounted first, so that the machine's own mounts never change.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	is_root || skip "mounting needs root"
	command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
	unshare -m true 2>/dev/null || skip "no private mount namespaces here"
	grep -qw tracefs /proc/filesystems || skip "the kernel has no tracefs"
}

teardown() {
	[ -n "${VM:-}" ] && kill "$VM" 2>/dev/null
	wait 2>/dev/null || true
}

# bare CMD...: runs CMD in a private mount namespace without tracefs and
# debugfs; then prints that namespace's tracefs/debugfs mounts after
# "mounts:". Output in $T/out, stderr in $T/err, CMD's status in $T/rc.
bare() {
	unshare -m sh -c '
		mount --make-rprivate /
		for m in $(awk "\$3 == \"tracefs\" || \$3 == \"debugfs\" { print \$2 }" /proc/mounts | sort -r); do
			umount -l "$m" || exit 99
		done
		if awk "\$3 == \"tracefs\" || \$3 == \"debugfs\"" /proc/mounts | grep -q .; then
			exit 98
		fi
		"$@" > "$OUT" 2> "$ERR"
		echo $? > "$RC"
		echo mounts:
		awk "\$3 == \"tracefs\" || \$3 == \"debugfs\" { print \$3, \$2 }" /proc/mounts
	' bare "$@" > "$T/mounts"
	local s=$?
	[ "$s" = 0 ] || { echo "namespace set-up failed ($s)" >&2; return 1; }
}
prep() {
	export OUT=$T/out ERR=$T/err RC=$T/rc
}

@test "root, nothing mounted: -1 mounts tracefs, says so once, and counts" {
	require_feature tracepoints TRACEPOINTS
	prep
	local vmm=$BUILD/tiny_vmm want_rate=0
	if [ -c /dev/kvm ] && [ -x "$vmm" ]; then
		"$vmm" -r 1000 -t 5 -name guest=bare > "$T/vm.out" &
		VM=$!
		wait_for 10 grep -q '^pid ' "$T/vm.out"
		want_rate=1
	fi
	bare $KVM_STAT -1 -f 'kvm_userspace_exit$'
	cat "$T/out" "$T/err" "$T/mounts"
	[ "$(cat "$T/rc")" = 0 ]
	[ "$(cat "$T/err")" = "kvm_stat: mounted tracefs on /sys/kernel/tracing" ]
	grep -qx 'tracefs /sys/kernel/tracing' "$T/mounts"
	# -1 without -d needs no debugfs: none was mounted
	! grep -q '^debugfs' "$T/mounts"
	grep -q '^kvm_userspace_exit ' "$T/out"
	if [ "$want_rate" = 1 ]; then
		# a 1000 loops/s guest, 3 user-space exits a loop: surely > 100
		delta=$(awk '$1 == "kvm_userspace_exit" { print $3 }' "$T/out")
		[ "$delta" -gt 100 ]
	fi
}

@test "root, nothing mounted: -d mounts debugfs (and not tracefs)" {
	require_feature debugfs DEBUGFS
	prep
	bare $KVM_STAT -d -f help
	cat "$T/out" "$T/err" "$T/mounts"
	grep -q 'mounted debugfs on /sys/kernel/debug$' "$T/err"
	! grep -q 'mounted tracefs' "$T/err"
	grep -qx 'debugfs /sys/kernel/debug' "$T/mounts"
	! grep -q '^tracefs /sys/kernel/tracing' "$T/mounts"
}

@test "not root: the old messages, nothing mounted" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	require_feature debugfs DEBUGFS
	prep
	bare setpriv --reuid=nobody --regid=nogroup --clear-groups $KVM_STAT -1
	cat "$T/out" "$T/err" "$T/mounts"
	[ "$(cat "$T/rc")" = 1 ]
	! grep -q 'mounted\|can.t mount' "$T/err"
	if has_feature tracepoints; then
		grep -q 'tracefs not found, falling back to debugfs statistics' "$T/err"
	fi
	grep -q "debugfs is not mounted: .* run 'mount -t debugfs debugfs /sys/kernel/debug'" "$T/err"
	[ "$(sed 1d "$T/mounts")" = "" ]
}

@test "KVM_STAT_ROOT: a fake host is never mounted on" {
	require_feature debugfs DEBUGFS
	prep
	fixture nodebugfs
	bare $KVM_STAT -1
	cat "$T/out" "$T/err" "$T/mounts"
	[ "$(cat "$T/rc")" = 1 ]
	! grep -q 'mounted\|can.t mount' "$T/err"
	[ "$(sed 1d "$T/mounts")" = "" ]
}

@test "the mount fails: its error, then the usual message" {
	require_feature tracepoints TRACEPOINTS
	prep
	# an empty read-only /sys/kernel: no mount point for tracefs or debugfs
	bare sh -c 'mount -t tmpfs -o ro none /sys/kernel && exec "$@"' sh $KVM_STAT -1 -t
	cat "$T/out" "$T/err" "$T/mounts"
	[ "$(cat "$T/rc")" = 1 ]
	grep -q "can't mount tracefs on /sys/kernel/tracing: No such file or directory" "$T/err"
	grep -q 'tracefs not found: enable CONFIG_TRACING and mount tracefs' "$T/err"
	# the error comes first
	[ "$(grep -c . "$T/err")" = 2 ]
	head -n 1 "$T/err" | grep -q "can't mount"
}
