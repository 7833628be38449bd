# 6. the TUI on the serial console, TERM=vt100 and TERM=linux, with the
# console reporting 0x0 from TIOCGWINSZ: it draws, refreshes, quits on 'q'
# and leaves the terminal as it found it. The keys come from the host
# (@@ KEYS), typed on the serial line as a user would; the host also checks
# what was drawn between the @@ TUI-OUT markers.
. /vm/lib.sh
need_tools

# Until the TUI exists, kvm_stat without -1/-l says so and exits at once
tui_missing() {
	timeout 5 kvm_stat -d </dev/null >/tmp/probe 2>&1
	rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] &&
		grep -Eiq 'not built' /tmp/probe
}
if tui_missing; then
	show /tmp/probe
	skip_scenario "TUI not built yet: $(head -n 1 /tmp/probe)"
fi

vmm_start tui -r 50 -t 30 -name guest=tui
for term in vt100 linux; do
	say "console size (rows cols): $(stty size </dev/console)"
	before=$(stty -g </dev/console)
	echo "@@ KEYS 4 q"
	echo "@@ TUI-OUT $term BEGIN"
	TERM=$term timeout 20 kvm_stat -d -s 1 </dev/console >/dev/console 2>/tmp/tui.err
	rc=$?
	echo
	echo "@@ TUI-OUT $term END"
	show /tmp/tui.err
	expect_eq "TERM=$term: quits on q with status" 0 "$rc"
	expect_eq "TERM=$term: terminal restored" "$before" "$(stty -g </dev/console)"
done
finish
