# arm64: the static kvm_stat and the test VMM built for aarch64 on any
# Debian machine, and check-vm on an arm64 KVM host under QEMU.
#
#   make ARCH=arm64            build/arm64/kvm_stat (static, musl, -Os)
#   make CROSS_COMPILE=aarch64-linux-musl-    the same; ARCH follows
#   make vmm ARCH=arm64        build/arm64/tiny_vmm
#   make check-vm ARCH=arm64   the scenarios on an emulated arm64 KVM host
#   make size ARCH=arm64       the size figures, with the cross size/strip
#
# The compiler: $(CROSS_COMPILE)gcc when that is in PATH (a real
# aarch64-linux-musl toolchain), else Debian's aarch64-linux-gnu-gcc with
# a specs file for the arm64 musl packages, which testsuite/ensure-deps.sh
# sets up in $(ARM64_TOOLS). Tools that run on the build machine
# (exits_dump) keep the host's compiler, HOSTCC.
#
# Read twice: from the top of Makefile, before its defaults, because the
# build directory and the binary of an arm64 build are not the host's and
# Makefile makes its rules from them; then with mk/*.mk, after Makefile
# set CC, to replace it.

ifndef arm64_mk_read
arm64_mk_read := 1

ifneq ($(filter aarch64-%,$(notdir $(CROSS_COMPILE))),)
ARCH := arm64
endif
ifeq ($(ARCH),arm64)
BUILD ?= build/arm64
BIN ?= $(BUILD)/kvm_stat
KVM_STAT ?= $(BIN)
# Sub-makes with their own BUILD (make size, make test's minconfig) share it
ARM64_TOOLS ?= $(abspath $(BUILD))/toolchain
export ARM64_TOOLS
# testsuite/vm/run.sh boots the arm64 host
export VM_ARCH := arm64
endif

else

ifeq ($(ARCH),arm64)
ARM64_WRAPPER := $(ARM64_TOOLS)/bin/aarch64-linux-musl-
CROSS_COMPILE ?= aarch64-linux-musl-
ARM64_CROSS := $(if $(shell command -v $(CROSS_COMPILE)gcc 2>/dev/null),$(CROSS_COMPILE),$(ARM64_WRAPPER))

HOSTCC := $(CC)
CC := $(ARM64_CROSS)gcc
# The tiny code model: one ADR (+-1 MiB) where the default small model
# needs ADRP+ADD to reach a symbol, 1-1.4 KiB less applet code. The static
# binary is 140-160 KiB; were it ever past 1 MiB, the link fails with a
# relocation overflow, never a wrong address. (An applet built into a
# BusyBox gets BusyBox's flags, the small model.)
CFLAGS += -mcmodel=tiny
VMM_CC := $(CC)
# for testsuite/size.sh
export SIZE := $(ARM64_CROSS)size
export STRIP := $(ARM64_CROSS)strip

ifeq ($(ARM64_CROSS),$(ARM64_WRAPPER))
$(ARM64_WRAPPER)gcc:
	@testsuite/ensure-deps.sh arm64 $(ARM64_TOOLS)

# Everything $(CC) compiles waits for the wrapper
deps-build: $(ARM64_WRAPPER)gcc
$(BUILD)/ptr_to_globals.o $(BUILD)/tiny_vmm: | $(ARM64_WRAPPER)gcc
endif
endif

endif
