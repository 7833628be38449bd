/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the terminal under the TUI, with plain VT100/ANSI sequences
 * (no curses, no terminfo): raw mode restored on every way out, the size
 * (asked from the terminal where the kernel says 0x0, as on serial
 * consoles), keys, and a screen buffer of which only changed lines are
 * sent.
 *
 * We draw on the normal screen, not the alternate one: VT100s and serial
 * consoles have none, and the last frame stays readable after quitting
 * (the shell prompt comes below it), as BusyBox top leaves its screen.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_TUI) += kvm_stat_term.o

#include "libbb.h"
#include "kvm_stat_common.h"
#include "kvm_stat_term.h"

#define CPR_WAIT_MS	500	/* cursor position report: 9600 baud is ~10 ms */
#define ESC_WAIT_MS	50	/* rest of an escape sequence after ESC */
#define TERM_SIZE_MAX	1000	/* rows, columns: what we draw at most */
/* input_byte(): a signal came, see what is up; no KEY_* has this value */
#define INPUT_AGAIN	(-100)

/*
 * SIGINT, SIGTERM, SIGHUP and SIGWINCH are the core's (catch_signals():
 * flags seen in wait_event()); these end us at once, the terminal put
 * back first. Unsigned: SIGSYS is 31, and 1 << 31 overflows an int
 * (bb_signals() takes the same bits as its int).
 */
#define FATAL_SIGS (0 \
	| 1u << SIGQUIT | 1u << SIGILL | 1u << SIGTRAP | 1u << SIGABRT \
	| 1u << SIGBUS | 1u << SIGFPE | 1u << SIGSEGV | 1u << SIGUSR1 \
	| 1u << SIGUSR2 | 1u << SIGALRM | 1u << SIGXCPU | 1u << SIGXFSZ \
	| 1u << SIGVTALRM | 1u << SIGPROF | 1u << SIGSYS)

/* A dead terminal ends us by SIGHUP/EOF; one that blocks (flow control)
 * gives way to the quitting signals */
static void out_send(void)
{
	unsigned n = G.term->outlen;

	G.term->outlen = 0;
	write_or_signal(STDOUT_FILENO, G.term->out, n);
}

/* A full buffer goes at once: a sequence may straddle two writes */
static void out_char(int c)
{
	G.term->out[G.term->outlen++] = c;
	if (G.term->outlen == sizeof(G.term->out))
		out_send();
}

/* Decimal digits without stdio, signal-safe */
static void out_uint(unsigned n)
{
	unsigned digit = n % 10;

	if (n / 10)
		out_uint(n / 10);
	out_char('0' + digit);
}

/* S with its first '\1' sent as A in decimal, the second as B */
static void out_fmt(const char *s, unsigned a, unsigned b)
{
	for (; *s; s++) {
		if (*s == '\1') {
			out_uint(a);
			a = b;
		} else {
			out_char(*s);
		}
	}
}

/* S without '\1' */
static void out_str(const char *s)
{
	out_fmt(s, 0, 0);
}

/* The rows on screen down to the last one not blank */
static int rows_used(void)
{
	uint16_t *have = G.term->have;
	int i = G.term->rows * G.term->cols;

	while (--i >= 0 && !have[i])
		continue;
	return i < 0 ? 0 : i / G.term->cols + 1;	/* no size yet: none */
}

/*
 * Attributes off, cursor on, the cursor on the line below the last
 * frame (row 2 if there is none yet), then the
 * user's settings. A frame being drawn is dropped. Only stores,
 * write() and tcsetattr(): signal-safe.
 */
void term_restore(void)
{
	struct pollfd pfd = { STDOUT_FILENO, POLLOUT, 0 };

	if (!G.term->raw)	/* every caller comes after term_start() */
		return;
	G.term->raw = 0;
	G.term->outlen = 0;
	/* the frame's last line, then a new line: it scrolls if the frame
	 * fills the screen */
	out_fmt("\033[m\033[?25h\033[\1H\r\n", rows_used(), 0);
	/* what the terminal takes within a moment: a blocked one (or one
	 * quitting) must not keep us */
	if (poll(&pfd, 1, 500) > 0 && write(STDOUT_FILENO, G.term->out,
			G.term->outlen) < 0) {
		/* nothing more to do for a terminal that is gone */
	}
	G.term->outlen = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &G.term->saved);
}

