#!/bin/bash
# make soak: kvm_stat -l -s 0.1 on real KVM for SOAK_SECONDS (120), while
# guests come and go (tiny_vmm runs of a second each, two at a time) and
# a process's threads come and go (thread_churn, watched with -p on the
# perf path). Descriptors and RSS of each watcher are sampled every
# second; they must stay flat: the last sample no more than the one after
# the warm-up plus a small margin. Prints the figures; exit 1 if not flat.
cd "$(dirname "$0")/.." || exit 1
KVM_STAT=${KVM_STAT:-./kvm_stat}
BUILD=${BUILD:-build}
SECONDS_WANTED=${SOAK_SECONDS:-120}
tmp=$(mktemp -d)
pids=
trap 'kill $pids 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

[ -c /dev/kvm ] || { echo "soak: no /dev/kvm" >&2; exit 1; }
[ -x "$BUILD/tiny_vmm" ] && [ -x "$BUILD/thread_churn" ] ||
	{ echo "soak: make vmm first" >&2; exit 1; }

# guests created and destroyed all the time
( while :; do
	"$BUILD/tiny_vmm" -r 2000 -t 1 -q &
	"$BUILD/tiny_vmm" -r 500 -t 1 -q -c 2
	wait
done ) & pids="$pids $!"
"$BUILD/thread_churn" $((SECONDS_WANTED + 10)) > "$tmp/churn" & pids="$pids $!"
until grep -q '^pid ' "$tmp/churn"; do sleep 0.1; done
churn=$(sed -n 's/^pid //p' "$tmp/churn")

$KVM_STAT -l -s 0.1 > /dev/null & all=$!; pids="$pids $all"
$KVM_STAT --no-bpf -l -s 0.1 > /dev/null & perf=$!; pids="$pids $perf"
$KVM_STAT --no-bpf -l -s 0.1 -p "$churn" -f kvm_pio > /dev/null & onep=$!; pids="$pids $onep"

fds() { ls /proc/$1/fd 2>/dev/null | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' /proc/$1/status 2>/dev/null; }
status=0
for w in all perf onep; do eval "first_$w="; done
for i in $(seq "$SECONDS_WANTED"); do
	sleep 1
	for w in all perf onep; do
		p=${!w}
		kill -0 "$p" 2>/dev/null || { echo "soak: watcher $w died"; exit 1; }
		# after a 10 s warm-up: the reference sample
		[ "$i" = 10 ] && eval "first_$w='$(fds "$p") $(rss "$p")'"
		eval "last_$w='$(fds "$p") $(rss "$p")'"
	done
done
for w in all perf onep; do
	read -r f0 r0 <<< "$(eval echo "\$first_$w")"
	read -r f1 r1 <<< "$(eval echo "\$last_$w")"
	echo "soak_${w}_fds: $f0 -> $f1 count"
	echo "soak_${w}_rss: $r0 -> $r1 KiB"
	# flat: descriptors may differ by the threads alive at that moment,
	# memory by allocator slack
	if [ "$f1" -gt $((f0 + 16)) ] || [ "$r1" -gt $((r0 + 256)) ]; then
		echo "soak: $w grew"
		status=1
	fi
done
exit $status
