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
/* handle_key()'s switch: a jump table would cost ~140 bytes more */
//kbuild:CFLAGS_kvm_stat_tui.o := -fno-jump-tables

#include "libbb.h"
#include <math.h>
#include "kvm_stat_common.h"
#include "kvm_stat_term.h"

#define INITIAL_DELAY_MS	250	/* first refresh, and after a prompt */
#define INPUT_MAX	120	/* prompt input */
#define MSG_SIZE	(INPUT_MAX + 64)	/* '"input": why not' */
#define DEAD_MARKER	"   Guest is DEAD   "

/* Each line: its key, then what the key does */
static const char help_text[] ALIGN1 =
	"b" "toggle events by guests (debugfs only, honors filters)\0"
	"c" "clear filter\0"
	IF_FEATURE_KVM_STAT_EXIT_TIMES("e" "toggle exit handling times by reason\0")
	"f" "filter by regular expression\0"
	"g" "filter by guest name/PID\0"
	"h" "display interactive commands reference\0"
	"o" "toggle sorting order (Total vs CurAvg/s)\0"
	"p" "filter by guest name/PID\0"
	"q" "quit\0"
	"r" "reset stats\0"
	"s" "set delay between refreshs (value range: 0.1-25.5 secs)\0"
	IF_FEATURE_KVM_STAT_VCPU("v" "toggle events by vCPU (with a guest selected)\0")
	"x" "toggle reporting of stats for individual child trace events\0";

/* 'q', Ctrl-C and quitting signals end us with the terminal restored,
 * as does a terminal that hung up (with a failure) */
static void tui_quit(int key) NORETURN;
static void tui_quit(int key)
{
	term_restore();
	if (key == KEY_HANGUP)
		quit_fast(EXIT_FAILURE);
	if (G.quit_signal)
		quit_on_signal();
	quit_fast(EXIT_SUCCESS);
}

/* The next key; the ways out end us here, wherever a key is read */
static int next_key(int timeout_ms)
{
	int key = term_getkey(timeout_ms);

	if (key == KEY_QUIT || key == KEY_HANGUP)
		tui_quit(key);
	return key;
}

/* The regex set with -f or 'f', "" if none */
static NOINLINE const char *filter_str(void)
{
	return G.filter_str ? G.filter_str : "";
}

/* "..." if S is longer than MAX, which the reference cuts it to */
static const char *cut_mark(const char *s, unsigned max)
{
	return strlen(s) > max ? "..." : "";
}

/* Rows 0-2: the reference's _refresh_header() */
static void draw_header_rows(void)
{
	int pid = G.pid, len;
	const char *name, *re;

	free(G.tui.gname);
	G.tui.gname = host_guest_name(pid);	/* as the reference: "" for pid 0 */
	name = G.tui.gname;
	len = scr_printf(0, 0, ATTR_BOLD, pid ? "kvm statistics - pid %d "
		: "kvm statistics - summary", pid);
	/* the reference's MAX_GUEST_NAME_LEN: 48; no name for pid 0 */
	if (name[0])
		len += scr_printf(0, len, ATTR_BOLD, "(%.48s%s)", name,
			cut_mark(name, 48));
	G.tui.headline_len = len;
	re = filter_str();
	if (re[0])	/* MAX_REGEX_LEN: 44 */
		scr_printf(1, 17, 0, "regex filter: %.44s%s", re, cut_mark(re, 44));
	/* the reference's '%-40s %10s%7s %8s' */
	scr_printf(2, 1, ATTR_REVERSE, "%-40s      Total %%Total CurAvg/s",
		want_vcpus() ? "vCPU" : G.tui.by_guest ? "Guest Name" : "Event");
}

/* A new screen: the header, and a note until the body comes */
static void draw_header(void)
{
	scr_erase();
	draw_header_rows();
	scr_put(4, 1, "Collecting data...", 0);
	scr_flush();
}

/* After a resize: the header rows again (a smaller size cut them) */
static void redraw_header(void)
{
	scr_clear_rows(0, 3);
	draw_header_rows();
	scr_flush();
}

/*
 * One read of the counters: each refresh's, and after the providers
 * start over, so that the next refresh shows the change since now, not
 * everything as one jump
 */
static void read_stats(void)
{
	stats_update(G.tui.by_guest);
}

