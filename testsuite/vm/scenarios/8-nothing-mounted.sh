# 8. A rescue shell with nothing mounted but /proc and /sys: kvm_stat, as
# root, mounts tracefs (and debugfs for -d) itself, says so and counts.
# Then the textfile view (-O) on this unlocked host: each guest's debugfs
# counters exact against the test VMM's counts, valid lines.
#
# The scenario re-runs itself in a private mount namespace and unmounts
# debugfs and tracefs there: to kvm_stat that is an init that mounted
# nothing, while /init and the other scenarios keep their mounts.
if [ -z "$NOTHING_MOUNTED" ]; then
	NOTHING_MOUNTED=1 exec unshare -m --propagation private sh "$0"
fi
. /vm/lib.sh
need_tools

mounts() {
	awk '$3 == "tracefs" || $3 == "debugfs" { print $3, $2 }' /proc/mounts
}
for m in $(awk '$3 == "tracefs" || $3 == "debugfs" { print $2 }' /proc/mounts | sort -r); do
	umount -l "$m"
done
expect_eq "tracefs and debugfs unmounted here" "" "$(mounts)"

# A guest for the tracepoints to count: 500 loops/s, 2 or 3 returns to
# user space a loop (arm64, x86)
vmm_start live -r 500 -t 10 -name guest=live
ks /tmp/tp 20 -1 -f 'kvm_userspace_exit$'
expect_eq "the note" "kvm_stat: mounted tracefs on /sys/kernel/tracing" "$(cat /tmp/tp.err)"
expect_eq "tracefs mounted, no debugfs" "tracefs /sys/kernel/tracing" "$(mounts)"
expect_range "kvm_userspace_exit over the second (500 loops/s x 3)" 750 2250 \
	"$(batch_delta /tmp/tp kvm_userspace_exit)"
ks /tmp/tp2 20 -1 -f 'kvm_userspace_exit$'
expect_eq "mounted once: no note the second time" "" "$(cat /tmp/tp2.err)"

ks /tmp/d 20 -d -1 -f exits
expect_eq "-d: the note" "kvm_stat: mounted debugfs on /sys/kernel/debug" "$(cat /tmp/d.err)"
expect_true "-d: debugfs mounted" grep -q '^debugfs /sys/kernel/debug ' /proc/mounts
expect_range "-d: exits over the second" 750 2250 "$(batch_delta /tmp/d exits)"
vmm_wait live 15

# -O: two idle guests that did a known number of loops
LA=300 LB=120
vmm_done alpha $LA 'al"pha'
vmm_done beta $LB beta
A=$VMM_PID_alpha B=$VMM_PID_beta
ks /tmp/k.prom 20 -d -1 -O /tmp/kvm.prom
show /tmp/kvm.prom
# the kernel's counts of each guest, as the debugfs files have them
series() {	# series FILE NAME: the value of the sample NAME{...}
	grep -F "$2 " "$1" | sed 's/.* //'
}
# (the loop's fields by architecture: x86 io_exits and halt_exits, arm64
# mmio_exit_user and hvc_exit_stat; lib.sh names them)
expect_eq "alpha $DFS_PAIR" $((2 * LA)) \
	"$(series /tmp/kvm.prom "kvm_stat_debugfs_total{field=\"$DFS_PAIR\",guest=\"al\\\"pha\",pid=\"$A\"}")"
expect_eq "alpha $DFS_ONCE" $LA \
	"$(series /tmp/kvm.prom "kvm_stat_debugfs_total{field=\"$DFS_ONCE\",guest=\"al\\\"pha\",pid=\"$A\"}")"
expect_eq "beta $DFS_PAIR" $((2 * LB)) \
	"$(series /tmp/kvm.prom "kvm_stat_debugfs_total{field=\"$DFS_PAIR\",guest=\"beta\",pid=\"$B\"}")"
expect_eq "beta exits = debugfs's" "$(debugfs_count $B exits)" \
	"$(series /tmp/kvm.prom "kvm_stat_debugfs_total{field=\"exits\",guest=\"beta\",pid=\"$B\"}")"
# an INSTANT stat (a 0444 file: blocking since Linux 5.12, x86's
# largepages before; arm64's 5.10 has none) is a gauge
gauge=$(cd "$DEBUGFS_KVM" && for f in "$B"-*/*; do
	[ "$(stat -c %a "$f")" = 444 ] && echo "${f#*/}" && break
done)
families="kvm_stat_debugfs_total counter"
if [ -n "$gauge" ]; then
	expect_true "a 0444 file ($gauge) is a gauge" \
		grep -q "^kvm_stat_debugfs{field=\"$gauge\",guest=\"beta\",pid=\"$B\"} [0-9]*$" /tmp/kvm.prom
	families="$families
kvm_stat_debugfs gauge"
else
	say "no 0444 file in this kernel's debugfs: no gauges"
fi
expect_eq "families" "$families" "$(sed -n 's/^# TYPE //p' /tmp/kvm.prom)"
# every line: a HELP, a TYPE or a sample with labels and an integer
expect_eq "lines of another form" "" \
	"$(grep -Ev '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+\{([a-z]+="([^"\\]|\\.)*",?)+\} [0-9]+)$' /tmp/kvm.prom)"
expect_false "no FILE.tmp left" [ -e /tmp/kvm.prom.tmp ]
vmm_end alpha
vmm_end beta
finish