static void fatal_signal(int sig)
{
	term_restore();
	kill_myself_with_sig(sig);
}

/* Raw mode: keys one by one, unechoed; Ctrl-C and Ctrl-Z arrive as bytes
 * (ISIG off); Ctrl-S and Ctrl-Q are keys, not flow control (IXON off) */
static void enter_raw_mode(void)
{
	struct termios raw = G.term->saved;

	raw.c_lflag &= ~(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
	raw.c_iflag &= ~IXON;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	G.term->raw = 1;
}

/*
 * Job control, as top does: Ctrl-Z or SIGTSTP give the terminal back and
 * stop us; on SIGCONT we take it again, and term_getkey() has the whole
 * screen redrawn. Runs as the SIGTSTP handler: only system calls and
 * stores. Without job control (an orphaned process group) the kernel
 * does not stop us, and we go on at once.
 */
static void stop_self(int sig UNUSED_PARAM)
{
	term_restore();
	signal(SIGTSTP, SIG_DFL);
	sig_unblock(SIGTSTP);	/* blocked in its handler */
	raise(SIGTSTP);	/* stopped here, until SIGCONT */
	signal(SIGTSTP, stop_self);
	enter_raw_mode();
	G.term->resumed = 1;
}

static unsigned long long after_ms(unsigned ms)
{
	return monotonic_us() + ms * 1000ULL;
}

/*
 * The next input byte; KEY_TIMEOUT if none came by DEADLINE (µs),
 * INPUT_AGAIN if a signal came (or nothing could be read after all), or
 * KEY_HANGUP once the terminal is gone. Bytes are read one by one: what
 * follows stays for the next call.
 */
static NOINLINE int input_byte(unsigned long long deadline)
{
	int n;

	if (G.term->hung_up)
		return KEY_HANGUP;
	if (G.term->unread) {
		G.term->unread = 0;
		return G.term->last;
	}
	n = wait_event(deadline, STDIN_FILENO);
	if (n == WAIT_TIMEOUT)
		return KEY_TIMEOUT;
	if (n == WAIT_SIGNAL)
		return INPUT_AGAIN;
	n = safe_read(STDIN_FILENO, &G.term->last, 1);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN) {
			G.term->hung_up = 1;
			return KEY_HANGUP;
		}
		return INPUT_AGAIN;
	}
	return G.term->last;
}

/*
 * Where TIOCGWINSZ says 0x0 (serial consoles): park the cursor in the far
 * corner and read the terminal's answer to "where is it": "ESC[24;80R".
 * SIZE: rows, columns, and room for the digits of what is not a reply
 * (never used).
 */
static void probe_size(int *size)
{
	unsigned long long end = after_ms(CPR_WAIT_MS);
	int i = 2, c;	/* the number being read */

	out_str("\0337\033[999;999H\033[6n\0338");
	out_send();
	while ((c = input_byte(end)) >= 0) {
		if (c == '\033') {	/* a reply starts: drop what came before */
			i = 0;
			size[0] = size[1] = 0;
		} else if (c >= '0' && c <= '9') {
			if (size[i] <= TERM_SIZE_MAX)	/* no overflow */
				size[i] = size[i] * 10 + (c - '0');
		} else if (c == ';' && i == 0) {
			i = 1;
		} else if (c == 'R' && i == 1) {
			return;
		} else if (c != '[') {
			i = 2;	/* not a reply */
		}
	}
	size[0] = 0;	/* no answer */
}

static NOINLINE int env_number(const char *name, int dflt)
{
	const char *s = getenv(name);
	int n = s ? atoi(s) : 0;

	return n > 0 ? n : dflt;
}

/*
 * A new size (1), unless it is the one we have (0): the frame keeps what
 * fits, the screen is cleared and redrawn
 */
