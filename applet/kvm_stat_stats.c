/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the stats table: key -> (value, delta), merged from the
 * providers as the reference's Stats.get() does: each provider's read
 * replaces the values of the keys it reports, keys it does not report
 * keep their last (value, delta). This is the only file that knows the
 * providers: the views and main go through it.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat.h"

/*
 * Linear search: called once per field per refresh, a few hundred keys
 * at most (-v: times the vCPUs). It starts where the last one ended:
 * the readers ask for the keys in the same order at every refresh, so
 * the next key is found at once. A new entry's parent and shown name are
 * worked out here, once: "kvm_exit(HLT) kvm_exit" is the child
 * kvm_exit(HLT) of kvm_exit.
 */
static int find_entry(const char *key, int tid)
{
	struct stat_entry *e;
	unsigned n, i = G.find_hint;
	char *space;

	for (n = G.nstats; n; n--, i++) {
		if (i >= G.nstats)
			i = 0;
		if (IF_FEATURE_KVM_STAT_VCPU(G.stats[i].tid == tid &&)
				strcmp(G.stats[i].key, key) == 0) {
			G.find_hint = i + 1;
			return i;
		}
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
	IF_FEATURE_KVM_STAT_VCPU(e->tid = tid;)
	IF_NOT_FEATURE_KVM_STAT_VCPU((void)tid;)
	return i;
}

int stats_find(const char *key)
{
	return find_entry(key, 0);
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
/*
 * The vCPU's name is read when its first row comes, and kept for all its
 * rows: those of a vCPU that ended keep their name and last counts
 */
int stats_find_vcpu(const char *key, int tid)
{
	unsigned i, n = G.nstats;
	int idx = find_entry(key, tid);
	char *name = NULL;

	if (idx == (int)n) {
		for (i = 0; i < n && !name; i++)
			if (G.stats[i].tid == tid)
				name = xstrdup(G.stats[i].vcpu);
		G.stats[idx].vcpu = name ? name : host_vcpu_name(G.pid, tid);
	}
	return idx;
}

const char *stats_no_vcpus(void)
{
	/* said by -v and by the screen's 'v' */
	if (!G.pid)
		return "Select a guest first (-p, -g, or the keys p, g)";
	if (!G.use_tracepoints)
		return "debugfs has no per-vCPU counters: use tracepoints (-t)";
	return NULL;
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

/* Which providers: -d, -t, or both; tracepoints by default (the
 * reference's rule), debugfs where tracefs is missing */
void stats_choose_sources(void)
{
	if (G.opts & OPT_d) {
		if (!ENABLE_FEATURE_KVM_STAT_DEBUGFS)
			bb_simple_error_msg_and_die("-d: debugfs support is not built in");
		G.use_debugfs = 1;
	}
	if ((G.opts & OPT_t) || !G.use_debugfs) {
		if (!ENABLE_FEATURE_KVM_STAT_TRACEPOINTS) {
			if (G.opts & OPT_t)
				bb_simple_error_msg_and_die("-t: tracepoint support is not built in");
			/* this build's only source is debugfs */
			G.use_debugfs = 1;
			return;
		}
		if (!G.tracefs) {
			if ((G.opts & OPT_t) || !ENABLE_FEATURE_KVM_STAT_DEBUGFS)
				bb_simple_error_msg_and_die("tracefs not found: "
					"enable CONFIG_TRACING and mount tracefs"
					IF_FEATURE_KVM_STAT_DEBUGFS(", or use -d"));
			bb_simple_error_msg("tracefs not found, "
				"falling back to debugfs statistics");
			G.use_debugfs = 1;
			return;
		}
		G.use_tracepoints = 1;
	}
}

/* Quitting: the tracepoint counters are closed in the background */
static void close_fast(void)
{
	tracepoint_close_fast();
}

void stats_setup(void)
{
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_setup();
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.use_tracepoints) {
		G.quit_hook = close_fast;
		tracepoint_setup();
	}
}

void stats_update(int by_guest)
{
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_read(by_guest);
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.use_tracepoints)
		tracepoint_read();
}

#if ENABLE_FEATURE_KVM_STAT_TUI || ENABLE_FEATURE_KVM_STAT_TEXTFILE
/* The screen's 'r', 'f', 'p', 'g' keys, the textfile view: batch and log
 * never drop keys */
void stats_clear(void)
{
	while (G.nstats) {
		free(G.stats[--G.nstats].key);
		IF_FEATURE_KVM_STAT_VCPU(free(G.stats[G.nstats].vcpu);)
	}
}
#endif

#if ENABLE_FEATURE_KVM_STAT_TEXTFILE
/* Debugfs adds nothing to the table: its all-guests rows of the set-up
 * are dropped (a tracepoint's total is kept by its provider) */
void stats_update_tracepoints(void)
{
	stats_clear();
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.use_tracepoints)
		tracepoint_read();
}

void stats_each_guest(guest_row_fn *row, void *ctx, int gauges)
{
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_read_guests(row, ctx, gauges);
}
#endif

#if ENABLE_FEATURE_KVM_STAT_TUI

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
	const struct stat_entry *x = &G.stats[*(const unsigned *)a];
	const struct stat_entry *y = &G.stats[*(const unsigned *)b];
	int r = strcmp(x->key, y->key);

	/* an event's per-vCPU rows after its sum, in the threads' order */
	IF_FEATURE_KVM_STAT_VCPU(if (!r) r = x->tid - y->tid;)
	return r;
}

/* Python's sorted() on the keys: byte order of the UTF-8 keys (per-vCPU
 * rows, -v: after their event) */
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
 * list format, cut at '(' as the reference does: the children of
 * tracepoints fold into their event, listed once.
 */
void stats_list_fields(void)
{
	struct outbuf out = { NULL, 0, 0 };
	unsigned *order;
	unsigned i;
	int len, prev_len = -1;
	const char *prev = "";

	G.have_filter = 0;	/* the regex "help" */
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_list_fields();
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.use_tracepoints)
		tracepoint_list_fields();
	order = stats_order_by_key();
	for (i = 0; i < G.nstats; i++) {
		const char *key = G.stats[order[i]].key;

		len = strcspn(key, "(");
		if (len == prev_len && strncmp(prev, key, len) == 0)
			continue;
		outbuf_printf(&out, "  %.*s\n", len, key);
		prev = key;
		prev_len = len;
	}
	if (G.nstats == 0)
		outbuf_printf(&out, "  \n");
	out_write(STDOUT_FILENO, out.buf, out.len);
	exit(EXIT_SUCCESS);
}
