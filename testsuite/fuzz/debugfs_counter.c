/* vi: set sw=4 ts=4: */
/*
 * A debugfs counter file, "6000\n", to its value (read_counter). The
 * text-to-value step is inline in the read (read, strtoull, the check of
 * what follows), so the whole read is fuzzed through a file.
 * Property: a value other than 0 comes only from a whole unsigned number
 * in the bytes read: blanks, a '+', digits, blanks.
 */
#include "fuzz.h"
#include "kvm_stat_debugfs.c"

static int whole_number(const uint8_t *s, size_t n)
{
	size_t i = 0, digits;

	while (i < n && (s[i] == ' ' || (s[i] >= 9 && s[i] <= 13)))
		i++;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	for (digits = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	while (i < n && (s[i] == ' ' || (s[i] >= 9 && s[i] <= 13)))
		i++;
	return digits && (i == n || s[i] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int dirfd = -1;
	struct counter c = { .name = (char *)"exits" };
	unsigned long long v;

	fuzz_init();
	if (dirfd < 0) {
		G.dfs = xzalloc(sizeof(*G.dfs));
		dirfd = open(fuzz_dir(), O_PATH | O_DIRECTORY);
	}
	fuzz_file("exits", data, size);
	read_counter(dirfd, &c, &v);
	/* read_counter reads 31 bytes at most */
	fuzz_assert(v == 0 || whole_number(data, size < 31 ? size : 31));
	return 0;
}
