/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the interactive screen (the default mode), with the rows,
 * columns, strings and keys of the reference's curses screen. Drawing
 * goes through kvm_stat_term.c, which sends only what changed.
 *
 * Like curses, the frame is kept between refreshes: the header is drawn
 * when something about it changes, the body on every refresh, and a dead
 * guest's last numbers stay under the "Guest is DEAD" marker.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_TUI) += kvm_stat_tui.o

#include "libbb.h"
#include <math.h>
#include "kvm_stat.h"
#include "kvm_stat_term.h"

#define INITIAL_DELAY_MS	250	/* first refresh, and after a prompt */
#define MAX_GUEST_NAME_LEN	48
#define MAX_REGEX_LEN	44
#define INPUT_MAX	120	/* prompt input */
#define DEAD_MARKER	"   Guest is DEAD   "

struct tui {
	char *gname;	/* the watched guest's name when the header was drawn */
	char *filter;	/* our copy of the regex set with 'f' */
	int headline_len;
	smallint by_guest;	/* 'b' */
	smallint sort_total;	/* 'o' */
};
static struct tui *tui_ptr;
#define U (*tui_ptr)

static const char help_text[] ALIGN1 =
	"   b     toggle events by guests (debugfs only, honors filters)\0"
	"   c     clear filter\0"
	"   f     filter by regular expression\0"
	"   g     filter by guest name/PID\0"
	"   h     display interactive commands reference\0"
	"   o     toggle sorting order (Total vs CurAvg/s)\0"
	"   p     filter by guest name/PID\0"
	"   q     quit\0"
	"   r     reset stats\0"
	"   s     set delay between refreshs (value range: 0.1-25.5 secs)\0"
	"   x     toggle reporting of stats for individual child trace events\0"
	"Any other key refreshes statistics immediately\0";

/* Rows 0-2; the reference's _refresh_header() when ERASE (all rows) */
static void draw_header_rows(int pid, int erase)
{
	const char *name;
	char *head;

	scr_clear_rows(0, erase ? scr_rows() : 3);
	free(U.gname);
	U.gname = pid > 0 ? host_guest_name(pid) : xstrdup("");
	name = U.gname;
	if (pid > 0)
		head = xasprintf("kvm statistics - pid %d %s%.*s%s%s", pid,
			name[0] ? "(" : "", MAX_GUEST_NAME_LEN, name,
			strlen(name) > MAX_GUEST_NAME_LEN ? "..." : "",
			name[0] ? ")" : "");
	else
		head = xstrdup("kvm statistics - summary");
	U.headline_len = strlen(head);
	scr_put(0, 0, head, ATTR_BOLD);
	free(head);
	if (G.filter_str && G.filter_str[0])
		scr_printf(1, 17, 0, "regex filter: %.*s%s", MAX_REGEX_LEN,
			G.filter_str,
			strlen(G.filter_str) > MAX_REGEX_LEN ? "..." : "");
	scr_printf(2, 1, ATTR_REVERSE, "%-40s %10s%7s %8s",
		U.by_guest ? "Guest Name" : "Event", "Total", "%Total", "CurAvg/s");
	if (erase)
		scr_put(4, 1, "Collecting data...", 0);
	scr_flush();
}

static void draw_header(int pid)
{
	draw_header_rows(pid, 1);
}

/*
 * After the providers start over: one read, so that the next refresh
 * shows the change since now, not everything as one jump
 */
static void restart_stats(void)
{
	stats_update(U.by_guest);
}

static void set_pid(int pid)
{
	scr_put(4, 1, "Updating pid filter...", 0);
	scr_flush();
	if (pid != G.pid) {
		G.pid = pid;
		stats_refilter();
		restart_stats();
	}
}

/* Takes RE (empty: none) unless it does not compile: -1 */
static int set_filter(const char *re)
{
	char *copy;

	if (strcmp(G.filter_str ? G.filter_str : "", re) == 0)
		return 0;
	copy = xstrdup(re);
	if (try_field_filter(copy) != 0) {
		free(copy);
		return -1;
	}
	free(U.filter);
	U.filter = copy;
	stats_refilter();
	restart_stats();
	return 0;
}

/* By (delta, total) or by total, descending; ties keep the table's order */
static int cmp_rows(const void *a, const void *b)
{
	unsigned ia = *(const unsigned *)a, ib = *(const unsigned *)b;
	const struct stat_entry *x = &G.stats[ia], *y = &G.stats[ib];

	if (!U.sort_total && x->delta != y->delta)
		return x->delta < y->delta ? 1 : -1;
	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return ia < ib ? -1 : 1;
}

