# Robustness checks: the parsers under libFuzzer, the suite under the
# sanitizers.
#
#   make fuzz        every harness of testsuite/fuzz/ (clang, libFuzzer,
#                    ASan, UBSan) for FUZZ_SECONDS (20) each; one line per
#                    target, then "N passed, N failed"
#   make test-asan   the bats suite on a gcc build with ASan and UBSan
#                    ($(BUILD)/asan, dynamic: ASan needs it), and on the
#                    minimal config's; any sanitizer report fails it
#
# Missing tools (clang, its fuzzer runtime) are installed when root.

BUILD ?= build
KVM_STAT ?= ./kvm_stat

.PHONY: fuzz deps-fuzz test-asan

# --- fuzz -------------------------------------------------------------------

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SECONDS ?= 20
FUZZ_CC ?= clang
FUZZ_TARGETS := $(sort $(basename $(notdir $(wildcard testsuite/fuzz/*.c))))
FUZZ_CFLAGS := -g -O1 -std=gnu99 -funsigned-char \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-Wno-string-plus-int -I$(FUZZ_DIR) -Icompat -Iapplet
# Every feature: each parser is in the build
FUZZ_CONFIG := configs/defconfig
FUZZ_LIB := $(FUZZ_DIR)/libapplet.a
FUZZ_LIB_OBJ := $(patsubst applet/%.c,$(FUZZ_DIR)/obj/%.o,$(wildcard applet/*.c)) \
	$(FUZZ_DIR)/obj/libbb.o $(FUZZ_DIR)/obj/ptr_to_globals.o

deps-fuzz:
	@testsuite/ensure-deps.sh fuzz

$(FUZZ_DIR)/autoconf.h: $(FUZZ_CONFIG) Config.in compat/mkconfig.sh | deps-fuzz
	@mkdir -p $(@D)
	compat/mkconfig.sh $(FUZZ_CONFIG) Config.in > $@

$(FUZZ_DIR)/usage.h: $(wildcard applet/*.c) compat/mkusage.sh
	@mkdir -p $(@D)
	compat/mkusage.sh $(wildcard applet/*.c) > $@

# Coverage for the fuzzer in the applet too; libbb's main() is renamed
# away (libFuzzer has its own)
$(FUZZ_DIR)/obj/%.o: applet/%.c $(wildcard applet/*.h) compat/libbb.h $(FUZZ_DIR)/autoconf.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/obj/%.o: compat/%.c compat/libbb.h $(FUZZ_DIR)/autoconf.h $(FUZZ_DIR)/usage.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Dmain=compat_main -c -o $@ $<

# An archive: a harness that #includes an applet file defines all that
# file's symbols, so its own member is never linked in twice
$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS)): $(FUZZ_DIR)/%: testsuite/fuzz/%.c \
		testsuite/fuzz/fuzz.h $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB)

fuzz: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
	@FUZZ_SECONDS=$(FUZZ_SECONDS) testsuite/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_TARGETS)

# --- test-asan --------------------------------------------------------------

ASAN_DIR := $(BUILD)/asan
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g
# -O1: ASan's advice (stack traces stay usable, runs stay fast);
# -funsigned-char is the applet's, as in BusyBox; -lm: glibc keeps llrint()
# there (musl has it in libc)
ASAN_MAKE = $(MAKE) --no-print-directory CC=gcc \
	CFLAGS="-O1 $(ASAN_FLAGS) $(WARNINGS) -funsigned-char" \
	LDFLAGS="$(ASAN_FLAGS) -lm"

# exits_dump and the VMM as the suite expects them: $(BUILD)'s
test-asan: deps vmm exit-selftest $(BUILD)/exits_dump
	@$(ASAN_MAKE) BUILD=$(ASAN_DIR) BIN=$(ASAN_DIR)/kvm_stat $(ASAN_DIR)/kvm_stat
	@$(ASAN_MAKE) CONFIG=configs/minconfig BUILD=$(ASAN_DIR)/min \
		BIN=$(ASAN_DIR)/min/kvm_stat $(ASAN_DIR)/min/kvm_stat
	@KVM_STAT="$(ASAN_DIR)/kvm_stat" MIN_KVM_STAT="$(ASAN_DIR)/min/kvm_stat" \
		BUILD="$(BUILD)" SAN_LOGS="$(ASAN_DIR)/logs" testsuite/run-asan.sh

