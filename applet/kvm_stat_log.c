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
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_LOG) += kvm_stat_log.o

#include "libbb.h"
#include "kvm_stat.h"

#define BANNER_REPEAT 20

struct log_state {
	unsigned *order;	/* the keys of the first read, sorted */
	unsigned nkeys;
	int fd;
	smallint csv;
};

static int open_log(const char *name)
{
	int fd = open(name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0)
		bb_perror_msg_and_die("can't open '%s'", name);
	return fd;
}

static void write_log(struct log_state *ls, struct outbuf *out)
{
	if (!G.log_file) {
		out_write(ls->fd, out->buf, out->len);
	} else if (full_write(ls->fd, out->buf, out->len) != (ssize_t)out->len) {
		bb_perror_msg("write error on '%s'", G.log_file);
		quit_fast(EXIT_FAILURE);
	}
	out->len = 0;
}

static void key_name(struct outbuf *out, const char *fmt, const char *key)
{
	outbuf_printf(out, fmt, (int)strcspn(key, " "), key);
}

static void put_banner(struct log_state *ls, struct outbuf *out)
{
	unsigned i;

	if (ls->csv)
		outbuf_printf(out, "timestamp");
	for (i = 0; i < ls->nkeys; i++)
		key_name(out, ls->csv ? ",%.*s" : "%.*s ", G.stats[ls->order[i]].key);
	outbuf_printf(out, "\n");
	write_log(ls, out);
}

/* In CSV files the banner is the header line: only at the very top */
static void put_first_banner(struct log_state *ls, struct outbuf *out)
{
	if (ls->csv && G.log_file && lseek(ls->fd, 0, SEEK_END) != 0)
		return;
	put_banner(ls, out);
}

static int all_zero(struct log_state *ls)
{
	unsigned i;

	for (i = 0; i < ls->nkeys; i++)
		if (G.stats[ls->order[i]].delta != 0)
			return 0;
	return 1;
}

static void put_record(struct log_state *ls, struct outbuf *out)
{
	char stamp[32];
	time_t now = time(NULL);
	unsigned i;

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&now));
	outbuf_printf(out, "%s", stamp);
	for (i = 0; i < ls->nkeys; i++)
		outbuf_printf(out, ls->csv ? ",%lld" : " %9lld",
			G.stats[ls->order[i]].delta);
	outbuf_printf(out, "\n");
	write_log(ls, out);
}

/* logrotate moved the file away: write on in a new one, banner first */
static void reopen_log(struct log_state *ls, struct outbuf *out)
{
	G.hup_received = 0;
	close(ls->fd);
	ls->fd = open_log(G.log_file);
	put_first_banner(ls, out);
}

void log_run(void)
{
	struct log_state ls;
	struct outbuf out = { NULL, 0, 0 };
	unsigned long long next;
	unsigned records = 0;
	smallint banner_due = 0;

	ls.csv = !!(G.opts & OPT_c);
	ls.fd = G.log_file ? open_log(G.log_file) : STDOUT_FILENO;
	catch_signals();
	stats_update(0);
	ls.nkeys = G.nstats;
	ls.order = stats_order_by_key();
	put_first_banner(&ls, &out);
	next = monotonic_us();
	for (;;) {
		next += G.delay_ms * 1000ULL;
		while (wait_event(next, -1) < 0) {
			if (G.quit_signal)
				quit_on_signal();
			if (G.hup_received) {
				reopen_log(&ls, &out);
				records = 0;
				banner_due = 0;
			}
			G.winch_received = 0;
		}
		/* CSV files get no repeated banners: one header line only */
		if (banner_due && records % BANNER_REPEAT == 0
		 && !(ls.csv && G.log_file)) {
			put_banner(&ls, &out);
			banner_due = 0;
		}
		stats_update(0);
		if (!(G.opts & OPT_z) || !all_zero(&ls)) {
			put_record(&ls, &out);
			records++;
			banner_due = 1;
		}
	}
}
