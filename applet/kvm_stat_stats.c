/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the stats table: key -> (value, delta), merged from the
 * providers as the reference's Stats.get() does: each provider's read
 * replaces the values of the keys it reports, keys it does not report
 * keep their last (value, delta).
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat.h"

/*
 * Linear search: called once per field per refresh (providers cache
 * the index), a few hundred keys at most.
 */
int stats_find(const char *key)
{
	unsigned i;

	for (i = 0; i < G.nstats; i++)
		if (strcmp(G.stats[i].key, key) == 0)
			return i;
	if ((G.nstats & 31) == 0)
		G.stats = xrealloc(G.stats, (G.nstats + 32) * sizeof(G.stats[0]));
	G.stats[i] = (struct stat_entry){ .key = xstrdup(key) };
	G.nstats++;
	return i;
}

void stats_add(int idx, long long v)
{
	G.stats[idx].acc += v;
	G.stats[idx].touched = 1;
}

void stats_commit(void)
{
	struct stat_entry *e;

	for (e = G.stats; e < G.stats + G.nstats; e++) {
		if (!e->touched)
			continue;
		e->delta = e->acc - e->value;
		e->value = e->acc;
		e->acc = 0;
		e->touched = 0;
	}
}

void stats_update(int by_guest)
{
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_read(by_guest);
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.use_tracepoints)
		tracepoint_read();
}

#if ENABLE_FEATURE_KVM_STAT_TUI
/* The screen's 'r', 'f', 'p', 'g' keys: batch and log never drop keys */
void stats_clear(void)
{
	while (G.nstats)
		free(G.stats[--G.nstats].key);
	G.stats_gen++;
}

void stats_reset(void)
{
	stats_clear();
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_reset();
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.use_tracepoints)
		tracepoint_reset();
}

void stats_refilter(void)
{
	stats_clear();
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_refilter();
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.use_tracepoints)
		tracepoint_refilter();
}
#endif

static int cmp_key(const void *a, const void *b)
{
	return strcmp(G.stats[*(const unsigned *)a].key,
			G.stats[*(const unsigned *)b].key);
}

/* Python's sorted() on the keys: byte order of the UTF-8 keys */
unsigned *stats_order_by_key(void)
{
	unsigned *order = xmalloc((G.nstats + 1) * sizeof(order[0]));
	unsigned i;

	for (i = 0; i < G.nstats; i++)
		order[i] = i;
	qsort(order, G.nstats, sizeof(order[0]), cmp_key);
	return order;
}

/*
 * -f help: every field the sources offer, in the reference's "  name"
 * list format. Tracepoint children fold into their event name
 * ("kvm_exit(HLT) kvm_exit" -> "kvm_exit"), listed once.
 */
void stats_list_fields(void)
{
	struct outbuf out = { NULL, 0, 0 };
	unsigned *order;
	unsigned i;
	const char *prev = NULL;

	G.have_filter = 0;	/* the regex "help" */
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_list_fields();
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.use_tracepoints) {
		tracepoint_list_fields();
		for (i = 0; i < G.nstats; i++)
			*strchrnul(G.stats[i].key, '(') = '\0';
	}
	order = stats_order_by_key();
	for (i = 0; i < G.nstats; i++) {
		const char *key = G.stats[order[i]].key;

		/* only folded children repeat */
		if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS
		 && prev && strcmp(prev, key) == 0)
			continue;
		outbuf_printf(&out, "  %s\n", key);
		prev = key;
	}
	if (G.nstats == 0)
		outbuf_printf(&out, "  \n");
	out_write(STDOUT_FILENO, out.buf, out.len);
	exit(EXIT_SUCCESS);
}
