# kvm_stat standalone build. The applet sources in applet/ also drop into
# a BusyBox tree unchanged; compat/ supplies the bits of libbb they use.
#
#   make              build ./kvm_stat (static, musl, -Os)
#   make ARCH=arm64   build build/arm64/kvm_stat (see mk/arm64.mk)
#   make test         build and run the bats suite
#   make check-vm     run kvm_stat inside a real KVM host under QEMU
#   make check-vm-kernels  the same on Debian 11's and 13's kernels (5.10, 6.12)
#   make busybox-check  build it inside BusyBox 1.35 and 1.37, run the suite
#   make bench        performance figures, "name: value unit"
#   make bench-tracepoint  -1 wall time, quit latency, CPU, RSS
#   make bench-tui    bytes sent per frame and per refresh (tmux needed)
#   make size         size figures
#   make install      install to $(DESTDIR)$(PREFIX)/bin, man page too
#   make exit-tables  rewrite the exit-reason tables of applet/kvm_stat_exits.c
#   make Config.in    rewrite Config.in from the //config: blocks
#
# Configuration: .config (BusyBox syntax), configs/defconfig if absent.
# `make allyesconfig`, `make minconfig` write one.

include mk/arm64.mk

CC := $(shell command -v musl-gcc 2>/dev/null || echo musl-gcc)
BUILD ?= build
PREFIX ?= /usr/local
KVM_STAT ?= ./kvm_stat
BIN ?= kvm_stat
CONFIG ?= $(if $(wildcard .config),.config,configs/defconfig)

WARNINGS := -Wall -Wextra -std=gnu99 -Wshadow -Wwrite-strings -Wundef \
	-Wmissing-prototypes -Wdeclaration-after-statement
CFLAGS ?= -Os
CFLAGS += $(WARNINGS) -funsigned-char -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -Werror=implicit-function-declaration
# No unwind tables, as BusyBox's Makefile.flags: nothing here unwinds (C,
# no exceptions, no backtraces), and aarch64's gcc emits them by default:
# 5-7 KiB of .eh_frame in the arm64 applet, none on x86_64
CFLAGS += -fno-unwind-tables
# The binary is static at a fixed address: position-independent code (the
# default of Debian's gcc) would only cost bytes, ~470 in the applet
CFLAGS += -fno-pie
CPPFLAGS += -I$(BUILD) -Icompat -Iapplet
# No page-aligned padding between code and data, no build-id: ~9 KiB less.
# common-page-size=16: the data segment starts right after the code in the
# file (1-4 KiB less), its address still congruent to its offset modulo the
# largest page size, as the kernel's ELF loader needs (checked by build.bats)
LDFLAGS += -static -no-pie -Wl,--gc-sections -s -Wl,-z,noseparate-code \
	-Wl,--build-id=none -Wl,-z,norelro -Wl,-z,common-page-size=16

