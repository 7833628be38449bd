# 10. per-vCPU breakdown (-v): kvm_exit children per vCPU, exact. Three
# vCPUs with their own loop counts (tiny_vmm -L); their threads exist
# before kvm_stat's set-up and wait for SIGHUP (-G), then stay (-k), so a
# log covers every loop of each and names each thread "CPU N/KVM".
. /vm/lib.sh
need_tools

# vcpu_sum FILE FIELD VCPU: FIELD's column summed over VCPU's lines of a
# plain -v log (the vCPU's name is the line's end: it holds a blank)
vcpu_sum() {
	cat "$1" 2>/dev/null | awk -v name="$2" -v vcpu="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) col = i; next }
		/^[0-9][0-9][0-9][0-9]-/ {
			if (col && substr($0, length($0) - length(vcpu)) == " " vcpu)
				sum += $(col + 2)
		}
		END { print sum + 0 }'
}

sums_reached() {
	[ "$(vcpu_sum /tmp/vlog "$EXIT_PAIR" 'CPU 2/KVM')" -ge 600 ] &&
		[ "$(vcpu_sum /tmp/vlog "$EXIT_ONCE" 'CPU 0/KVM')" -ge 100 ]
}

vmm_start vcpus -L 100,200,300 -G -k -name guest=vcpus
ks_bg /tmp/vlog -t -l -v -s 1 -p "$VMM_PID" -f 'kvm_exit'
wait_lines /tmp/vlog 1 20 || not_ok "no banner in 20 s"
kill -HUP "$VMM_PID"
wait_for 60 sums_reached || not_ok "per-vCPU sums not reached in 60 s"
n=$(log_records /tmp/vlog)
wait_lines /tmp/vlog $((n + 4)) 10 || not_ok "log stopped"
ks_stop
show /tmp/vlog
for i in 0 1 2; do
	loops=$(((i + 1) * 100))
	expect_eq "$EXIT_PAIR of CPU $i/KVM" $((2 * loops)) \
		"$(vcpu_sum /tmp/vlog "$EXIT_PAIR" "CPU $i/KVM")"
	expect_eq "$EXIT_ONCE of CPU $i/KVM" $loops \
		"$(vcpu_sum /tmp/vlog "$EXIT_ONCE" "CPU $i/KVM")"
done
expect_eq "$EXIT_PAIR of the guest (all)" 1200 \
	"$(vcpu_sum /tmp/vlog "$EXIT_PAIR" all)"
kill -TERM "$VMM_PID"
vmm_wait vcpus 10
finish
