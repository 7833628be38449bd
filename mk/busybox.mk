# kvm_stat inside real BusyBox trees (Debian's busybox 1.35 and 1.37
# source packages, fetched with a private apt setup under $(BUILD)/busybox).
#
#   make busybox-check   build it with every feature and with the features
#                        off, run the bats suite on "busybox kvm_stat"
#   make size-busybox    the size enabling kvm_stat adds to BusyBox
#   make busybox-clean   drop the BusyBox builds (keeps the downloads)
#
# BB_SUITES, BB_VARIANTS, BB_BUILD_ONLY and BB_CC select what is built (see
# testsuite/busybox/check.sh); docs/busybox.md explains the drop-in.

BB_DIR = $(BUILD)/busybox
BB_ENV = BBDIR="$(BB_DIR)" $(if $(BB_SUITES),SUITES="$(BB_SUITES)") \
	$(if $(BB_VARIANTS),VARIANTS="$(BB_VARIANTS)") $(if $(BB_CC),BB_CC="$(BB_CC)") \
	$(if $(BB_BUILD_ONLY),BUILD_ONLY="$(BB_BUILD_ONLY)")

.PHONY: busybox-check size-busybox busybox-clean

busybox-check: deps
	@$(MAKE) --no-print-directory vmm
	@$(BB_ENV) testsuite/busybox/check.sh

size-busybox:
	@$(BB_ENV) testsuite/busybox/size.sh

busybox-clean:
	rm -rf $(BB_DIR)/out $(BB_DIR)/tree
