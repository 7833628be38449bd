/* vi: set sw=4 ts=4: */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_EXIT_TIMES) += kvm_stat_exittime.o
/*
 * kvm_stat: exit handling times (-e, the TUI's 'e'), as `perf kvm stat
 * live` reports them, measured in the kernel. kvm_exit's program notes
 * (time, reason) per thread; kvm_entry's adds the time since to the
 * reason's count, sum, min, max and log2 histogram (kvm_stat_bpf.c). No
 * record goes to user space per event: we read the sums when we print.
 *
 * The handling time of an exit is from kvm_exit to the same thread's next
 * kvm_entry: the kernel's handling, and for exits that go to user space
 * (IO, HLT without an in-kernel irqchip, MMIO) the VMM's too.
 *
 * Min and Max are since the start (or the TUI's 'r'): a per-CPU value
 * cannot be reset without losing the program's updates in between. The
 * other figures of a log record are the interval's.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_common.h"
#include "kvm_stat_bpf.h"
#include "kvm_stat_term.h"	/* put_row()'s screen, in the TUI */

struct exit_row {
	struct bpf_exit_time now, base;	/* base: at the last 'r' or record */
	unsigned long long key;	/* what the rows are sorted by, since base */
	char name[EXIT_NAME_MAX];
};

struct exittime_state {
	int array;
	unsigned nslots;	/* the table's codes, then "other" */
	unsigned gap_at, gap_len;	/* slot s >= gap_at: code s + gap_len */
	unsigned ncpus;
	unsigned nrows;
	unsigned long long total, time;	/* over the rows, since base */
	struct bpf_exit_time *values;	/* one slot's per-CPU values */
	struct exit_row **order;	/* the rows to show, sorted: past row[] */
	struct exit_row *row[];	/* per slot, once it has counts */
};

/* /proc/sys/kernel/threads-max, within reason: the hash map is
 * preallocated (a tracing program can't allocate), ~100 bytes a thread */
static unsigned host_threads(void)
{
	char buf[16] = "";
	unsigned n;

	open_read_close("/proc/sys/kernel/threads-max", buf, sizeof(buf) - 1);
	n = atoi(buf);
	return n < 1024 ? 1024 : n > 32768 ? 32768 : n;
}

/* Why exit times can't be measured here; NULL when the programs run */
static const char *setup(void)
{
	struct exittime_state *x;
	struct bpf_count_spec spec;
	unsigned id;
	int entry, prog, fd;

	if (!ENABLE_FEATURE_KVM_STAT_BPF || (G.opts & OPT_no_bpf))
		return "exit times need BPF programs (--no-bpf given)";
	memset(&spec, 0, sizeof(spec));
	/* the reason: a u32 in every kernel (x86 exit_reason, arm64 esr_ec) */
	if (!G.tracefs || !read_event_id("kvm_entry")
	 || !(id = read_event_id("kvm_exit"))
	 || event_field("kvm_exit", G.arch == ARCH_ARM64 ? "esr_ec" : "exit_reason",
			&spec.reason_offset, &spec.reason_size) != 0
	 || spec.reason_size != 4)
		return "exit times need the tracepoints kvm:kvm_exit (with its "
			"reason) and kvm:kvm_entry";
	/* a table's codes by name; another architecture's by number */
	spec.nreasons = exit_reason_slots(G.arch, &spec.gap_at, &spec.gap_end);
	if (!spec.nreasons)
		spec.nreasons = spec.gap_at = spec.gap_end = 256;
	/* the state, then its row and order arrays */
	x = G.ext = xzalloc(sizeof(*x) + 2 * (spec.nreasons + 1) * sizeof(x->row[0]));
	x->nslots = spec.nreasons + 1;
	x->gap_at = spec.gap_at;
	x->gap_len = spec.gap_end - spec.gap_at;
	x->order = x->row + x->nslots;
	x->values = xmalloc(BPF_CPUS_MAX * sizeof(x->values[0]));
	x->ncpus = bpf_possible_cpus();
	spec.tgid = G.pid;
	/* kvm_entry first: an exit seen is always ended */
	if (!x->ncpus
	 || (prog = bpf_exit_load(host_threads(), &spec, &x->array, &entry)) < 0
	 || bpf_raw_tracepoint_open("kvm_entry", entry) < 0
	 || (fd = perf_open_tracepoint(id, NULL, -1, -1, -1)) < 0
	 || perf_attach_bpf(fd, prog) != 0)
		return xasprintf("exit times: the kernel refused the BPF "
			"programs: %s", strerror(errno));
	/* the perf event and the link hold the programs and the maps */
	return NULL;
}

