/* vi: set sw=4 ts=4: */
/*
 * The terminal's answer to the size probe, "ESC[24;80R" (probe_size),
 * read from stdin as from a terminal: the input goes through a pipe on
 * fd 0, with a well-formed reply after it so that the probe ends
 * without its 0.5 s wait.
 * Properties: the size is 0..9999 (no overflow; an absurd reply is no
 * reply); an input that is a reply alone gives its numbers.
 */
#include "fuzz.h"
#include "kvm_stat_term.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char end[] = "\033[1;1R";
	int fds[2], sz[3] = { 0, 0, 0 };

	fuzz_init();
	if (!term_ptr)
		term_ptr = xzalloc(sizeof(T));
	memset(term_ptr, 0, sizeof(T));
	if (size > 16384 || pipe(fds) != 0)	/* fits in the pipe */
		return 0;
	full_write(fds[1], data, size);
	full_write(fds[1], end, sizeof(end) - 1);
	close(fds[1]);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	probe_size(sz);
	fuzz_assert(sz[0] >= 0 && sz[0] <= 9999 && sz[1] >= 0 && sz[1] <= 9999);
	if (size == 8 && memcmp(data, "\033[24;80R", 8) == 0)
		fuzz_assert(sz[0] == 24 && sz[1] == 80);
	return 0;
}
