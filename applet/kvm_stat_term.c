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
#include "kvm_stat.h"
#include "kvm_stat_term.h"

#define CPR_WAIT_MS	500	/* cursor position report: 9600 baud is ~10 ms */
#define ESC_WAIT_MS	50	/* rest of an escape sequence after ESC */
#define INPUT_AGAIN	(-2)	/* input_byte(): see again what is up */

/*
 * A cell is (attributes << 8 | byte), 0 for a blank: "want" is the frame
 * being drawn, "have" what the terminal shows.
 */
struct term {
	struct termios saved;
	uint16_t *want, *have;	/* one allocation, with line */
	char *line;	/* scr_printf()'s text: one screen row */
	int rows, cols;
	int cur_row, cur_col;	/* 1-based, as sent; cur_row 0: hidden */
	smallint cursor_hidden;
	smallint raw;	/* saved must be put back */
	smallint unread;	/* input_byte() gives last again */
	unsigned char last;	/* input_byte()'s */
	unsigned char attr;	/* out_attr()'s, 0 between rows */
	unsigned outlen;
	char out[4096];	/* a frame is sent in as few writes as this allows */
};
static struct term *term_ptr;
#define T (*term_ptr)

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

/* A dead terminal ends us by SIGHUP/EOF */
static void out_send(void)
{
	unsigned n = T.outlen;

	T.outlen = 0;
	full_write(STDOUT_FILENO, T.out, n);
}

/* A full buffer goes at once: a sequence may straddle two writes */
static void out_char(int c)
{
	T.out[T.outlen++] = c;
	if (T.outlen == sizeof(T.out))
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
	uint16_t *have = T.have;
	int i = T.rows * T.cols;

	while (--i >= 0 && !have[i])
		continue;
	return (i + T.cols) / T.cols;	/* i = -1: none */
}

/*
 * Attributes off, cursor on, the cursor on the line below the last
 * frame (scrolling one line if the frame fills the screen), then the
 * user's settings. A frame being drawn is dropped. Only stores,
 * write() and tcsetattr(): signal-safe.
 */
void term_restore(void)
{
	int row, full;

	if (!T.raw)	/* every caller comes after term_start() */
		return;
	T.raw = 0;
	T.outlen = 0;
	row = rows_used();
	full = row == T.rows;
	out_fmt("\033[m\033[?25h\033[\1H", row + !full, 0);
	if (full)
		out_str("\r\n");
	out_send();
	tcsetattr(STDIN_FILENO, TCSADRAIN, &T.saved);
}

void term_quit(int status)
{
	term_restore();
	quit_fast(status);
}

static void fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);	/* dies on return */
}

static unsigned long long after_ms(unsigned ms)
{
	return monotonic_us() + ms * 1000ULL;
}

/*
 * The next input byte; KEY_TIMEOUT if none came by DEADLINE (µs), or
 * INPUT_AGAIN if a signal came (or nothing could be read after all).
 * Bytes are read one by one: what follows stays for the next call.
 */