static int set_size(int rows, int cols)
{
	unsigned cells;
	uint16_t *want;
	int r, w;

	/* a terminal may claim any size (stty rows 65535): what we draw
	 * is clamped, and so is the memory for it */
	rows = MIN(rows, TERM_SIZE_MAX);
	cols = MIN(cols, TERM_SIZE_MAX);
	if (rows == G.term->rows && cols == G.term->cols)
		return 0;
	cells = rows * cols;
	want = xzalloc(cells * 2 * sizeof(want[0]) + cols + 1);
	w = MIN(cols, G.term->cols);
	for (r = 0; r < rows && r < G.term->rows; r++)
		memcpy(want + r * cols, G.term->want + r * G.term->cols, w * sizeof(want[0]));
	free(G.term->want);
	G.term->want = want;
	G.term->have = want + cells;
	G.term->line = (char *)(want + 2 * cells);
	G.term->rows = rows;
	G.term->cols = cols;
	out_str("\033[m\033[H\033[2J");
	return 1;
}

/*
 * Takes the size the kernel has if it is new: 1 if so. It has 0x0 where
 * it does not know it (serial consoles).
 */
static int kernel_resize(void)
{
	struct winsize ws;

	memset(&ws, 0, sizeof(ws));
	ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	if (!ws.ws_row || !ws.ws_col)
		return 0;
	return set_size(ws.ws_row, ws.ws_col);
}

void term_start(void)
{
	const char *term = getenv("TERM");
	int size[3];

	G.term = xzalloc(sizeof(*G.term));
	/* tcgetattr() is isatty() */
	if (tcgetattr(STDIN_FILENO, &G.term->saved) != 0 || !isatty(STDOUT_FILENO)
	 || (term && strcmp(term, "dumb") == 0)
	)
		bb_simple_error_msg_and_die("the interactive display needs a "
			"terminal (not TERM=dumb): use -1 or -l for plain output");
	catch_signals();
	bb_signals(FATAL_SIGS, fatal_signal);
	signal(SIGTSTP, stop_self);
	die_func = term_restore;
	enter_raw_mode();

	if (kernel_resize())
		return;
	probe_size(size);
	if (!size[0] || !size[1]) {
		size[0] = env_number("LINES", 24);
		size[1] = env_number("COLUMNS", 80);
	}
	set_size(size[0], size[1]);
}

/* The next byte of an escape sequence, or <0 */
static NOINLINE int escape_byte(void)
{
	return input_byte(after_ms(ESC_WAIT_MS));
}

/* ESC alone, or a whole CSI/SS3 sequence ("ESC[A", "ESC[15~", "ESCOP") */
static int decode_escape(void)
{
	int c = escape_byte();

	if (c != '[' && c != 'O') {
		if (c >= 0)
			G.term->unread = 1;
		return KEY_ESCAPE;
	}
	c = escape_byte();
	if (c == '[')	/* the Linux console's F1 is "ESC[[A" */
		c = escape_byte();
	while (c >= 0 && (c < 0x40 || c > 0x7e))	/* up to the final byte */
		c = escape_byte();
	return KEY_OTHER;
}

int term_getkey(int timeout_ms)
{
	unsigned long long end = timeout_ms < 0 ? ~0ULL : after_ms(timeout_ms);

	for (;;) {
		int c;

		if (G.quit_signal)
			return KEY_QUIT;
		if (G.term->resumed) {	/* the screen is the shell's now */
			G.term->resumed = 0;
			memset(G.term->have, 0, G.term->rows * G.term->cols
				* sizeof(G.term->have[0]));
			out_str("\033[m\033[H\033[2J");
			kernel_resize();
			return KEY_RESIZE;
		}
		if (G.winch_received) {
			G.winch_received = 0;
			if (kernel_resize())
				return KEY_RESIZE;
		}
		c = input_byte(end);
		if (c == 3)	/* Ctrl-C: ISIG is off */
			return KEY_QUIT;
		if (c == 26)	/* Ctrl-Z */
			stop_self(SIGTSTP);
		if (c == '\033')
			return decode_escape();
		if (c != INPUT_AGAIN)	/* a key, KEY_TIMEOUT or KEY_HANGUP */
			return c;
	}
}

int scr_rows(void)
{
	return G.term->rows;
}

int scr_cols(void)
{
	return G.term->cols;
}

void scr_erase(void)
{
	scr_clear_rows(0, G.term->rows);
}

