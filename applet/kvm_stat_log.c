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
	unsigned *order;	/* the keys of the first read, sorted */
	unsigned nkeys;
	unsigned records;	/* since the last banner */
	int fd;
	smallint csv;
	smallint header_only;	/* -L -c: the banner is the file's header */
};

/* "WHAT 'FILE': strerror", FILE's bytes made printable, then the exit */
static void log_error(const char *what) NORETURN;
static void log_error(const char *what)
{
	char *name = printable_dup(G.log_file);

	bb_perror_msg("%s '%s'", what, name);
	free(name);	/* nothing left for LeakSanitizer to report */
	quit_fast(EXIT_FAILURE);
}

/* Appends; creates with 0666 (less umask) as the reference */
static int open_log(void)
{
	int fd = open(G.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0)
		log_error("can't open");
	return fd;
}

/* Ends the line and writes it: one write() per line */
static void write_line(struct log_state *ls)
{
	struct outbuf *out = &ls->out;

	outbuf_printf(out, "\n");
	if (!G.log_file) {
		out_write(ls->fd, out->buf, out->len);
	} else {
		/* a full disk: the file keeps whole records only */
		off_t end = lseek(ls->fd, 0, SEEK_END);

		if (write_or_signal(ls->fd, out->buf, out->len) != (ssize_t)out->len) {
			int err = errno;

			if (end >= 0 && ftruncate(ls->fd, end) != 0) {
				/* not a regular file: nothing to take back */
			}
			if (G.quit_signal)
				quit_on_signal();
			errno = err;
			log_error("write error on");
		}
	}
	out->len = 0;
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
	if (opt_vcpus() && !ls->csv)
		outbuf_printf(&ls->out, "vcpu ");
	write_line(ls);
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
#endif

/*
 * A line of the record: the time, each column's delta; -v: of vCPU TID
 * (its row of each column is made if it has none yet: a row of zeros,
 * shown nowhere), 0 for the guest's sums, and VCPU, its name, in a column.
 * Returns the deltas or'ed.
 */
static long long put_line(struct log_state *ls, const struct tm *tm,
		int tid, const char *vcpu)
{
	unsigned i, idx;
	long long delta, changed = 0;

	/* strftime's "%Y-%m-%d %H:%M:%S", without its ~4 KiB of libc */
	outbuf_printf(&ls->out, "%d-%02d-%02d %02d:%02d:%02d",
		tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
		tm->tm_hour, tm->tm_min, tm->tm_sec);
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
	if (vcpu && !ls->csv)
		outbuf_printf(&ls->out, " %s", vcpu);
	return changed;
}

/* -z: a record with all deltas of the guest zero is dropped */
static void put_record(struct log_state *ls)
{
	time_t now = time(NULL);
	struct tm tm;
	long long changed;
	IF_FEATURE_KVM_STAT_VCPU(const char *vcpu;)
	IF_FEATURE_KVM_STAT_VCPU(int tid = 0;)

	localtime_r(&now, &tm);
	changed = put_line(ls, &tm, 0, opt_vcpus() ? "all" : NULL);
	IF_FEATURE_KVM_STAT_VCPU(while (G.vcpus && (vcpu = next_vcpu(&tid))) {
		outbuf_printf(&ls->out, "\n");
		put_line(ls, &tm, tid, vcpu);
	})
	if (!changed && (G.opts & OPT_z)) {
		ls->out.len = 0;
		return;
	}
	write_line(ls);
	ls->records++;
}

void log_run(void)
{
	struct log_state ls;
	unsigned long long next;
	IF_FEATURE_KVM_STAT_VCPU(unsigned i;)

	memset(&ls, 0, sizeof(ls));
	ls.csv = !!(G.opts & OPT_c);
	ls.header_only = ls.csv && G.log_file;
	ls.fd = G.log_file ? open_log() : STDOUT_FILENO;
	catch_signals();
	stats_update(0);
	ls.order = stats_order_by_key();
#if ENABLE_FEATURE_KVM_STAT_VCPU
	/* the columns: the guest's fields (-v: not its vCPUs' rows) */
	for (i = 0; i < G.nstats; i++)
		if (!G.stats[ls.order[i]].tid)
			ls.order[ls.nkeys++] = ls.order[i];
#else
	ls.nkeys = G.nstats;
#endif
	put_banner(&ls);
	next = monotonic_us();
	for (;;) {
		next += G.delay_ms * 1000ULL;
		while (wait_event(next, -1) == WAIT_SIGNAL) {
			if (G.quit_signal)
				quit_on_signal();
			/* logrotate moved the file away: on in a new one */
			if (G.hup_received) {
				G.hup_received = 0;
				close(ls.fd);
				ls.fd = open_log();
				put_banner(&ls);
			}
			G.winch_received = 0;
		}
		/* late by more than an interval (we were stopped, or a write
		 * waited): one record now, then the rhythm again from here, as
		 * vmstat does, not a burst of records to catch up */
		if (monotonic_us() - next > G.delay_ms * 1000ULL)
			next = monotonic_us();
		if (ls.records == BANNER_REPEAT && !ls.header_only)
			put_banner(&ls);
		stats_update(0);
		put_record(&ls);
	}
}
