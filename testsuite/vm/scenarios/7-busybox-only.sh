# 7. kvm_stat as the only userspace tool besides busybox: no dynamic loader,
# no /usr, no /etc, nothing but static binaries in /bin.
. /vm/lib.sh
need_tools

for dir in /usr /etc /lib /lib64; do
	expect_true "no $dir" [ ! -e $dir ]
done
others=$(find / -xdev -type f ! -path '/proc/*' ! -path '/sys/*' |
	grep -Ev '^/(init|bin/(busybox|kvm_stat|tiny_vmm)|modules/.*\.ko|vm/.*\.sh|tmp/.*)$')
expect_eq "files besides busybox, kvm_stat, the VMM, modules, scripts" "" "$others"
expect_eq "symlinks in /bin not to busybox" "" \
	"$(for f in /bin/*; do [ -L "$f" ] && [ "$(readlink "$f")" != /bin/busybox ] && echo "$f"; done)"
expect_false "kvm_stat has no ELF interpreter (no ld.so path inside)" \
	grep -q 'ld-linux\|ld-musl' /bin/kvm_stat

# It runs, and maps nothing but itself (no shared objects)
ks /tmp/help 5 --help
expect_true "--help prints a usage" grep -qi 'usage' /tmp/help
ks /tmp/fields 10 -d -f help
expect_true "-f help lists $DFS_PAIR" grep -q "^  $DFS_PAIR\$" /tmp/fields
ks_bg /tmp/bg -d -l -s 1
wait_lines /tmp/bg 1 10
expect_eq "shared objects mapped by kvm_stat" "" \
	"$(grep '\.so' /proc/$KS_PID/maps)"
ks_stop
# With no VM, debugfs has no counters to add up and -1 prints nothing (as
# the reference): give it one
vmm_start one -r 50 -t 5 -name guest=one
ks /tmp/once 15 -d -1
expect_true "-d -1 lists exits" grep -q '^exits ' /tmp/once
expect_true "-d -1 prints no error" [ ! -s /tmp/once.err ]
vmm_wait one 10
finish
