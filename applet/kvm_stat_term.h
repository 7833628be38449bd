/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the terminal under the TUI: raw mode, size, keys, and a
 * screen buffer of which only the changed lines are sent.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#ifndef KVM_STAT_TERM_H
#define KVM_STAT_TERM_H 1

PUSH_AND_SET_FUNCTION_VISIBILITY_TO_HIDDEN

/* Cell attributes, combinable */
enum {
	ATTR_BOLD = 1,
	ATTR_UNDERLINE = 2,
	ATTR_BLINK = 4,
	ATTR_REVERSE = 8,	/* curses' A_STANDOUT on every VT100 descendant */
};

/* term_getkey() results besides a byte */
enum {
	KEY_TIMEOUT = -1,
	KEY_RESIZE = -2,	/* the screen was resized: redraw */
	KEY_OTHER = -3,	/* an escape sequence (arrow, function key) */
	KEY_QUIT = -4,	/* Ctrl-C, or a quitting signal (G.quit_signal) */
	KEY_HANGUP = -5,	/* the terminal is gone */
	KEY_ESCAPE = 27,
};

void term_start(void);	/* dies if stdin/stdout is no usable terminal */
void term_restore(void);	/* every exit path; safe in a signal handler */
int term_getkey(int timeout_ms);	/* <0: forever */
int scr_rows(void);
int scr_cols(void);

/* Drawing goes to a buffer; scr_flush() sends what differs on screen */
void scr_erase(void);
void scr_clear_rows(int first, int end);
void scr_put(int row, int col, const char *s, int attr);	/* col >= 0 */
/* Returns the length of the whole text, what does not fit included */
int scr_printf(int row, int col, int attr, const char *fmt, ...)
	__attribute__ ((format (printf, 4, 5)));
void scr_cursor(int row, int col);	/* row -1: hidden */
void scr_flush(void);

POP_SAVED_FUNCTION_VISIBILITY

#endif
