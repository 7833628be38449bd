/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: -l / -L, log mode (like vmstat). A banner with the field
 * names, then every interval a record of the deltas, the banner again
 * every 20 records. -c: CSV. -z: records with all deltas zero are
 * skipped (and do not count toward the 20). Formats byte for byte as
 * the reference:
 *   plain: "exits io_exits \n" / "2024-05-01 12:00:00      3006      2000"
 *   CSV:   "timestamp,exits,io_exits" / "2024-05-01 12:00:00,3006,2000"
 * -L appends to a file; in CSV mode the banner is written only into an
 * empty file. SIGHUP reopens the file (logrotate) and writes a banner.
 * Each record is one write(), done before the next sleep: a SIGTERM
 * loses nothing.
 *
 * -v: a record is a line for the guest, then one per vCPU that counted
 * anything (threads come and go: a new one gets its line, one that ended
 * keeps its line of zeros), in the order the threads started. The vCPU's
 * name is a column: the last in plain lines (names may hold blanks),
 * "vcpu" after the timestamp in CSV; the guest's line has "all":
 *   plain: "kvm_pio kvm_exit vcpu " / "2024-05-01 12:00:00      2000      3006 CPU 1/KVM"
 *   CSV:   "timestamp,vcpu,kvm_pio,kvm_exit" / "2024-05-01 12:00:00,CPU 1/KVM,2000,3006"
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_LOG) += kvm_stat_log.o

#include "libbb.h"
#include "kvm_stat_common.h"

#define BANNER_REPEAT 20

struct log_state {
	struct outbuf out;	/* the record being built */
	unsigned *order;	/* the columns: the keys of the first read,
				 * sorted (-v: not the vCPUs' rows) */
	unsigned nkeys;
	unsigned records;	/* since the last banner */
	int fd;
	smallint csv;
	smallint header_only;	/* -L -c: the banner is the file's header */
};

/* Writes the lines built: one write() per banner or record */
static void write_lines(struct log_state *ls)
{
	record_write(ls->fd, ls->out.buf, ls->out.len);
	ls->out.len = 0;
}

/* The field names; with -L -c only at the very top of the file (a pipe,
 * where the end cannot be sought, counts as empty) */
static void put_banner(struct log_state *ls)
{
	unsigned i;

	ls->records = 0;
	if (ls->header_only && lseek(ls->fd, 0, SEEK_END) > 0)
		return;
	if (ls->csv)
		outbuf_printf(&ls->out, opt_vcpus() ? "timestamp,vcpu" : "timestamp");
	for (i = 0; i < ls->nkeys; i++) {
		const struct stat_entry *e = &G.stats[ls->order[i]];

		outbuf_printf(&ls->out, ls->csv ? ",%.*s" : "%.*s ",
			e->name_len, e->key);
	}
	outbuf_printf(&ls->out, opt_vcpus() && !ls->csv ? "vcpu \n" : "\n");
	write_lines(ls);
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
/* -v: the vCPU after *TID (0: the first) that counted anything, by
 * thread id, as the threads started; its name, or NULL when none is left */
static const char *next_vcpu(int *tid)
{
	const struct stat_entry *e, *next = NULL;

	for (e = G.stats; e < G.stats + G.nstats; e++)
		if (e->tid > *tid && e->value && (!next || e->tid < next->tid))
			next = e;
	if (!next)
		return NULL;
	*tid = next->tid;
	return next->vcpu;
}
#else
#define next_vcpu(tid)	NULL
#endif

/*
 * A line of the record, with its newline: the time, each column's delta;
 * -v: of vCPU TID (its row of each column is made if it has none yet: a
 * row of zeros, shown nowhere), 0 for the guest's sums, and VCPU, its
 * name, in a column.
 * Returns the deltas or'ed.
 */
static long long put_line(struct log_state *ls, const char *stamp,
		int tid, const char *vcpu)
{
	unsigned i, idx;
	long long delta, changed = 0;

	outbuf_printf(&ls->out, "%s", stamp);
	if (vcpu && ls->csv)
		outbuf_printf(&ls->out, ",%s", vcpu);
	for (i = 0; i < ls->nkeys; i++) {
		idx = ls->order[i];
		if (ENABLE_FEATURE_KVM_STAT_VCPU && tid)
			idx = stats_find_vcpu(G.stats[idx].key, tid);
		delta = G.stats[idx].delta;
		changed |= delta;
		outbuf_printf(&ls->out, ls->csv ? ",%lld" : " %9lld", delta);
	}
	/* plain: the name last, at the end of the line */
	outbuf_printf(&ls->out, vcpu && !ls->csv ? " %s\n" : "\n", vcpu);
	return changed;
}

/* The guest's line; -v: then each vCPU's, in the same write(). -z: a
 * record with all deltas of the guest zero is dropped. */
static void put_record(struct log_state *ls)
{
	char stamp[TIMESTAMP_SIZE];
	const char *vcpu = opt_vcpus() ? "all" : NULL;
	long long changed;
	int tid = 0;

	format_now(stamp);
	changed = put_line(ls, stamp, 0, vcpu);
	while (vcpu && (vcpu = next_vcpu(&tid)) != NULL)
		put_line(ls, stamp, tid, vcpu);
	if (!changed && (G.opts & OPT_z)) {
		ls->out.len = 0;
		return;
	}
	write_lines(ls);
	ls->records++;
}

void log_run(void)
{
	struct log_state ls;
	unsigned long long next;
	unsigned i;

	memset(&ls, 0, sizeof(ls));
	ls.csv = !!(G.opts & OPT_c);
	ls.header_only = ls.csv && G.log_file;
	ls.fd = G.log_file ? log_file_open() : STDOUT_FILENO;
	catch_signals();
	stats_update(0);
	ls.order = stats_order_by_key();
	/* the columns: the guest's fields (-v: not its vCPUs' rows) */
	if (!ENABLE_FEATURE_KVM_STAT_VCPU)
		ls.nkeys = G.nstats;
	else for (i = 0; i < G.nstats; i++)
		if (!G.stats[ls.order[i]].tid)
			ls.order[ls.nkeys++] = ls.order[i];
	put_banner(&ls);
	next = monotonic_us();
	for (;;) {
		if (wait_tick(&next, G.delay_ms * 1000)) {
			/* logrotate moved the file away: on in a new one */
			close(ls.fd);
			ls.fd = log_file_open();
			put_banner(&ls);
		}
		if (ls.records == BANNER_REPEAT && !ls.header_only)
			put_banner(&ls);
		stats_update(0);
		put_record(&ls);
	}
}
