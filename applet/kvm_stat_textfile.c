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
 * The file is replaced whole: FILE.tmp in the same directory, made anew
 * (O_EXCL: never through a link that is there), written, fsync'ed,
 * renamed over FILE, so that a reader never sees half of it.
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
	char *guest;	/* the name of PID, as a label value */
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

/*
 * The length of the UTF-8 character at S, or 0 if none starts there.
 * Unicode's table 3-7 (well-formed UTF-8) by the first two bytes, which
 * rules out the overlong forms, the surrogates and what is past U+10FFFF:
 *	C2..DF 80..BF					2 bytes
 *	E0 A0..BF, E1..EC 80..BF, ED 80..9F, EE..EF 80..BF	3 bytes
 *	F0 90..BF, F1..F3 80..BF, F4 80..8F		4 bytes
 * and every byte after the first in 80..BF.
 */
static int utf8_char_len(const unsigned char *s)
{
	unsigned two = s[0] << 8 | s[1], len, i;

	if (two < 0x8000)
		return 1;
	len = two < 0xc280 ? 0 : two < 0xe000 ? 2 : two < 0xe0a0 ? 0
		: two - 0xeda0 < 0x20 ? 0 : two < 0xf000 ? 3
		: two < 0xf090 ? 0 : two < 0xf490 ? 4 : 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)	/* the NUL too */
			return 0;
	return len;
}

/*
 * LEN bytes of S as a label value: \\, \" and \n escaped, and each byte
 * that is no part of a UTF-8 character written as U+FFFD. The collector
 * refuses a whole file for one label value that is not UTF-8
 * ("invalid label value"): one guest named in Latin-1 would take every
 * series of the host with it.
 */
static char *label_value(const char *s, int len)
{
	char *e = xmalloc(len * 3 + 1), *d = e;
	const char *end = s + len;
	int n;

	while (s < end) {
		n = utf8_char_len((const unsigned char *)s);
		if (n == 0 || n > end - s) {	/* one byte, replaced */
			d = stpcpy(d, "\xef\xbf\xbd");
			n = 1;
		} else if (*s == '\\' || *s == '"' || *s == '\n') {
			*d++ = '\\';
			*d++ = *s == '\n' ? 'n' : *s;
		} else {
			memcpy(d, s, n);
			d += n;
		}
		s += n;
	}
	*d = '\0';
	return e;
}

static void put_guest_row(void *ctx, int pid, const char *field,
		unsigned long long value, int gauge)
{
	struct textfile *tf = ctx;
	int fam = FAM_DEBUGFS + gauge;
	char *label = label_value(field, strlen(field));

	if (pid != tf->pid) {	/* a VM's rows come together */
		char *name = host_guest_name(pid);

		free(tf->guest);
		tf->guest = label_value(name, strlen(name));
		free(name);
		tf->pid = pid;
	}
	outbuf_printf(family(tf, fam), "%s{field=\"%s\",guest=\"%s\",pid=\"%d\"} %llu\n",
		fam_name[fam], label, tf->guest, pid, value);
	free(label);
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
		int plen = e->parent ? (int)strlen(e->parent) : e->name_len;
		char *event = label_value(e->parent ? e->parent : e->key, plen);

		outbuf_printf(o, "%s{event=\"%s\"", fam, event);
		free(event);
		if (e->parent) {	/* inside the child's parentheses */
			char *reason = label_value(e->key + plen + 1,
				e->name_len - plen - 2);

			outbuf_printf(o, ",reason=\"%s\"", reason);
			free(reason);
		}
		outbuf_printf(o, "} %llu\n", e->value);
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
	/* a new file, not one that is there: a FILE.tmp planted as a
	 * symlink would have us write where it points, as root */
	unlink(tmp);
	fd = xopen(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC);
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