static int is_zero(const struct stat_entry *e)
{
	return !e->value && !e->delta;
}

/*
 * The rows in screen order: events sorted, each followed by its child
 * events ("kvm_exit(HLT) kvm_exit") when 'x' is on; a child is stored as
 * ~index. Children whose parent has no row are not shown.
 */
static unsigned list_rows(int *list)
{
	unsigned *order = xmalloc((G.nstats + 1) * sizeof(order[0]));
	unsigned i, j, n = 0;

	for (i = 0; i < G.nstats; i++)
		order[i] = i;
	qsort(order, G.nstats, sizeof(order[0]), cmp_rows);
	for (i = 0; i < G.nstats; i++) {
		const char *key = G.stats[order[i]].key;

		if (is_zero(&G.stats[order[i]]) || strchr(key, ' '))
			continue;
		list[n++] = order[i];
		for (j = 0; G.child_events && j < G.nstats; j++) {
			const char *parent = strchr(G.stats[order[j]].key, ' ');

			if (parent && strcmp(parent + 1, key) == 0
			 && !is_zero(&G.stats[order[j]]))
				list[n++] = ~order[j];
		}
	}
	free(order);
	return n;
}

/* By-guest rows are keyed by pid: "4242" -> its guest name, "" if none */
static char *name_of_pid_key(const char *key)
{
	if (!key[0] || key[strspn(key, "0123456789")])
		return xstrdup("");
	return host_guest_name(atoi(key));
}

/* CurAvg/s: Python's round(), half to even; no rate on the first frame */
static long long per_second(long long delta, double elapsed)
{
	return (delta && elapsed > 0) ? (long long)rint(delta / elapsed) : 0;
}

/* A key's row label: the event, "  child" or the guest's name */
static char *row_label(int item, char **names)
{
	const char *key = G.stats[item < 0 ? ~item : item].key;

	if (item < 0)
		return xasprintf("  %.*s", (int)strcspn(key, " "), key);
	return xstrdup(U.by_guest ? names[item] : key);
}

static void draw_rows(double elapsed, long long total, char **names)
{
	int *list = xmalloc((G.nstats + 1) * sizeof(list[0]));
	unsigned i, n = list_rows(list);
	long long ptotal = 0, tcur = 0;
	int row = 3, removed = 0;

	for (i = 0; i < n && row < scr_rows() - 1; i++) {
		const struct stat_entry *e = &G.stats[list[i] < 0 ? ~list[i] : list[i]];
		long long cur = per_second(e->delta, elapsed), ltotal;
		char *label;

		if (U.by_guest && (list[i] < 0 || !names[list[i]][0]))
			continue;
		if (cur < 0) {	/* a guest went away: its counters with it */
			removed = 1;
			continue;
		}
		if (list[i] >= 0) {
			tcur += e->delta;
			ptotal = e->value;
			ltotal = total;
		} else {
			ltotal = ptotal;
		}
		label = row_label(list[i], names);
		scr_printf(row++, 1, 0, "%-40s %10lld%7.1f %8lld", label, e->value,
			ltotal ? e->value * 100.0 / ltotal : 0.0, cur);
		free(label);
	}
	free(list);
	if (row == 3)
		scr_put(4, 1, removed ? "Guest removed, updating..."
			: "No matching events reported yet", 0);
	if (row > 4) {
		char avg[24] = "";

		if (tcur > 0)
			sprintf(avg, "%lld", per_second(tcur, elapsed));
		scr_printf(row, 1, ATTR_BOLD, "%-40s %10lld        %8s",
			"Total", total, avg);
	}
}

/* The watched guest is gone: follow its name to a new pid, or say so */
static void show_guest_gone(void)
{
	int *pids, n, col;

	if (U.gname[0]) {
		n = host_find_guests(U.gname, &pids);
		col = n == 1 ? pids[0] : 0;
		free(pids);
		if (col) {
			draw_header(col);
			set_pid(col);
			return;
		}
	}
	col = U.headline_len;
	if (col > 80 - (int)sizeof(DEAD_MARKER) + 1)
		col = 80 - sizeof(DEAD_MARKER) + 1;
	scr_put(0, col, DEAD_MARKER, ATTR_BLINK | ATTR_REVERSE);
	scr_flush();
}

