# tiny_vmm: the test VMM of the testsuite, and `make demo`.
#
#   make vmm    build $(BUILD)/tiny_vmm, static (musl-gcc if installed,
#               else $(CC) -static: the source needs no kernel headers)
#   make demo   run a test VM and watch it with kvm_stat -p PID

BUILD ?= build
KVM_STAT ?= ./kvm_stat
TINY_VMM := $(BUILD)/tiny_vmm
# a process whose threads come and go (tests of -p)
THREAD_CHURN := $(BUILD)/thread_churn
VMM_CC ?= $(if $(shell command -v musl-gcc 2>/dev/null),musl-gcc,$(CC))
VMM_CFLAGS ?= -Os -Wall -Wextra -Wshadow -Wwrite-strings -Wundef \
	-Wmissing-prototypes -Wdeclaration-after-statement -static -pthread -s

.PHONY: vmm demo clean-vmm
vmm: $(TINY_VMM) $(THREAD_CHURN)

$(TINY_VMM): testsuite/vmm/tiny_vmm.c
	@mkdir -p $(@D)
	$(VMM_CC) $(VMM_CFLAGS) -o $@ $<

$(THREAD_CHURN): testsuite/vmm/thread_churn.c
	@mkdir -p $(@D)
	$(VMM_CC) $(VMM_CFLAGS) -o $@ $<

clean-vmm:
	rm -f $(TINY_VMM) $(THREAD_CHURN) $(BUILD)/demo-vmm.out

# The VMM's stdout goes to a file so it cannot scribble over the TUI; its
# totals are shown after kvm_stat quits. The pid line appears only once
# the VM is set up, so its absence means the VMM failed (reason on stderr).
demo: $(TINY_VMM) $(KVM_STAT)
	@out=$(BUILD)/demo-vmm.out; : >$$out; \
	$(TINY_VMM) -name guest=demo -r 2000 -t 60 >$$out & vmm=$$!; \
	for i in 1 2 3 4 5 6 7 8 9 10; do \
		grep -q '^pid ' $$out && break; sleep 0.1; \
	done; \
	grep -q '^pid ' $$out || { wait $$vmm; exit 1; }; \
	$(KVM_STAT) -p $$vmm; rc=$$?; \
	kill $$vmm 2>/dev/null; wait $$vmm; \
	echo "tiny_vmm (guest demo, pid $$vmm) caused:"; \
	grep -v '^pid ' $$out; exit $$rc

