# check-vm: kvm_stat on a real, unlocked KVM host booted under QEMU (TCG,
# emulated AMD SVM) from an initramfs, driven over its serial console.
# testsuite/vm/run.sh fetches what it needs (apt-get, a kernel .deb cached
# in $(BUILD)/vm/cache); see docs/initramfs.md.

VM_BUILD ?= $(BUILD)/vm
TINY_VMM ?= $(BUILD)/tiny_vmm

.PHONY: check-vm vm-clean
check-vm: $(KVM_STAT) vmm
	KVM_STAT=$(KVM_STAT) TINY_VMM=$(TINY_VMM) VM_BUILD=$(VM_BUILD) \
		sh testsuite/vm/run.sh

# Keeps the kernel cache: only the initramfs and the logs go
vm-clean:
	rm -rf $(VM_BUILD)/root $(VM_BUILD)/initrd.gz $(VM_BUILD)/serial.log