static void draw_body(double elapsed)
{
	long long total = 0, ctotal = 0;
	char **names;
	unsigned i;

	if (G.pid && !host_pid_exists(G.pid)) {
		show_guest_gone();
		return;
	}
	scr_clear_rows(3, scr_rows());
	stats_update(U.by_guest);
	names = xzalloc((G.nstats + 1) * sizeof(names[0]));
	for (i = 0; i < G.nstats; i++) {
		const struct stat_entry *e = &G.stats[i];

		if (U.by_guest) {
			names[i] = name_of_pid_key(e->key);
			if (names[i][0])
				total += e->value;
		} else if (strchr(e->key, ' ')) {
			ctotal += e->value;
		} else {
			total += e->value;
		}
	}
	/* only child events pass the filter: they make the total */
	if (!total)
		total = ctotal;
	draw_rows(elapsed, total, names);
	for (i = 0; i < G.nstats; i++)
		free(names[i]);
	free(names);
	scr_flush();
}

/* Prompts' line editor: printable ASCII, Backspace, ^U, Enter; 0 on Escape */
static int edit_line(void (*draw)(const char *msg), const char *msg,
		int row, const char *prompt, char *buf)
{
	unsigned len = 0, plen = strlen(prompt);
	int key;

	for (;;) {
		/* keep the end of a long input in sight */
		unsigned skip = plen + len + 1 > (unsigned)scr_cols()
			? plen + len + 1 - scr_cols() : 0;

		if (skip > len)
			skip = len;
		buf[len] = '\0';
		draw(msg);
		scr_put(row, 0, prompt, 0);
		scr_put(row, plen, buf + skip, 0);
		scr_cursor(row, plen + len - skip);
		scr_flush();
		key = term_getkey(-1);
		if (key == '\r' || key == '\n' || key == KEY_ESCAPE)
			break;
		if ((key == 127 || key == 8) && len)
			len--;
		else if (key == 21)	/* ^U */
			len = 0;
		else if (key >= ' ' && key <= '~' && len < INPUT_MAX)
			buf[len++] = key;
	}
	scr_cursor(-1, 0);
	return key != KEY_ESCAPE;
}

static void draw_filter_prompt(const char *msg)
{
	scr_erase();
	scr_put(0, 0, "Show statistics for events matching a regex.", ATTR_BOLD);
	scr_printf(2, 0, 0, "Current regex: %s", G.filter_str ? G.filter_str : "");
	scr_put(5, 0, msg, 0);
}

static void prompt_filter(void)
{
	char buf[INPUT_MAX + 1];
	char *msg = xstrdup("");

	while (edit_line(draw_filter_prompt, msg, 3, "New regex: ", buf)
	 && set_filter(buf) != 0
	) {
		free(msg);
		msg = xasprintf("\"%s\": Not a valid regular expression", buf);
	}
	free(msg);
	draw_header(G.pid);
}

static void draw_guest_prompt(const char *msg)
{
	int *pids, n, i, row = 8;

	scr_erase();
	scr_put(0, 0, "Show statistics for specific guest or pid.", ATTR_BOLD);
	scr_put(1, 0, "This might limit the shown data to the trace statistics.", 0);
	scr_put(5, 0, msg, 0);
	scr_printf(7, 2, ATTR_UNDERLINE, "%8s  %-60s", "Pid",
		"Guest Name (fuzzy list, might be inaccurate!)");
	n = host_find_guests(NULL, &pids);
	for (i = 0; i < n && row < scr_rows(); i++) {
		char *name = host_guest_name(pids[i]);

		scr_printf(row++, 2, 0, "%8d  %-60s", pids[i], name);
		free(name);
	}
	free(pids);
}

/* The pid for a "Guest or pid" answer, 0 for all; -1 and *msg if none */
static int parse_guest(const char *s, char **msg)
{
	const char *why;
	int *pids, n, pid;

	if (!s[0] || strcmp(s, "0") == 0)
		return 0;
	if (!s[strspn(s, "0123456789")]) {
		/* "/proc/0042" does not exist either */
		pid = (s[0] != '0' && strlen(s) < 10) ? atoi(s) : 0;
		if (pid && host_pid_exists(pid))
			return pid;
		why = "Not a running process";
	} else {
		n = host_find_guests(s, &pids);
		pid = n == 1 ? pids[0] : 0;
		free(pids);
		if (pid)
			return pid;
		why = n ? "Multiple matches found, use pid filter instead"
			: "Not an active guest";
	}
	*msg = xasprintf("\"%s\": %s", s, why);
	return -1;
}

