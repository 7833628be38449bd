#!/bin/sh
# Writes fake host trees for kvm_stat, used through KVM_STAT_ROOT=ROOT.
#
#   mkfixture.sh init ROOT [nodebugfs|nokvm|tracefs] [arch=NAME]
#       proc/mounts, debugfs kvm/ with the global counters (FIELDS, all 0,
#       plus the exempt halt_poll_*_ns/halt_wait_ns), cpu online list
#   mkfixture.sh vm ROOT PID FD [field=value...]
#       a VM directory kvm/PID-FD with every field (0 unless given), two
#       vcpuN/ subdirectories holding files of the same names (which must
#       never be counted), and the process /proc/PID (cmdline "qemu")
#   mkfixture.sh set ROOT PID-FD field=value...   change counters
#   mkfixture.sh rmvm ROOT PID-FD                 the VM goes away
#   mkfixture.sh proc ROOT PID ARG...             /proc/PID/cmdline, task/
#   mkfixture.sh bench ROOT NVMS NFIELDS          a large tree for make bench
set -e
FIELDS=${FIELDS:-"exits io_exits halt_exits mmio_exits irq_exits signal_exits"}
cmd=$1 root=$2
shift 2
kvm=$root/sys/kernel/debug/kvm

# cmdline: arguments separated and ended by NUL, as the kernel writes it
write_proc() {
	pid=$1
	shift
	mkdir -p "$root/proc/$pid/task/$pid"
	: > "$root/proc/$pid/cmdline"
	for arg; do
		printf '%s\0' "$arg" >> "$root/proc/$pid/cmdline"
	done
}

set_fields() {
	dir=$1
	shift
	for kv; do
		printf '%s\n' "${kv#*=}" > "$dir/${kv%%=*}"
	done
}

case $cmd in
init)
	mkdir -p "$root/proc" "$root/sys/devices/system/cpu" "$kvm"
	echo "0-1" > "$root/sys/devices/system/cpu/online"
	printf 'processor\t: 0\nflags\t\t: fpu vme de pse\n' > "$root/proc/cpuinfo"
	# a FUSE mount *named* debugfs must not be taken for debugfs
	echo "debugfs /fake/debugfs fuse.sshfs rw 0 0" > "$root/proc/mounts"
	echo "proc /proc proc rw 0 0" >> "$root/proc/mounts"
	for opt; do
		case $opt in
		nodebugfs) ;;
		nokvm) rmdir "$kvm" ;;
		tracefs) mkdir -p "$root/sys/kernel/tracing/events/kvm"
			echo "tracefs /sys/kernel/tracing tracefs rw 0 0" >> "$root/proc/mounts" ;;
		arch=*) mkdir -p "$root/proc/sys/kernel"
			echo "${opt#arch=}" > "$root/proc/sys/kernel/arch" ;;
		esac
	done
	case " $* " in
	*" nodebugfs "*) ;;
	*) echo "debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec 0 0" >> "$root/proc/mounts" ;;
	esac
	[ -d "$kvm" ] || exit 0
	for f in $FIELDS halt_poll_fail_ns halt_poll_success_ns halt_wait_ns; do
		echo 0 > "$kvm/$f"
	done
	;;
vm)
	pid=$1 fd=$2
	shift 2
	dir=$kvm/$pid-$fd
	mkdir -p "$dir/vcpu0" "$dir/vcpu1"
	for f in $FIELDS halt_poll_fail_ns halt_poll_success_ns halt_wait_ns; do
		echo 0 > "$dir/$f"
		echo 999 > "$dir/vcpu0/$f"
		echo 999 > "$dir/vcpu1/$f"
	done
	set_fields "$dir" "$@"
	[ -d "$root/proc/$pid" ] || write_proc "$pid" qemu-system-x86_64 -m 64
	;;
set)
	dir=$kvm/$1
	shift
	set_fields "$dir" "$@"
	;;
rmvm)
	rm -rf "$kvm/$1"
	;;
proc)
	write_proc "$@"
	;;
bench)
	nvms=$1 nfields=$2
	FIELDS=$(seq -f 'counter_%02g' 1 "$nfields" | tr '\n' ' ')
	export FIELDS
	"$0" init "$root"
	i=0
	while [ $i -lt "$nvms" ]; do
		i=$((i + 1))
		"$0" vm "$root" $((10000 + i)) 12
	done
	;;
*)
	echo "mkfixture.sh: unknown command '$cmd'" >&2
	exit 1
	;;
esac