/* The row of SLOT, named by the table, else by its code; the last slot,
 * past the table, is "other" */
static struct exit_row *new_row(unsigned slot)
{
	struct exittime_state *x = G.ext;
	struct exit_row *r = xzalloc(sizeof(*r));
	unsigned i, want = slot < x->gap_at ? slot : slot + x->gap_len;
	int code;

	for (i = 0; (code = exit_reason(G.arch, i, r->name)) >= 0; i++)
		if ((unsigned)code == want)
			return r;
	sprintf(r->name, slot < x->nslots - 1 ? "%u" : "other", want);
	return r;
}

/*
 * The totals, read (a slot that can't be read keeps its last); REBASE:
 * the figures from the last read on. The rows with exits since then go
 * to order, by time (BY_COUNT: by count), the most first.
 */
static void read_times(int rebase, int by_count)
{
	struct exittime_state *x = G.ext;
	struct bpf_exit_time t;
	struct exit_row *r;
	unsigned i, j;

	x->total = x->time = x->nrows = 0;
	for (i = 0; i < x->nslots; i++) {
		r = x->row[i];
		if (r && rebase)
			r->base = r->now;
		if (bpf_exit_read(x->array, i, x->values, x->ncpus, &t) == 0 && t.count) {
			if (!r)
				r = x->row[i] = new_row(i);
			r->now = t;
		}
		if (!r || r->now.count == r->base.count)
			continue;
		x->total += r->now.count - r->base.count;
		x->time += r->now.sum - r->base.sum;
		r->key = by_count ? r->now.count - r->base.count : r->now.sum - r->base.sum;
		/* insertion: ties stay in slot order */
		for (j = x->nrows++; j && x->order[j - 1]->key < r->key; j--)
			x->order[j] = x->order[j - 1];
		x->order[j] = r;
	}
}

/* (double)V out of line: gcc spends ~30 bytes on each u64 -> double */
static NOINLINE double dbl(unsigned long long v)
{
	return v;
}

/*
 * Row R's figures, since base (times in microseconds): on the TUI's
 * screen at ROW (> 0), else a line of the -1/-l table, or CSV, into O
 */
static void put_row(const struct exit_row *r, int row, struct outbuf *o,
		const char *stamp)
{
	struct exittime_state *x = G.ext;
	unsigned b;
	unsigned long long n = 0, sum = r->now.sum - r->base.sum;
	unsigned long long count = r->now.count - r->base.count;
	double count_pct, time_pct, max, avg, p99;

	count_pct = dbl(count) * 100.0 / dbl(x->total);
	time_pct = x->time ? dbl(sum) * 100.0 / dbl(x->time) : 0;
	max = dbl(r->now.max) / 1e3;
	avg = dbl(sum) / 1e3 / dbl(count);
	/* the upper end of the bucket holding the 99th percentile */
	for (b = 0; b < EXIT_BUCKETS; b++) {
		n += r->now.hist[b] - r->base.hist[b];
		if (n * 100 >= count * 99)
			break;
	}
	p99 = (double)(1ULL << b);
	if (p99 > max)
		p99 = max;
	if (ENABLE_FEATURE_KVM_STAT_TUI && row)
		scr_printf(row, 1, 0, "%-20s %10llu %6.1f %6.1f %9.1f %9.1f %9.1f",
			r->name, count, count_pct, time_pct, avg, max, p99);
	else
		outbuf_printf(o, (G.opts & OPT_c)
			? "%s,%s,%llu,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f\n"
			: "%s%20s %10llu %8.2f%% %8.2f%% %9.2fus %9.2fus %9.2fus %9.2fus\n",
			stamp, r->name, count, count_pct, time_pct,
			dbl(r->now.min) / 1e3, max, avg, p99);
}