static void prompt_guest(void)
{
	char buf[INPUT_MAX + 1];
	char *msg = xstrdup("");
	int pid;

	do {
		if (!edit_line(draw_guest_prompt, msg, 3,
				"Guest or pid [ENTER exits]: ", buf)) {
			pid = G.pid;
			break;
		}
		free(msg);
		msg = NULL;
		pid = parse_guest(buf, &msg);
	} while (pid < 0);
	free(msg);
	draw_header(pid);
	set_pid(pid);
}

static void draw_delay_prompt(const char *msg)
{
	scr_erase();
	scr_printf(0, 0, ATTR_BOLD, "Set update interval (defaults to %.1fs).",
		DELAY_DEFAULT_MS / 1000.0);
	scr_put(4, 0, msg, 0);
}

static void prompt_delay(void)
{
	char buf[INPUT_MAX + 1], err[INPUT_MAX + 64];
	char *prompt = xasprintf("Change delay from %.1fs to ", G.delay_ms / 1000.0);
	char *msg = xstrdup("");
	unsigned ms;

	while (edit_line(draw_delay_prompt, msg, 2, prompt, buf)) {
		free(msg);
		msg = NULL;
		if (!buf[0]) {
			G.delay_ms = DELAY_DEFAULT_MS;
			break;
		}
		if (!check_delay(buf, &ms, err, sizeof(err))) {
			G.delay_ms = ms;
			break;
		}
		/* a range error is the reference's; anything else: */
		msg = err[0] == '"' ? xstrdup(err)
			: xasprintf("\"%s\": Invalid value", buf);
	}
	free(msg);
	free(prompt);
	draw_header(G.pid);
}

static int centered(const char *s)
{
	int col = (scr_cols() - (int)strlen(s)) / 2;

	return col > 0 ? col : 0;
}

/* A message until a key is pressed (the reference's _show_msg) */
static void show_message(const char *line1, const char *line2)
{
	static const char hint[] ALIGN1 = "Press any key to continue";

	do {
		scr_erase();
		scr_put(2, centered(line1), line1, 0);
		scr_put(3, centered(line2), line2, 0);
		scr_put(5, centered(hint), hint, ATTR_REVERSE);
		scr_flush();
	} while (term_getkey(-1) == KEY_RESIZE);
}

static void show_help(void)
{
	do {
		const char *s;
		int row = 4;

		scr_erase();
		scr_put(0, 0, "Interactive commands reference", ATTR_BOLD);
		scr_put(2, 0, "Press any key to exit", ATTR_REVERSE);
		for (s = help_text; *s; s += strlen(s) + 1)
			scr_put(row++, 0, s, 0);
		scr_flush();
	} while (term_getkey(-1) == KEY_RESIZE);
	draw_header(G.pid);
}

/* By-guest rows need per-VM counters: debugfs only */
static void toggle_by_guest(void)
{
	if (G.use_tracepoints) {
		show_message("Command not available with tracepoints enabled",
			"Restart with debugfs only (see option '-d') and try again!");
	} else {
		U.by_guest ^= 1;
		/* event keys and pid keys do not mix: start over, keep deltas right */
		stats_clear();
		restart_stats();
	}
	draw_header(G.pid);
}

/* Returns 1 if the next refresh comes soon (after a prompt) */
static int handle_key(int key)
{
	switch (key) {
	case 'b':
		toggle_by_guest();
		break;
	case 'c':
		set_filter("");
		draw_header(0);
		set_pid(0);
		break;
	case 'f':
		prompt_filter();
		return 1;
	case 'g':
	case 'p':
		prompt_guest();
		return 1;
	case 'h':
		show_help();
		break;
	case 'o':
		U.sort_total ^= 1;
		break;
	case 'q':
		term_quit(EXIT_SUCCESS);
	case 'r':
		stats_reset();
		restart_stats();
		break;
	case 's':
		prompt_delay();
		return 1;
	case 'x':
		G.child_events ^= 1;
		break;
	case KEY_RESIZE:	/* rows cut by a smaller size come back */
		draw_header_rows(G.pid, 0);
		break;
	}
	/* any other key (and a resize) just refreshes now */
	return 0;
}

void tui_run(void)
{
	unsigned long long last_us = 0;
	int wait_ms = INITIAL_DELAY_MS;

	tui_ptr = xzalloc(sizeof(U));
	term_start();
	draw_header(G.pid);
	for (;;) {
		unsigned long long now = monotonic_us();

		draw_body(last_us ? (now - last_us) / 1e6 : 0);
		last_us = monotonic_us();
		wait_ms = handle_key(term_getkey(wait_ms)) ? INITIAL_DELAY_MS
			: (int)G.delay_ms;
	}
}
