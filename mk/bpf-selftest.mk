# The BPF ABI layer (applet/kvm_stat_bpf.c) against this machine's KVM.
#
#   make bpf-selftest   build $(BUILD)/bpf_selftest and tiny_vmm, run it
#                       (root): counts of kvm_userspace_exit through raw
#                       and perf-attached programs, the process filter,
#                       verifier refusals, cleanup after SIGKILL, timings
#
# BPF_LOOPS: tiny_vmm's loops (default 1000).

BUILD ?= build
BPF_LOOPS ?= 1000
BPF_SELFTEST := $(BUILD)/bpf_selftest

.PHONY: bpf-selftest
# Compiled like the applet's objects (project CC, CFLAGS, CPPFLAGS), linked
# with libbb.c as kvm_stat is: the selftest's entry is kvm_stat_main()
$(BPF_SELFTEST): testsuite/bpf_selftest.c applet/kvm_stat_bpf.c \
		applet/kvm_stat_bpf.h compat/libbb.c compat/libbb.h \
		compat/ptr_to_globals.c $(BUILD)/autoconf.h $(BUILD)/usage.h | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ testsuite/bpf_selftest.c \
		applet/kvm_stat_bpf.c compat/libbb.c compat/ptr_to_globals.c

bpf-selftest: $(BPF_SELFTEST) $(TINY_VMM)
	$(BPF_SELFTEST) $(TINY_VMM) $(BPF_LOOPS)

# exit_selftest: the exit-time programs on tracepoints that fire here
# (testsuite/exit_selftest.c; exittime.bats and bench-exittime.sh run it).
# Only a config with FEATURE_KVM_STAT_EXIT_TIMES has the programs, so
# 'exit-selftest' builds it for such a config and does nothing otherwise;
# make test, test-asan and bench ask for it, and its users skip without it.
EXIT_SELFTEST := $(BUILD)/exit_selftest

$(EXIT_SELFTEST): testsuite/exit_selftest.c applet/kvm_stat_bpf.c \
		applet/kvm_stat_perf.c applet/kvm_stat_bpf.h compat/libbb.c \
		compat/libbb.h compat/ptr_to_globals.c $(BUILD)/autoconf.h \
		$(BUILD)/usage.h | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ testsuite/exit_selftest.c \
		applet/kvm_stat_bpf.c applet/kvm_stat_perf.c compat/libbb.c \
		compat/ptr_to_globals.c

.PHONY: exit-selftest
exit-selftest: $(BUILD)/autoconf.h
	@if grep -q 'EXIT_TIMES 1' $(BUILD)/autoconf.h; then \
		$(MAKE) --no-print-directory $(EXIT_SELFTEST); fi