/* The header for PID, then its counters */
static void set_pid(int pid)
{
	int old = G.pid;

	G.pid = pid;
	draw_header();
	scr_put(4, 1, "Updating pid filter...", 0);
	scr_flush();
	if (pid != old) {
		stats_refilter();
		read_stats();
	}
}

/*
 * Takes RE (empty: none), unless it does not compile: then why not.
 * The 'f' prompt's TAKE (see ask()).
 */
static const char *set_filter(const char *re, char *msg UNUSED_PARAM)
{
	char *copy;
	int err;

	if (strcmp(filter_str(), re) == 0)
		return NULL;
	copy = xstrdup(re);
	err = try_field_filter(copy);
	if (err) {
		free(copy);
		return err == FILTER_TOO_BIG ? "Regular expression too large"
			: "Not a valid regular expression";
	}
	free(G.tui.filter);
	G.tui.filter = copy;
	stats_refilter();
	read_stats();
	return NULL;
}

/* A row of the body */
struct row {
	const struct stat_entry *e;
	const char *label;	/* the key, or in the by-guest view a name */
};

/* By (delta, total) or by total, descending; ties keep the table's order */
static int cmp_rows(const void *a, const void *b)
{
	const struct stat_entry *x = ((const struct row *)a)->e;
	const struct stat_entry *y = ((const struct row *)b)->e;

	if (!G.tui.sort_total && x->delta != y->delta)
		return x->delta < y->delta ? 1 : -1;
	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return x < y ? -1 : 1;
}

/* A by-guest row's label: the guest's name; NULL for no row (no name,
 * or a child event's row, which has no guest) */
static NOINLINE char *guest_label(const struct stat_entry *e)
{
	char *name;

	if (!e->pid)
		return NULL;
	name = host_guest_name(e->pid);
	if (!name[0]) {
		free(name);
		name = NULL;
	}
	return name;
}

/* CurAvg/s: Python's round(), half to even; no rate on the first frame */
static NOINLINE long long per_second(long long delta, double elapsed)
{
	return elapsed > 0 ? llrint(delta / elapsed) : 0;
}

/* The body being drawn */
struct frame {
	double elapsed;
	unsigned long long total;
	unsigned long long ptotal;	/* the last event's, for its children's %Total */
	long long tcur;	/* the events' deltas */
	int row, end;	/* end: the screen's last row, kept for the total */
	smallint removed;	/* rows left out: their guest went away */
};

static void draw_row(struct frame *f, const struct row *r)
{
	const struct stat_entry *e = r->e;
	long long cur = per_second(e->delta, f->elapsed);
	unsigned long long ltotal = f->total;
	int indent = 0, len = -1;	/* precision < 0: the whole label */

	if (f->row >= f->end)
		return;
	if (cur < 0) {	/* a guest went away: its counters with it */
		f->removed = 1;
		return;
	}
	if (e->parent) {	/* "  child", in the body's blank cells */
		ltotal = f->ptotal;
		indent = 2;
		len = e->name_len;
	} else {
		f->tcur += e->delta;
		f->ptotal = e->value;
	}
	scr_printf(f->row++, 1 + indent, 0, "%-*.*s %10llu%7.1f %8lld",
		40 - indent, len, r->label, e->value,
		ltotal ? e->value * 100.0 / ltotal : 0.0, cur);
}

/*
 * Events sorted, each followed by its child events ("kvm_exit(HLT)
 * kvm_exit") when 'x' is on. Children whose parent has no row are not
 * shown.
 */
static void draw_rows(struct frame *f, const struct row *rows,
		const struct row *end)
{
	const struct row *r, *c;

	for (r = rows; r < end; r++) {
		if (r->e->parent)
			continue;
		draw_row(f, r);
		for (c = rows; G.tui.child_events && c < end; c++) {
			/* 'v' (every row has a tid then, else none): a
			 * vCPU's children are its events' */
			if (c->e->parent && (IF_FEATURE_KVM_STAT_VCPU(r->e->tid
					? c->e->tid == r->e->tid :)
					strcmp(c->e->parent, r->e->key) == 0))
				draw_row(f, c);
		}
	}
}

/* The pid of the guest named NAME; 0 if there are none or *N several */
static int find_guest(const char *name, int *n)
{
	int *pids, pid;

	*n = host_find_guests(name, &pids);
	pid = *n == 1 ? pids[0] : 0;
	free(pids);
	return pid;
}

