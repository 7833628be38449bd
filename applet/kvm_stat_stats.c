/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the stats layer, the only code that knows the providers:
 * which run, their set-up, reads, resets and field lists. The views and
 * main go through it; the providers fill the table (kvm_stat_table.c).
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_common.h"

#if ENABLE_FEATURE_KVM_STAT_VCPU
/* Why no per-vCPU rows can be had (said by -v and by the screen's 'v') */
const char *stats_no_vcpus(void)
{
	if (!G.pid)
		return "Select a guest first (-p, -g, or the keys p, g)";
	if (!G.use_tracepoints)
		return "debugfs has no per-vCPU counters: use tracepoints (-t)";
	return NULL;
}
#endif

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

#if ENABLE_FEATURE_KVM_STAT_TEXTFILE
void stats_guest_rows(guest_row_fn *row, void *ctx)
{
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS && G.use_debugfs)
		debugfs_guest_rows(row, ctx);
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
		/* a counter we may not read (lockdown) is marked */
		outbuf_printf(&out, "  %.*s%s\n", len, key,
			G.stats[order[i]].unreadable ? " (not readable)" : "");
		prev = key;
		prev_len = len;
	}
	if (G.nstats == 0)
		outbuf_printf(&out, "  \n");
	out_write(STDOUT_FILENO, out.buf, out.len);
	exit(EXIT_SUCCESS);
}