static NOINLINE int input_byte(unsigned long long deadline)
{
	int n;

	if (T.unread) {
		T.unread = 0;
		return T.last;
	}
	n = wait_event(deadline, STDIN_FILENO);
	if (n <= 0)	/* 0: time's up, -1: a signal */
		return n ? INPUT_AGAIN : KEY_TIMEOUT;
	n = safe_read(STDIN_FILENO, &T.last, 1);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			term_quit(EXIT_FAILURE);	/* the terminal is gone */
		return INPUT_AGAIN;
	}
	return T.last;
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
		} else if (c >= '0' && c <= '9' && size[i] < 1000) {
			/* 5 digits are no reply: an int would overflow */
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

/* New size: the frame keeps what fits, the screen is cleared and redrawn */
static void set_size(int rows, int cols)
{
	unsigned cells = rows * cols;
	uint16_t *want = xzalloc(cells * 2 * sizeof(want[0]) + cols + 1);
	int r, w = cols < T.cols ? cols : T.cols;

	for (r = 0; r < rows && r < T.rows; r++)
		memcpy(want + r * cols, T.want + r * T.cols, w * sizeof(want[0]));
	free(T.want);
	T.want = want;
	T.have = want + cells;
	T.line = (char *)(want + 2 * cells);
	T.rows = rows;
	T.cols = cols;
	out_str("\033[m\033[H\033[2J");
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
	if (!ws.ws_row || !ws.ws_col
	 || (ws.ws_row == T.rows && ws.ws_col == T.cols)
	)
		return 0;
	set_size(ws.ws_row, ws.ws_col);
	return 1;
}

void term_start(void)
{
	const char *term = getenv("TERM");
	struct termios raw;
	int size[3];

	term_ptr = xzalloc(sizeof(T));
	/* tcgetattr() is isatty() */
	if (tcgetattr(STDIN_FILENO, &T.saved) != 0 || !isatty(STDOUT_FILENO)
	 || (term && strcmp(term, "dumb") == 0)
	)
		bb_simple_error_msg_and_die("the interactive display needs a "
			"terminal (not TERM=dumb): use -1 or -l for plain output");
	catch_signals();
	bb_signals(FATAL_SIGS, fatal_signal);
	die_func = term_restore;
	T.raw = 1;
	/* keys one by one, unechoed; Ctrl-C arrives as a byte (ISIG off) */
	raw = T.saved;
	raw.c_lflag &= ~(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);

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
			T.unread = 1;
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

		if (G.quit_signal) {
			term_restore();
			quit_on_signal();
		}
		if (G.winch_received) {
			G.winch_received = 0;
			if (kernel_resize())
				return KEY_RESIZE;
		}
		c = input_byte(end);
		if (c == 3)	/* Ctrl-C */
			term_quit(EXIT_SUCCESS);
		if (c == '\033')
			return decode_escape();
		if (c != INPUT_AGAIN)	/* a key, or KEY_TIMEOUT */
			return c;
	}
}

int scr_rows(void)
{
	return T.rows;
}

int scr_cols(void)
{
	return T.cols;
}

void scr_erase(void)
{
	scr_clear_rows(0, INT_MAX);	/* cut to the screen */
}

void scr_clear_rows(int first, int end)
{
	if (end > T.rows)
		end = T.rows;
	if (first < end)
		memset(T.want + first * T.cols, 0, (end - first) * T.cols * sizeof(T.want[0]));
}

/*
 * From COL >= 0, cut at the right edge, never wrapped; the bottom right
 * cell is never written (terminals without deferred wrap would scroll).
 * Bytes other than printable ASCII become '?': guest names come from
 * /proc and must not drive the terminal.
 */
void scr_put(int row, int col, const char *s, int attr)
{
	int end = T.cols - (row == T.rows - 1);
	uint16_t *line;

	if ((unsigned)row >= (unsigned)T.rows)
		return;
	line = T.want + row * T.cols;
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
	char *line = T.line;
	va_list p;
	int len;

	va_start(p, fmt);
	len = vsnprintf(line, T.cols + 1, fmt, p);
	va_end(p);
	scr_put(row, col, line, attr);
	return len;
}

void scr_cursor(int row, int col)
{
	T.cur_row = (row < T.rows ? row : T.rows - 1) + 1;
	T.cur_col = (col < T.cols ? col : T.cols - 1) + 1;
}

/*
 * Makes ATTR the current attributes, if they are not: "ESC[0;1;7m", set
 * whole, never added
 */
static void out_attr(int attr)
{
	const char *p = "1457";	/* ATTR_BOLD ... ATTR_REVERSE */

	if (attr == T.attr)
		return;
	T.attr = attr;
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
	uint16_t *want = T.want + r * T.cols, *have = T.have + r * T.cols;
	int first = -1, last = 0, stop = 0, c;

	/* the cells that changed, from FIRST to LAST; blank from STOP on */
	for (c = 0; c < T.cols; c++) {
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
	memcpy(have, want, T.cols * sizeof(want[0]));
}

void scr_flush(void)
{
	int r;

	if (!T.cursor_hidden)	/* hidden while drawing */
		out_str("\033[?25l");
	for (r = 0; r < T.rows; r++)
		flush_row(r);
	T.cursor_hidden = !T.cur_row;
	if (T.cur_row)
		out_fmt("\033[\1;\1H\033[?25h", T.cur_row, T.cur_col);
	out_send();
}
