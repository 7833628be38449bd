/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: -O FILE, --textfile FILE: the totals in Prometheus' text
 * exposition format, for node_exporter's textfile collector, rewritten
 * every -s seconds (once with -1, after one second as batch mode):
 *
 *   # HELP kvm_stat_tracepoint_events_total ...
 *   # TYPE kvm_stat_tracepoint_events_total counter
 *   kvm_stat_tracepoint_events_total{event="kvm_exit"} 1234
 *   kvm_stat_tracepoint_events_total{event="kvm_exit",reason="HLT"} 56
 *   kvm_stat_debugfs_total{field="exits",guest="web01",pid="4242"} 789
 *   kvm_stat_debugfs{field="blocking",guest="web01",pid="4242"} 1
 *
 * Tracepoints are counted for all guests together (no guest labels),
 * from kvm_stat's start; debugfs counters per guest, as the kernel has
 * them. A family's samples follow its HELP and TYPE, families are not
 * interleaved, no timestamps (the collector refuses them).
 *
 * The file is replaced whole: FILE.tmp in the same directory, written,
 * fsync'ed, renamed over FILE, so that a reader never sees half of it.
 * A failed write (disk full) removes FILE.tmp, leaves FILE as it was,
 * and ends us with status 1.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
//config:config FEATURE_KVM_STAT_TEXTFILE
//config:	bool "Prometheus textfile output (-O FILE)"
//config:	default y
//config:	depends on KVM_STAT
//config:	help
//config:	Write the totals every interval to a file in the Prometheus
//config:	text format, replaced atomically, for node_exporter's
//config:	textfile collector: tracepoints for all guests, debugfs
//config:	counters per guest.

//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_TEXTFILE) += kvm_stat_textfile.o

#include "libbb.h"
#include "kvm_stat_common.h"

/* The families, in the order written; the first two are counters */
enum { FAM_TRACEPOINT, FAM_DEBUGFS, FAM_GAUGE, NFAM };

static const char *const fam_name[NFAM] = {
	"kvm_stat_tracepoint_events_total",
	"kvm_stat_debugfs_total",
	"kvm_stat_debugfs",
};
static const char *const fam_help[NFAM] = {
	"KVM tracepoint hits, all guests",
	"KVM debugfs counters per guest",
	"KVM debugfs values per guest",
};

struct textfile {
	struct outbuf out[NFAM];	/* each family's, written in the end */
	char *guest;	/* the name of PID, escaped */
	int pid;
};

/* FAM's buffer, begun with its HELP and TYPE: a family without samples
 * is not written at all */
static struct outbuf *family(struct textfile *tf, int fam)
{
	struct outbuf *o = &tf->out[fam];

	if (!o->len)
		outbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n",
			fam_name[fam], fam_help[fam], fam_name[fam],
			fam == FAM_GAUGE ? "gauge" : "counter");
	return o;
}

/* A label value as the format wants it: \\, \" and \n escaped */
static char *escape(const char *s)
{
	char *e = xmalloc(strlen(s) * 2 + 1), *d = e;

	for (;; s++) {
		char c = *s;

		if (c == '\\' || c == '"' || c == '\n') {
			*d++ = '\\';
			if (c == '\n')
				c = 'n';
		}
		*d++ = c;
		if (!c)
			return e;
	}
}

static void put_guest_row(void *ctx, int pid, const char *field,
		unsigned long long value, int gauge)
{
	struct textfile *tf = ctx;
	int fam = FAM_DEBUGFS + gauge;

	if (pid != tf->pid) {	/* a VM's rows come together */
		char *name = host_guest_name(pid);

		free(tf->guest);
		tf->guest = escape(name);
		free(name);
		tf->pid = pid;
	}
	outbuf_printf(family(tf, fam), "%s{field=\"%s\",guest=\"%s\",pid=\"%d\"} %llu\n",
		fam_name[fam], field, tf->guest, pid, value);
}

/* "kvm_exit", and its child "kvm_exit(HLT) kvm_exit" (PARENT points at
 * its second word) with the reason inside the parentheses. In the
 * table's order: the provider's, each event followed by its children. */
static void put_tracepoints(struct textfile *tf)
{
	const struct stat_entry *e;
	const char *fam = fam_name[FAM_TRACEPOINT];

	for (e = G.stats; e < G.stats + G.nstats; e++) {
		struct outbuf *o = family(tf, FAM_TRACEPOINT);
		int plen;

		if (!e->parent) {
			outbuf_printf(o, "%s{event=\"%.*s\"} %llu\n",
				fam, e->name_len, e->key, e->value);
			continue;
		}
		plen = strlen(e->parent);
		outbuf_printf(o, "%s{event=\"%s\",reason=\"%.*s\"} %llu\n",
			fam, e->parent, e->name_len - plen - 2, e->key + plen + 1,
			e->value);
	}
}

static void put_file(const struct outbuf *o)
{
	char *tmp;
	int fd;

	if (LONE_DASH(G.textfile)) {
		out_write(STDOUT_FILENO, o->buf, o->len);
		return;
	}
	tmp = xasprintf("%s.tmp", G.textfile);
	fd = xopen(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
	if (full_write(fd, o->buf, o->len) != (ssize_t)o->len
	 || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, G.textfile) != 0
	) {
		bb_perror_msg("can't write '%s'", tmp);
		unlink(tmp);
		quit_fast(EXIT_FAILURE);
	}
	free(tmp);
}

/* The families in their order, each whole: the guests' rows come mixed */
static void write_all(struct textfile *tf)
{
	struct outbuf *o = tf->out;
	int fam;

	tf->pid = 0;	/* pids are reused: names are looked up anew */
	o[FAM_TRACEPOINT].len = o[FAM_DEBUGFS].len = o[FAM_GAUGE].len = 0;
	/* the tracepoints' rows anew, in their provider's order; debugfs's
	 * of the set-up go */
	stats_clear();
	stats_update(0);
	put_tracepoints(tf);
	/* the rest after the first (a buffer never used has no memory) */
	for (fam = FAM_TRACEPOINT + 1; fam < NFAM; fam++)
		if (o[fam].len)
			outbuf_printf(o, "%.*s", (int)o[fam].len, o[fam].buf);
	put_file(o);
}

void textfile_run(void)
{
	struct textfile tf;
	unsigned long long next = monotonic_us();

	memset(&tf, 0, sizeof(tf));
	stats_guest_rows(put_guest_row, &tf);
	catch_signals();
	if (G.opts & OPT_1)	/* one file, after batch's second */
		wait_tick(&next, 1000000);
	for (;;) {
		write_all(&tf);
		if (G.opts & OPT_1)
			quit_fast(EXIT_SUCCESS);
		wait_tick(&next, G.delay_ms * 1000);	/* SIGHUP: no -L file to reopen */
	}
}
