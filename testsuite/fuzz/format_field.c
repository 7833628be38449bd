/* vi: set sw=4 ts=4: */
/*
 * A tracepoint's <tracefs>/events/kvm/NAME/format file to the offset and
 * size of one field (event_field, which places the BPF programs' reads):
 *	field:unsigned int exit_reason;	offset:8;	size:4;	signed:0;
 * Properties: a field is found only where a program may read it as a
 * u32: 4 bytes, aligned, from 8 to 2047; and the input holds its name.
 */
#include "fuzz.h"
#include "kvm_stat_tracepoint.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned offset = ~0u, size_of = ~0u;

	fuzz_init();
	G.tracefs = (char *)fuzz_dir();
	fuzz_file("events/kvm/kvm_exit/format", data, size);
	if (event_field("kvm_exit", "exit_reason", &offset, &size_of) == 0) {
		fuzz_assert(size_of == 4);
		/* offset < 2048 first: a huge offset + size wraps */
		fuzz_assert(offset % size_of == 0 && offset >= 8
			&& offset < 2048 && offset + size_of <= 2048);
		fuzz_assert(memmem(data, size, "exit_reason", 11) != NULL);
	}
	return 0;
}
