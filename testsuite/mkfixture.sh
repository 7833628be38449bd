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

# The name FILE is written under before it is renamed: a dot file, which
# kvm_stat never takes for a counter or a VM
tmp_of() {
	echo "${1%/*}/.${1##*/}.tmp"
}

# FILE holding VALUE and a newline. Written beside and renamed: a
# kvm_stat reading meanwhile sees the old value or the new one, never an
# empty or half-written file (which reads as 0, and made a test see the
# counter drop and come back).
put() {
	t=$(tmp_of "$1")
	printf '%s\n' "$2" > "$t"
	mv -f "$t" "$1"
}

# cmdline: arguments separated and ended by NUL, as the kernel writes it
write_proc() {
	pid=$1
	shift
	mkdir -p "$root/proc/$pid/task/$pid"
	# as the kernel's, to Tgid: what tells a process from a thread
	printf 'Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%s\n' \
		"${1##*/}" "$pid" > "$root/proc/$pid/status"
	for arg; do
		printf '%s\0' "$arg"
	done > "$root/proc/$pid/cmdline.tmp"
	mv -f "$root/proc/$pid/cmdline.tmp" "$root/proc/$pid/cmdline"
}

set_fields() {
	dir=$1
	shift
	for kv; do
		put "$dir/${kv%%=*}" "${kv#*=}"
	done
}

# As the kernel: each global kvm/<field> is the sum over the live VMs'
# kvm/PID-FD/<field> (values that are not numbers count as 0). Only the
# sums that change are rewritten, all of them computed first and then
# renamed in place one right after the other, so that a reader rarely
# falls between two (each file is never seen half-written).
update_sums() {
	[ -n "$SKIP_SUMS" ] && return
	changed=""
	for g in "$kvm"/*; do
		[ -f "$g" ] || continue
		f=${g##*/}
		sum=0
		for v in "$kvm"/[0-9]*-[0-9]*/"$f"; do
			[ -f "$v" ] || continue
			read -r n < "$v" || :
			case $n in ''|*[!0-9]*) n=0 ;; esac
			sum=$((sum + n))
		done
		read -r old < "$g" || :
		[ "$old" = "$sum" ] && continue
		printf '%s\n' "$sum" > "$(tmp_of "$g")"
		changed="$changed $g"
	done
	for g in $changed; do
		mv -f "$(tmp_of "$g")" "$g"
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
	vmdir=$kvm/$pid-$fd	# not "dir": set_fields() sets that one
	# A new VM is made under a dot name and renamed in whole: kvm_stat
	# scans kvm/ every refresh, and must not take a VM's base values
	# from files not written yet
	new=$vmdir
	[ -d "$vmdir" ] || new=$kvm/.new-$pid-$fd
	mkdir -p "$new/vcpu0" "$new/vcpu1"
	for f in $FIELDS halt_poll_fail_ns halt_poll_success_ns halt_wait_ns; do
		put "$new/vcpu0/$f" 999
		put "$new/vcpu1/$f" 999
		put "$new/$f" 0
	done
	set_fields "$new" "$@"
	[ "$new" = "$vmdir" ] || mv "$new" "$vmdir"
	[ -d "$root/proc/$pid" ] || write_proc "$pid" qemu-system-x86_64 -m 64
	update_sums
	;;
set)
	dir=$kvm/$1
	shift
	set_fields "$dir" "$@"
	update_sums
	;;
rmvm)
	rm -rf "$kvm/$1"
	update_sums
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
		SKIP_SUMS=1 "$0" vm "$root" $((10000 + i)) 12	# all 0: sums stay 0
	done
	;;
*)
	echo "mkfixture.sh: unknown command '$cmd'" >&2
	exit 1
	;;
esac