/* The watched guest is gone: follow its name to a new pid, or say so */
static void show_guest_gone(void)
{
	int n, col = G.tui.gname[0] ? find_guest(G.tui.gname, &n) : 0;

	if (col) {
		set_pid(col);
		return;
	}
	col = G.tui.headline_len;
	if (col > 80 - (int)sizeof(DEAD_MARKER) + 1)
		col = 80 - sizeof(DEAD_MARKER) + 1;
	scr_put(0, col, DEAD_MARKER, ATTR_BLINK | ATTR_REVERSE);
	scr_flush();
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
/*
 * 'v': a vCPU's row has its name as key, its tid, and the sums of its
 * events' rows (the tracepoints always have the parents of the children
 * that pass -f). E, an event's row of a vCPU, into the vCPU's row in V
 * (which ends at a tid 0). Returns the vCPU's row if E is its first (a
 * row to draw), else NULL.
 */
static struct stat_entry *add_to_vcpu(struct stat_entry *v,
		const struct stat_entry *e)
{
	struct stat_entry *first;

	while (v->tid && v->tid != e->tid)
		v++;
	first = v->tid ? NULL : v;
	v->tid = e->tid;
	v->key = e->vcpu;
	v->value += e->value;
	v->delta += e->delta;
	return first;
}
#endif

static void draw_body(double elapsed)
{
	struct frame f;
	unsigned long long ctotal = 0;
	const struct stat_entry *e;
	struct row *rows, *r;
	unsigned n = 0;
	IF_FEATURE_KVM_STAT_VCPU(struct stat_entry *vcpus = NULL;)

	if (G.pid && !host_pid_exists(G.pid)) {
		show_guest_gone();
		return;
	}
	IF_FEATURE_KVM_STAT_EXIT_TIMES(if (G.tui.exit_times) {
		scr_clear_rows(2, scr_rows());
		exittime_draw(0);
		scr_flush();
		return;
	})
	memset(&f, 0, sizeof(f));
	f.elapsed = elapsed;
	f.row = 3;
	f.end = scr_rows() - 1;
	scr_clear_rows(3, f.end + 1);
	read_stats();
	/* the totals, and the rows to draw: each label read once (in the
	 * by-guest view, from /proc) */
	r = rows = xmalloc(G.nstats * sizeof(rows[0]) + 1);
	IF_FEATURE_KVM_STAT_VCPU(if (want_vcpus())
		vcpus = xzalloc((G.nstats + 1) * sizeof(vcpus[0]));)
	for (e = G.stats; e < G.stats + G.nstats; e++) {
		if (!(e->value | e->delta))
			continue;	/* adds nothing, shows nothing */
#if ENABLE_FEATURE_KVM_STAT_VCPU
		/* 'v': the vCPUs' rows instead of the guest's sums */
		if (!e->tid != !vcpus)
			continue;
#endif
		r->e = e;
		r->label = G.tui.by_guest ? guest_label(e) : e->key;
		if (!r->label)
			continue;
		if (e->parent)
			ctotal += e->value;
		else
			f.total += e->value;
		/* 'v': an event's row (not a child's, shown under its vCPU
		 * with 'x') is its vCPU's, which makes the total */
		IF_FEATURE_KVM_STAT_VCPU(if (vcpus && !e->parent) {
			r->e = add_to_vcpu(vcpus, e);
			if (!r->e)
				continue;
			r->label = r->e->key;
		})
		r++;
		n++;
	}
	/* only child events pass the filter: they make the total */
	if (!f.total)
		f.total = ctotal;
	qsort(rows, n, sizeof(rows[0]), cmp_rows);
	draw_rows(&f, rows, r);
	while (G.tui.by_guest && r > rows)
		free((char *)(--r)->label);
	free(rows);
	IF_FEATURE_KVM_STAT_VCPU(free(vcpus);)
	if (f.row == 3)
		scr_put(4, 1, f.removed ? "Guest removed, updating..."
			: "No matching events reported yet", 0);
	if (f.row > 4) {
		/* the reference's '%-40s %10d        %8s', no rate if none:
		 * a precision of 0 prints 0 as nothing */
		scr_printf(f.row, 1, ATTR_BOLD, "%-40s %10llu        %8.*lld",
			"Total", f.total, f.tcur > 0,
			per_second(f.tcur > 0 ? f.tcur : 0, elapsed));
	}
	scr_flush();
}

/*
 * A prompt: the bold TITLE, then DRAW's screen (if any), and on ROW the
 * PROMPT, until Escape (returns 0) or until TAKE takes the answer
 * (returns 1). Else TAKE returns why not, shown two rows below as
 * '"answer": why', or MSG if it wrote a whole message there; the answer
 * is asked for again. Line editing: printable ASCII, Backspace, ^U.
 */
static int ask(const char *title, const char *prompt, int row,
		void (*draw)(void), const char *(*take)(const char *in, char *msg))
{
	char buf[INPUT_MAX + 1], msg[MSG_SIZE];
	long len = 0, tail;
	int plen, key;

	msg[0] = '\0';
	for (;;) {
		buf[len] = '\0';
		scr_erase();
		scr_put(0, 0, title, ATTR_BOLD);
		if (draw)
			draw();
		scr_put(row + 2, 0, msg, 0);
		plen = scr_printf(row, 0, 0, "%s", prompt);
		/* keep the end of a long input in sight: its last TAIL bytes */
		tail = scr_cols() - 1 - plen;
		if (tail > len)
			tail = len;
		if (tail < 0)
			tail = 0;
		scr_put(row, plen, buf + len - tail, 0);
		scr_cursor(row, plen + tail);
		scr_flush();
		key = next_key(-1);
		scr_cursor(-1, 0);	/* hidden, unless the prompt stays */
		if (key == KEY_ESCAPE)
			return 0;
		if (key == '\r' || key == '\n') {
			const char *why = take(buf, msg);

			if (!why)
				return 1;
			if (why != msg)
				sprintf(msg, "\"%s\": %s", buf, why);
			len = 0;	/* asked again, on an empty line */
		} else if (key == 21) {	/* ^U */
			len = 0;
		} else if ((key == 127 || key == 8) && len) {
			len--;
		} else if (key >= ' ' && key <= '~' && len < INPUT_MAX) {
			buf[len++] = key;
		}
	}
}

static void draw_filter_prompt(void)
{
	scr_printf(2, 0, 0, "Current regex: %s", filter_str());
}

static void draw_guest_prompt(void)
{
	int *pids, n, i;

	scr_put(1, 0, "This might limit the shown data to the trace statistics.", 0);
	/* the reference's '%8s  %-60s' */
	scr_printf(7, 2, ATTR_UNDERLINE, "     Pid  %-60s",
		"Guest Name (fuzzy list, might be inaccurate!)");
	n = host_find_guests(NULL, &pids);
	/* rows below the screen are not drawn; blanks are no cells either */
	for (i = 0; i < n; i++) {
		char *name = host_guest_name(pids[i]);

		scr_printf(8 + i, 2, 0, "%8d  %s", pids[i], name);
		free(name);
	}
	free(pids);
}

/* A "Guest or pid" answer: its pid ("" or "0": all guests), or why not */
static const char *take_guest(const char *s, char *msg UNUSED_PARAM)
{
	unsigned pid = 0;
	int n;

	if (s[strspn(s, "0123456789")]) {	/* not all digits: a name */
		pid = find_guest(s, &n);
		if (!pid)
			return n ? "Multiple matches found, use pid filter instead"
				: "Not an active guest";
	} else if (s[0]) {
		pid = bb_strtou(s, NULL, 10);
		/* "/proc/0042" does not exist either */
		if (errno || (s[0] == '0' ? s[1] : !host_pid_exists(pid)))
			return "Not a running process";
	}
	set_pid(pid);
	return NULL;
}

static const char *take_delay(const char *in, char *msg)
{
	if (!in[0]) {	/* the default, as the prompt's title says */
		G.delay_ms = DELAY_DEFAULT_MS;
		return NULL;
	}
	/* G.delay_ms is set only if valid */
	if (!check_delay(in, &G.delay_ms, msg, MSG_SIZE))
		return NULL;
	/* a range error is the reference's; anything else: */
	return msg[0] == '"' ? msg : "Invalid value";
}

/* Shows DRAW's screen until a key (other than a resize) is pressed */
static void show_until_key(void (*draw)(void))
{
	do {
		scr_erase();
		draw();
		scr_flush();
	} while (next_key(-1) == KEY_RESIZE);
}

/* The reference's _show_msg(): lines centered from row 2, the last
 * reversed */
static void draw_msg(const char *line1, const char *line2)
{
	const char *lines[4] = { line1, line2, "", "Press any key to continue" };
	unsigned i;
	int col;

	for (i = 0; i < 4; i++) {
		col = (scr_cols() - (int)strlen(lines[i])) / 2;
		scr_put(2 + i, col > 0 ? col : 0, lines[i], i == 3 ? ATTR_REVERSE : 0);
	}
}

static void draw_no_by_guest(void)
{
	draw_msg("Command not available with tracepoints enabled",
		"Restart with debugfs only (see option '-d') and try again!");
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
/* 'v' in the manner of 'b', with the words of -v's error */
static void draw_no_vcpus(void)
{
	draw_msg("Command not available", stats_no_vcpus());
}

/* 'v': per-vCPU counting is set up only while it is shown (it costs the
 * guest); counts start over */
static void toggle_by_vcpu(void)
{
	if (!G.vcpus && stats_no_vcpus()) {
		show_until_key(draw_no_vcpus);
		return;
	}
	G.vcpus ^= 1;
	stats_refilter();
	read_stats();
}
#endif

static void draw_help(void)
{
	const char *s;
	int row = 4;

	scr_put(0, 0, "Interactive commands reference", ATTR_BOLD);
	scr_put(2, 0, "Press any key to exit", ATTR_REVERSE);
	for (s = help_text; *s; s += strlen(s) + 1)
		scr_printf(row++, 0, 0, "   %c     %s", s[0], s + 1);
	scr_put(row, 0, "Any other key refreshes statistics immediately", 0);
}

static void ask_guest(void)
{
	if (!ask("Show statistics for specific guest or pid.",
			"Guest or pid [ENTER exits]: ", 3,
			draw_guest_prompt, take_guest))
		set_pid(G.pid);	/* Escape: as the reference */
}

static void ask_filter(void)
{
	ask("Show statistics for events matching a regex.", "New regex: ", 3,
		draw_filter_prompt, set_filter);
}

static void ask_delay(void)
{
	char prompt[40];

	sprintf(prompt, "Change delay from %.1fs to ", G.delay_ms / 1000.0);
	/* the reference's title, with DELAY_DEFAULT_MS as it prints it */
	ask("Set update interval (defaults to 3.0s).", prompt, 2, NULL,
		take_delay);
}

/* 'b': by-guest rows need per-VM counters, debugfs only */
static void toggle_by_guest(void)
{
	if (G.use_tracepoints) {
		show_until_key(draw_no_by_guest);
		return;
	}
	G.tui.by_guest ^= 1;
	/* event keys and pid keys do not mix: start over, keep deltas right */
	stats_clear();
	read_stats();
}

/* When the next refresh comes: after the delay, or soon (after a prompt) */
enum { REFRESH_LATER, REFRESH_SOON };

/* Any key refreshes the body at once; then handle_key() says when next */
static int handle_key(int key)
{
	switch (key) {
	case 'q':
		tui_quit(key);
	case KEY_RESIZE:
		redraw_header();
		break;
	case 'c':	/* no filter, all guests: set_pid() draws the header */
		set_filter("", NULL);
		set_pid(0);
		break;
	case 'o':
		G.tui.sort_total ^= 1;
		break;
	IF_FEATURE_KVM_STAT_EXIT_TIMES(case 'e':
		G.tui.exit_times ^= 1;
		draw_header();
		break;)
	case 'r':
		IF_FEATURE_KVM_STAT_EXIT_TIMES(if (G.tui.exit_times)
			exittime_draw(1);)
		stats_reset();
		read_stats();
		break;
	case 'x':
		G.tui.child_events ^= 1;
		break;
	case 'g':
	case 'p':
		ask_guest();
		return REFRESH_SOON;
	case 'b':
		toggle_by_guest();
		draw_header();
		break;
#if ENABLE_FEATURE_KVM_STAT_VCPU
	case 'v':
		toggle_by_vcpu();
		draw_header();
		break;
#endif
	case 'h':
		show_until_key(draw_help);
		draw_header();
		break;
	case 'f':
		ask_filter();
		draw_header();
		return REFRESH_SOON;
	case 's':
		ask_delay();
		draw_header();
		return REFRESH_SOON;
	}
	return REFRESH_LATER;
}

void tui_run(void)
{
	unsigned long long last_us = 0;
	int wait_ms = INITIAL_DELAY_MS;

	term_start();
	draw_header();
	for (;;) {
		unsigned long long now = monotonic_us();

		draw_body(last_us ? (long long)(now - last_us) / 1e6 : 0);
		last_us = monotonic_us();
		wait_ms = handle_key(next_key(wait_ms)) == REFRESH_SOON
			? INITIAL_DELAY_MS : (int)G.delay_ms;
	}
}
