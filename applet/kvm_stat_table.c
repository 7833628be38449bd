/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the stats table, key -> (value, delta), merged from the
 * providers as the reference's Stats.get() does: each provider's read
 * replaces the values of the keys it reports, keys it does not report
 * keep their last (value, delta). The providers fill it, the views read
 * it; it calls nobody.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_common.h"

/*
 * Linear search: called once per field per refresh, a few hundred keys
 * at most. A new entry's parent and shown name are worked out here,
 * once: "kvm_exit(HLT) kvm_exit" is the child kvm_exit(HLT) of kvm_exit.
 */
int stats_find(const char *key)
{
	struct stat_entry *e;
	unsigned i;
	char *space;

	for (i = 0; i < G.nstats; i++)
		if (strcmp(G.stats[i].key, key) == 0)
			return i;
	if ((G.nstats & 31) == 0)
		G.stats = xrealloc(G.stats, (G.nstats + 32) * sizeof(G.stats[0]));
	e = &G.stats[G.nstats++];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	space = strchrnul(e->key, ' ');
	e->name_len = space - e->key;
	if (*space)
		e->parent = space + 1;
	return i;
}

#if ENABLE_FEATURE_KVM_STAT_TUI && ENABLE_FEATURE_KVM_STAT_DEBUGFS
/* The TUI's by-guest view: one row per guest, keyed by its pid */
int stats_find_guest(int pid)
{
	int idx = stats_find(utoa(pid));

	G.stats[idx].pid = pid;
	return idx;
}
#endif

void stats_add(int idx, unsigned long long v)
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
		e->delta = (long long)(e->acc - e->value);	/* signed: may shrink */
		e->value = e->acc;
		e->acc = 0;
		e->touched = 0;
	}
}

#if ENABLE_FEATURE_KVM_STAT_TUI || ENABLE_FEATURE_KVM_STAT_TEXTFILE
/* The screen's 'r', 'f', 'p', 'g' keys, the textfile view: batch and log
 * never drop keys */
void stats_clear(void)
{
	while (G.nstats)
		free(G.stats[--G.nstats].key);
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