APPLET_SRC := $(wildcard applet/*.c)
APPLET_OBJ = $(addprefix $(BUILD)/,$(shell compat/objects.sh $(CONFIG) $(APPLET_SRC)))
HEADERS := $(wildcard applet/*.h) compat/libbb.h $(BUILD)/autoconf.h $(BUILD)/flags

.PHONY: all FORCE deps-build test deps bench soak size install clean allyesconfig minconfig \
	check-fresh

# The default goal, whatever the mk/ fragments included at the end define
.DEFAULT_GOAL := all
all: $(BIN)

# Rewritten only when its content changes (switching between .config and
# defconfig must rebuild, an unchanged config must not)
$(BUILD)/autoconf.h: FORCE | $(BUILD)
	@compat/mkconfig.sh $(CONFIG) Config.in > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || { mv $@.tmp $@; echo "  CONFIG  $(CONFIG)"; }

# The same for the compiler and its flags: a changed flag (here, in mk/,
# or on the command line) rebuilds every object
$(BUILD)/flags: FORCE | $(BUILD)
	@echo '$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)' > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

FORCE:

$(BUILD)/usage.h: $(APPLET_SRC) compat/mkusage.sh | $(BUILD)
	compat/mkusage.sh $(APPLET_SRC) > $@

$(BUILD)/%.o: applet/%.c $(HEADERS) | $(BUILD) deps-build
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CFLAGS_$(*F).o) -c -o $@ $<

# Per-object flags, as BusyBox's Kbuild takes them from the //kbuild: lines:
#   //kbuild:CFLAGS_kvm_stat_tui.o := -fno-jump-tables
$(foreach line,$(shell sed -n 's,^//kbuild:\(CFLAGS_[a-z_]*\.o\) *:*= *,\1=,p' \
	$(APPLET_SRC) | tr ' ' '~'),$(eval $(subst ~, ,$(line))))

$(BUILD)/libbb.o: compat/libbb.c compat/libbb.h $(BUILD)/usage.h $(BUILD)/autoconf.h $(BUILD)/flags | deps-build
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/ptr_to_globals.o: compat/ptr_to_globals.c $(BUILD)/flags | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

COMPAT_OBJ := $(BUILD)/libbb.o $(BUILD)/ptr_to_globals.o

$(BIN): $(BUILD)/autoconf.h $(BUILD)/flags $(APPLET_OBJ) $(COMPAT_OBJ)
	$(CC) $(LDFLAGS) -o $@ $(APPLET_OBJ) $(COMPAT_OBJ)

$(BUILD):
	mkdir -p $@

# Missing tools (musl-tools; for tests bats, tmux) are installed when root
deps-build:
	@testsuite/ensure-deps.sh build
deps:
	@testsuite/ensure-deps.sh test

# The suite runs on this config's build, then on the minimal config's
# (debugfs batch only), where it skips, visibly, what that build lacks.
MIN_BUILD := $(BUILD)/min
EXITS_DUMP := $(BUILD)/exits_dump
test: deps $(EXITS_DUMP)
	@$(MAKE) --no-print-directory kvm_stat vmm exit-selftest
	@testsuite/node-exporter.sh $(BUILD)/node_exporter || true
	@$(MAKE) --no-print-directory CONFIG=configs/minconfig BUILD=$(MIN_BUILD) \
		BIN=$(MIN_BUILD)/kvm_stat $(MIN_BUILD)/kvm_stat
	KVM_STAT="$(KVM_STAT)" MIN_KVM_STAT="$(MIN_BUILD)/kvm_stat" \
		BUILD="$(BUILD)" testsuite/run-tests.sh

# tracepoint.bats's view of the exit-reason tables: kvm_stat_exits.c alone,
# a tool of the build machine: the host's compiler (HOSTCC), also with
# ARCH=arm64
HOSTCC ?= $(CC)
$(EXITS_DUMP): testsuite/exits_dump.c applet/kvm_stat_exits.c $(BUILD)/autoconf.h
	$(HOSTCC) -Os -Wall -I$(BUILD) -Icompat -Iapplet -static -o $@ \
		testsuite/exits_dump.c applet/kvm_stat_exits.c

# The README's two commands and its arm64 build in a fresh Debian
# (debootstrap), as root, on this tree's HEAD: ~7 minutes and Debian's
# mirror (not in CI, whose machine has the tools already)
check-fresh:
	BUILD="$(BUILD)" testsuite/fresh-debian.sh

# ~2 minutes on real KVM: guests and threads coming and going under -l;
# descriptors and memory must stay flat (not in CI: it only waits)
soak: deps
	@$(MAKE) --no-print-directory kvm_stat vmm
	KVM_STAT="$(KVM_STAT)" BUILD="$(BUILD)" testsuite/soak.sh

bench: deps
	@$(MAKE) --no-print-directory kvm_stat vmm exit-selftest
	BUILD="$(BUILD)" testsuite/bench.sh

.PHONY: bench-tracepoint bench-tui
bench-tracepoint: $(KVM_STAT)
	@KVM_STAT=$(KVM_STAT) BUILD=$(BUILD) testsuite/bench-tracepoint.sh
# "tui_bytes_first_frame: N bytes" and friends
bench-tui: $(KVM_STAT)
	@KVM_STAT="$(KVM_STAT)" testsuite/bench-tui.sh

# Every feature, then batch+log on debugfs only, then the BusyBox delta
SIZE_DL := $(BUILD)/size-debugfs-log
size: $(BIN)
	@BUILD="$(BUILD)" CONFIG="$(CONFIG)" KVM_STAT=$(BIN) testsuite/size.sh
	@$(MAKE) --no-print-directory CONFIG=configs/debugfs-log.config \
		BUILD=$(SIZE_DL) BIN=$(SIZE_DL)/kvm_stat $(SIZE_DL)/kvm_stat >/dev/null
	@BUILD="$(SIZE_DL)" CONFIG=configs/debugfs-log.config \
		KVM_STAT=$(SIZE_DL)/kvm_stat NAME=debugfs_log_ testsuite/size.sh
	$(if $(filter arm64,$(ARCH)),,@$(MAKE) --no-print-directory size-busybox)

allyesconfig:
	cp configs/defconfig .config
minconfig:
	cp configs/minconfig .config

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kvm_stat
	install -D -m 0644 docs/kvm_stat.1 $(DESTDIR)$(PREFIX)/share/man/man1/kvm_stat.1

# Sources made from the others, committed (a build needs no generator),
# always regenerated when asked for, written only if their bytes change:
# the tables of kvm_stat_exits.c from the installed uapi headers (between
# its markers), Config.in from the //config: blocks of applet/*.c as
# BusyBox makes it (build.bats checks it is current).
.PHONY: exit-tables Config.in
exit-tables:
	@scripts/gen-exit-c.sh

Config.in:
	@scripts/gen-config-in.sh > $@.tmp || { rm -f $@.tmp; exit 1; }; \
	if cmp -s $@.tmp $@; then rm $@.tmp; echo "  GEN     $@ unchanged"; \
	else mv $@.tmp $@; echo "  GEN     $@ rewritten"; fi

clean: clean-vmm
	rm -rf $(BUILD)/*.o $(BUILD)/*.h $(MIN_BUILD) $(SIZE_DL) $(EXITS_DUMP) kvm_stat

# The subsystems with their own variables and tools (BusyBox trees, the
# QEMU host, the test VMM): they add targets, never prerequisites of test
# or clean, whose rules above list them all.
-include mk/*.mk
