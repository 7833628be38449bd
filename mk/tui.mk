# The interactive screen's figures.
#
#   make bench-tui   bytes sent per frame and per refresh (tmux needed):
#                    "tui_bytes_first_frame: N bytes" and friends

KVM_STAT ?= ./kvm_stat

tui_saved_goal := $(.DEFAULT_GOAL)

.PHONY: bench-tui
bench-tui: $(KVM_STAT)
	@KVM_STAT="$(KVM_STAT)" testsuite/bench-tui.sh

.DEFAULT_GOAL := $(tui_saved_goal)