void scr_clear_rows(int first, int end)
{
	if (end > G.term->rows)
		end = G.term->rows;
	if (first < end)
		memset(G.term->want + first * G.term->cols, 0, (end - first) * G.term->cols * sizeof(G.term->want[0]));
}

/*
 * From COL >= 0, cut at the right edge, never wrapped; the bottom right
 * cell is never written (terminals without deferred wrap would scroll).
 * Bytes other than printable ASCII become '?': guest names come from
 * /proc and must not drive the terminal.
 */
void scr_put(int row, int col, const char *s, int attr)
{
	int end = G.term->cols - (row == G.term->rows - 1);
	uint16_t *line;

	if ((unsigned)row >= (unsigned)G.term->rows)
		return;
	line = G.term->want + row * G.term->cols;
	for (; *s && col < end; s++, col++) {
		unsigned c = (unsigned char)*s;

		if (c < ' ' || c > '~')
			c = '?';
		c |= attr << 8;
		line[col] = c == ' ' ? 0 : c;	/* blank: no attributes */
	}
}

int scr_printf(int row, int col, int attr, const char *fmt, ...)
{
	char *line = G.term->line;
	va_list p;
	int len;

	va_start(p, fmt);
	len = vsnprintf(line, G.term->cols + 1, fmt, p);
	va_end(p);
	scr_put(row, col, line, attr);
	return len;
}

void scr_cursor(int row, int col)
{
	G.term->cur_row = (row < G.term->rows ? row : G.term->rows - 1) + 1;
	G.term->cur_col = (col < G.term->cols ? col : G.term->cols - 1) + 1;
}

/*
 * Makes ATTR the current attributes, if they are not: "ESC[0;1;7m", set
 * whole, never added
 */
static void out_attr(int attr)
{
	const char *p = "1457";	/* ATTR_BOLD ... ATTR_REVERSE */

	if (attr == G.term->attr)
		return;
	G.term->attr = attr;
	out_str("\033[");
	if (attr)
		out_char('0');
	for (; attr; attr >>= 1, p++) {
		if (attr & 1) {
			out_char(';');
			out_char(*p);
		}
	}
	out_char('m');
}

/* Sends the span of the row that changed; a blank tail as "erase line" */
static NOINLINE void flush_row(int r)
{
	uint16_t *want = G.term->want + r * G.term->cols, *have = G.term->have + r * G.term->cols;
	int first = -1, last = 0, stop = 0, c;

	/* the cells that changed, from FIRST to LAST; blank from STOP on */
	for (c = 0; c < G.term->cols; c++) {
		if (want[c] != have[c]) {
			if (first < 0)
				first = c;
			last = c;
		}
		if (want[c])
			stop = c + 1;
	}
	if (first < 0)
		return;
	if (stop < first)
		stop = first;
	if (last - stop < 3)	/* "ESC[K" costs 3 bytes */
		stop = last + 1;
	out_fmt(first ? "\033[\1;\1H" : "\033[\1H", r + 1, first + 1);
	for (c = first; c < stop; c++) {
		int same = c;	/* end of the unchanged cells from C */

		while (same < stop && want[same] == have[same])
			same++;
		/* jump over unchanged cells ("ESC[nC", plain VT100) when that
		 * is shorter than sending them again; it paints nothing */
		if (same < stop && same - c > 3) {
			out_fmt("\033[\1C", same - c, 0);
			c = same - 1;
			continue;
		}
		out_attr(want[c] >> 8);
		out_char(want[c] ? want[c] : ' ');	/* the low byte; 0: blank */
	}
	out_attr(0);
	if (stop <= last)
		out_str("\033[K");
	memcpy(have, want, G.term->cols * sizeof(want[0]));
}

void scr_flush(void)
{
	int r;

	if (!G.term->cursor_hidden)	/* hidden while drawing */
		out_str("\033[?25l");
	for (r = 0; r < G.term->rows; r++)
		flush_row(r);
	G.term->cursor_hidden = !G.term->cur_row;
	if (G.term->cur_row)
		out_fmt("\033[\1;\1H\033[?25h", G.term->cur_row, G.term->cur_col);
	out_send();
}
