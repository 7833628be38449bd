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
 * at most (-v: times the vCPUs). It starts where the last one ended:
 * the readers ask for the keys in the same order at every refresh, so
 * the next key is found at once. A new entry's parent and shown name are
 * worked out here, once: "kvm_exit(HLT) kvm_exit" is the child
 * kvm_exit(HLT) of kvm_exit. TID: a per-vCPU row's thread, else 0; the
 * vCPU's name is read when its first row comes, and kept for all its
 * rows: those of a vCPU that ended keep their name and last counts.
 */
static int find_entry(const char *key, int tid)
{
	struct stat_entry *e;
	unsigned n, i = G.find_hint;
	char *space, *vcpu = NULL;

	for (n = G.nstats; n; n--, i++) {
		if (i >= G.nstats)
			i = 0;
		if (G.stats[i].tid != tid)
			continue;
		if (strcmp(G.stats[i].key, key) == 0) {
			G.find_hint = i + 1;
			return i;
		}
		vcpu = G.stats[i].vcpu;	/* a row of the same vCPU */
	}
	i = G.nstats;
	if ((G.nstats & 31) == 0)
		G.stats = xrealloc(G.stats, (G.nstats + 32) * sizeof(G.stats[0]));
	e = &G.stats[G.nstats++];
	memset(e, 0, sizeof(*e));
	e->key = xstrdup(key);
	space = strchrnul(e->key, ' ');
	e->name_len = space - e->key;
	if (*space)
		e->parent = space + 1;
	e->tid = tid;
	if (ENABLE_FEATURE_KVM_STAT_VCPU && tid)
		e->vcpu = vcpu ? xstrdup(vcpu) : host_vcpu_name(G.pid, tid);
	return i;
}

int stats_find(const char *key)
{
	return find_entry(key, 0);
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
int stats_find_vcpu(const char *key, int tid)
{
	return find_entry(key, tid);
}
#endif

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
	while (G.nstats) {
		free(G.stats[--G.nstats].key);
		free(G.stats[G.nstats].vcpu);
	}
}
#endif

/* By key, then (per-vCPU rows) by thread */
static int cmp_key(const void *a, const void *b)
{
	const struct stat_entry *x = &G.stats[*(const unsigned *)a];
	const struct stat_entry *y = &G.stats[*(const unsigned *)b];
	int c = strcmp(x->key, y->key);

	return c ? c : x->tid - y->tid;
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

