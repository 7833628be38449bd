# Tracepoint provider: the exit-reason table test helper, its table
# generator and the tracepoint benchmarks.
#
#   make exit-tables    regenerate the tables of applet/kvm_stat_exits.c
#                       from the installed uapi headers (prints the C to
#                       paste between its "generated" markers)
#   make bench-tracepoint   -1 wall time, quit latency, CPU, RSS

BUILD ?= build
KVM_STAT ?= ./kvm_stat
EXITS_DUMP := $(BUILD)/exits_dump
HOSTCC ?= $(CC)

tp_saved_goal := $(.DEFAULT_GOAL)

.PHONY: exit-tables bench-tracepoint
$(EXITS_DUMP): testsuite/exits_dump.c applet/kvm_stat_exits.c $(BUILD)/autoconf.h
	$(HOSTCC) -Os -Wall -I$(BUILD) -Icompat -Iapplet -static -o $@ \
		testsuite/exits_dump.c applet/kvm_stat_exits.c

test: $(EXITS_DUMP)

exit-tables:
	@testsuite/gen-exit-c.sh

bench-tracepoint: $(KVM_STAT)
	@KVM_STAT=$(KVM_STAT) BUILD=$(BUILD) testsuite/bench-tracepoint.sh

.DEFAULT_GOAL := $(tp_saved_goal)
