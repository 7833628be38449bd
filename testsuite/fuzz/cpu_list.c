/* vi: set sw=4 ts=4: */
/*
 * The online cpu list, "0-3,6,8-9\n" (queue_cpu_list).
 * Properties: no cpu above 65535, each queued once, ascending (so 65536
 * at most, whatever the text).
 */
#include "fuzz.h"
#include <malloc.h>
#include <sanitizer/asan_interface.h>

/*
 * queue_group() grows its array by one int per cpu, and ASan's realloc
 * always copies: "0-65535" alone took 15 s. Here the file's reallocs
 * double instead, the unused tail poisoned: ASan still reports any
 * access past the size asked for.
 */
static void *grow(void *p, size_t size)
{
	size_t cap = p ? malloc_usable_size(p) : 0;

	if (size > cap) {
		cap = size * 2;
		p = xrealloc(p, cap);
	}
	__asan_unpoison_memory_region(p, size);
	__asan_poison_memory_region((char *)p + size, cap - size);
	return p;
}
#define xrealloc grow
#include "kvm_stat_tracepoint.c"
#undef xrealloc

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tracepoint_state *tps;
	char *s;
	unsigned i;

	fuzz_init();
	if (!G.tps)
		G.tps = xzalloc(sizeof(*G.tps));
	tps = G.tps;
	s = fuzz_str(data, size, 4095);	/* add_online_cpus()'s buffer */
	queue_cpu_list(s);
	for (i = 0; i < tps->nqueued; i++) {
		fuzz_assert(tps->target[i] >= 0 && tps->target[i] <= 65535);
		fuzz_assert(i == 0 || tps->target[i] > tps->target[i - 1]);
	}
	free(tps->target);
	memset(tps, 0, sizeof(*tps));
	free(s);
	return 0;
}