/* Why nothing shows: PVM's KVM has kvm_exit but never fires it */
static const char *nothing_seen(void)
{
	char *path = host_path("/sys/module/kvm_pvm");
	int pvm = access(path, F_OK) == 0;

	free(path);
	return pvm ? "no kvm_exit seen: KVM here is PVM (kvm_pvm), which "
		"never fires kvm_exit" : "no kvm_exit seen yet";
}

/* perf kvm stat's table (its column names), p99 instead of its +-
 * stddev; CSV: one row per reason, one column per figure */
static void put_table(struct outbuf *o, const char *stamp)
{
	struct exittime_state *x = G.ext;
	unsigned i;
	int csv = G.opts & OPT_c;

	if (!csv)
		outbuf_printf(o, "%s%s             VM-EXIT    Samples  Samples%%"
			"     Time%%    Min Time    Max Time    Avg time    p99 Time\n",
			stamp, *stamp ? "\n" : "");
	for (i = 0; i < x->nrows; i++)
		put_row(x->order[i], 0, o, csv ? stamp : "");
	if (!csv)
		outbuf_printf(o, "\nTotal Samples:%llu, Total events handled "
			"time:%.2fus.\n\n", x->total, dbl(x->time) / 1e3);
}

/* -1 -e: one second; -l/-L -e: a table (CSV rows) every interval */
void exittime_run(void)
{
	struct outbuf o = { NULL, 0, 0 };
	const char *why = setup();
	unsigned long long next = monotonic_us();
	unsigned interval_us = G.opts & OPT_1 ? 1000000 : G.delay_ms * 1000;
	char stamp[TIMESTAMP_SIZE] = "";
	int fd = STDOUT_FILENO;
	int said = 0;

	if (why)
		bb_simple_error_msg_and_die(why);
	catch_signals();
	if (G.log_file)
		fd = log_file_open();
	/* -L -c: the header only at the top of the file */
	if ((G.opts & OPT_c) && (!G.log_file || lseek(fd, 0, SEEK_END) <= 0))
		outbuf_printf(&o, "timestamp,exit_reason,samples,samples_pct,"
			"time_pct,min_us,max_us,avg_us,p99_us\n");
	for (;;) {
		if (wait_tick(&next, interval_us)) {	/* logrotate: a new file */
			close(fd);
			fd = log_file_open();
		}
		read_times(1, 1);
		if (!(G.opts & OPT_1))
			format_now(stamp);
		if (G.ext->nrows || !(G.opts & OPT_z))
			put_table(&o, stamp);
		record_write(fd, o.buf, o.len);
		o.len = 0;
		if (!G.ext->total && !said++)	/* once */
			bb_simple_error_msg(nothing_seen());
		if (G.opts & OPT_1)
			quit_fast(EXIT_SUCCESS);
	}
}

#if ENABLE_FEATURE_KVM_STAT_TUI

/* The TUI's 'e' view: rows from row 3; 'r' resets (RESET) */
void exittime_draw(int reset)
{
	static const char *why;
	struct exittime_state *x;
	unsigned i;
	int row = 3;

	/* the columns of the rows' format below */
	scr_put(2, 1, "Exit reason               Count Count%  Time%"
		"    Avg us    Max us    p99 us", ATTR_REVERSE);
	if (!G.ext && !why)
		why = setup();
	if (why) {
		scr_put(4, 1, why, 0);
		return;
	}
	x = G.ext;
	if (reset)
		read_times(0, 0);
	read_times(reset, G.tui.sort_total);
	for (i = 0; i < x->nrows && row < scr_rows() - 1; i++)
		put_row(x->order[i], row++, NULL, NULL);
	if (!x->nrows)
		scr_put(4, 1, nothing_seen(), 0);
}
#endif
