/* vi: set sw=4 ts=4: */
/*
 * A tracepoint's <tracefs>/events/kvm/NAME/id file, "103\n", to its id
 * (read_event_id).
 * Property: an id other than 0 needs a digit in the 15 bytes read.
 */
#include "fuzz.h"
#include "kvm_stat_tracepoint.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned id;
	size_t i, n = size < 15 ? size : 15;
	int digit = 0;

	fuzz_init();
	G.tracefs = (char *)fuzz_dir();
	fuzz_file("events/kvm/kvm_pio/id", data, size);
	id = read_event_id("kvm_pio");
	for (i = 0; i < n && data[i]; i++)
		digit |= data[i] >= '0' && data[i] <= '9';
	fuzz_assert(id == 0 || digit);
	return 0;
}
