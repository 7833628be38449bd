/* vi: set sw=4 ts=4: */
/*
 * A process's cmdline (NUL-separated arguments) to its guest name:
 * "-name NAME" or "-name guest=NAME,debug-threads=on" with ",," for a
 * comma (host_guest_name, name_from_option), read through G.root.
 * Properties: the name is no longer than the cmdline; with a plain
 * name argument and no ',' or '=' in it, the name is that argument.
 */
#include "fuzz.h"
#include "kvm_stat_host.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name;

	fuzz_init();
	G.root = fuzz_dir();
	fuzz_file("proc/1/cmdline", data, size);
	name = host_guest_name(1);
	fuzz_assert(strlen(name) <= size);
	if (size > 7 && memcmp(data, "x\0-name\0", 8) == 0
	 && !memchr(data + 8, ',', size - 8) && !memchr(data + 8, '=', size - 8)
	) {
		char *arg = fuzz_str(data + 8, size - 8, size);

		fuzz_assert(strcmp(name, arg) == 0);
		free(arg);
	}
	free(name);
	return 0;
}
