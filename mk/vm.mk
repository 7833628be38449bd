# check-vm: kvm_stat on a real, unlocked KVM host booted under QEMU (TCG,
# emulated AMD SVM) from an initramfs, driven over its serial console.
# testsuite/vm/run.sh fetches what it needs (apt-get, a kernel .deb cached
# in $(BUILD)/vm/cache); see docs/initramfs.md.

VM_BUILD ?= $(BUILD)/vm
TINY_VMM ?= $(BUILD)/tiny_vmm

.PHONY: check-vm check-vm-kernels vm-clean
check-vm: $(KVM_STAT) vmm
	KVM_STAT=$(KVM_STAT) TINY_VMM=$(TINY_VMM) VM_BUILD=$(VM_BUILD) \
		sh testsuite/vm/run.sh

# The same scenarios on the kernels of other Debian releases: bullseye's
# 5.10 (maps and programs still charged to RLIMIT_MEMLOCK, older
# tracepoint formats) and trixie's 6.12. Not in .ci/run: it fetches from
# Debian's mirrors outside this machine's apt, and bullseye's kernel will
# move to archive.debian.org one day. Each release has its own cache.
VM_SUITES ?= bullseye trixie
check-vm-kernels: $(KVM_STAT) vmm
	@set -e; for suite in $(VM_SUITES); do \
		echo "check-vm: Debian $$suite's kernel"; \
		KVM_STAT=$(KVM_STAT) TINY_VMM=$(TINY_VMM) VM_SUITE=$$suite \
			VM_BUILD=$(VM_BUILD)-$$suite sh testsuite/vm/run.sh; \
	done

# Keeps the kernel cache: only the initramfs and the logs go
vm-clean:
	rm -rf $(VM_BUILD)/root $(VM_BUILD)/initrd.gz $(VM_BUILD)/serial.log
