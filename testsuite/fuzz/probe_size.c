/* vi: set sw=4 ts=4: */
/*
 * The terminal's answer to the size probe, "ESC[24;80R" (probe_size),
 * read from stdin as from a terminal: the input goes through a pipe on
 * fd 0, with a well-formed reply after it so that the probe ends
 * without its 0.5 s wait.
 * Properties: the size is bounded (no overflow; set_size() clamps it to
 * TERM_SIZE_MAX); an input that is a reply alone gives its numbers.
 */
#include "fuzz.h"
#include "kvm_stat_term.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char end[] = "\033[1;1R";
	int fds[2], sz[3] = { 0, 0, 0 };

	fuzz_init();
	if (!G.term)
		G.term = xzalloc(sizeof(*G.term));
	memset(G.term, 0, sizeof(*G.term));
	if (size > 16384 || pipe(fds) != 0)	/* fits in the pipe */
		return 0;
	full_write(fds[1], data, size);
	full_write(fds[1], end, sizeof(end) - 1);
	close(fds[1]);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	probe_size(sz);
	/* digits stop counting past TERM_SIZE_MAX: no overflow */
	fuzz_assert(sz[0] >= 0 && sz[0] <= TERM_SIZE_MAX * 10 + 9
		&& sz[1] >= 0 && sz[1] <= TERM_SIZE_MAX * 10 + 9);
	if (size == 8 && memcmp(data, "\033[24;80R", 8) == 0)
		fuzz_assert(sz[0] == 24 && sz[1] == 80);
	return 0;
}
