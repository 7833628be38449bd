/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the core every other file uses: the field filter, delays,
 * signals and waiting, quitting, and the output buffer. It calls nothing
 * above it; the stats layer hooks its fast cleanup into G.quit_hook.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat.h"

/*
 * -f REGEX: the reference uses Python's re.match(), i.e. a match that
 * starts at the beginning of the name. POSIX regexec finds the leftmost
 * match, so "starts at 0" is exactly the same test.
 */
int field_wanted(const char *name)
{
	regmatch_t m;

	if (!G.have_filter)
		return 1;
	return regexec(&G.filter_re, name, 1, &m, 0) == 0 && m.rm_so == 0;
}

/* Returns 0 if RE compiles; the TUI uses it to reject a bad filter */
int try_field_filter(const char *re)
{
	regex_t new_re;

	if (!re || !re[0]) {
		if (G.have_filter)
			regfree(&G.filter_re);
		G.have_filter = 0;
		G.filter_str = NULL;
		return 0;
	}
	if (regcomp(&new_re, re, REG_EXTENDED) != 0)
		return -1;
	if (G.have_filter)
		regfree(&G.filter_re);
	G.filter_re = new_re;
	G.have_filter = 1;
	G.filter_str = re;
	return 0;
}

/*
 * Python's str(float), for the reference's delay messages: the shortest
 * digits that read back the same, fixed notation for exponents -4..15.
 */
static void format_py_float(char buf[40], double d)
{
	char *e;
	int prec = 0, exp;

	/* the fewest digits (prec of them) that read back the same: 17
	 * always do; "inf" reads back too */
	do
		sprintf(buf, "%.*e", prec, d);
	while (prec++ < 16 && strtod(buf, NULL) != d);
	/* fixed notation: %g shows these digits (it drops trailing zeros),
	 * or exp + 1 of them, all of a whole number */
	e = strchr(buf, 'e');
	if (e) {
		exp = atoi(e + 1);
		if (exp >= -4 && exp < 16)
			sprintf(buf, "%.*g", prec > exp ? prec : exp + 1, d);
	}
	/* a decimal point as Python's, but in "inf" */
	if (!strpbrk(buf, ".en"))
		strcat(buf, ".0");
}

/* Returns NULL if STR is a valid delay (stored in *ms), else the reason */
const char *check_delay(const char *str, unsigned *ms, char *msg, size_t size)
{
	char num[40];
	char *end;
	double d;

	/* out of range is no error: Python makes 1e400 inf, 1e-400 0.0 */
	d = strtod(str, &end);
	/* what Python's float() rejects: hex, trailing garbage; and nan */
	if (end == str || *skip_whitespace(end) || d != d || strpbrk(str, "xX")) {
		snprintf(msg, size, "invalid delay '%s': not a number", str);
		return msg;
	}
	if (d >= DELAY_MIN_DS / 10.0 && d <= DELAY_MAX_DS / 10.0) {
		*ms = (unsigned)(d * 1000 + 0.5);
		return NULL;
	}
	format_py_float(num, d);
	snprintf(msg, size, "\"%s\": Delay must be %s", num,
		d < DELAY_MIN_DS / 10.0 ? ">=0.1" : "<=25.5");
	return msg;
}

static void record_signal(int sig)
{
	if (sig == SIGWINCH)
		G.winch_received = 1;
	else if (sig == SIGHUP && G.log_file)
		G.hup_received = 1;
	else
		G.quit_signal = sig;
}

/*
 * SIGHUP reopens the -L file, else it quits like SIGTERM.
 * The signals stay blocked except inside wait_event()'s ppoll, so a
 * signal never interrupts a half-written record and is never missed
 * between the flag test and the sleep.
 */
void catch_signals(void)
{
	static const uint8_t sigs[] ALIGN1 = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	unsigned i;

	/* G.caught_signals is zeroed, i.e. empty (libbb's signal code
	 * relies on that too) */
	for (i = 0; i < sizeof(sigs); i++) {
		/* its SA_RESTART is moot: ppoll is never restarted */
		signal(sigs[i], record_signal);
		sigaddset(&G.caught_signals, sigs[i]);
	}
	/* the mask inside ppoll: ours open, even if inherited blocked */
	sigprocmask(SIG_UNBLOCK, &G.caught_signals, NULL);
	sigprocmask(SIG_BLOCK, &G.caught_signals, &G.wait_mask);
}

int wait_event(unsigned long long deadline_us, int fd)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		unsigned long long now = monotonic_us();
		struct timespec ts;

		if (G.quit_signal || G.hup_received || G.winch_received)
			return WAIT_SIGNAL;
		if (now >= deadline_us)
			return WAIT_TIMEOUT;
		ts.tv_sec = (deadline_us - now) / 1000000;
		ts.tv_nsec = (deadline_us - now) % 1000000 * 1000;
		/* poll skips a negative fd */
		if (ppoll(&pfd, 1, &ts, &G.wait_mask) > 0)
			return WAIT_READABLE;
	}
}

static void run_quit_hook(void)
{
	if (G.quit_hook)
		G.quit_hook();
}

/* Dies by SIG, after the fast cleanup; returns if SIG is held off */
static void raise_default(int sig)
{
	run_quit_hook();
	signal(sig, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &G.caught_signals, NULL);
	raise(sig);
}

/* SIGINT ends with status 0 like the reference's KeyboardInterrupt;
 * other signals end us by the signal */
void quit_on_signal(void)
{
	int sig = G.quit_signal;

	if (sig == SIGINT)
		quit_fast(EXIT_SUCCESS);
	raise_default(sig);
	_exit(128 + sig);
}

void quit_fast(int status)
{
	run_quit_hook();
	exit(status);
}

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	va_list p;
	int n;

	for (;;) {
		va_start(p, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, p);
		va_end(p);
		if (o->len + n < o->cap)
			break;
		o->cap = (o->len + n) * 2 + 256;
		o->buf = xrealloc(o->buf, o->cap);
	}
	o->len += n;
}

/* A closed pipe ends us the way it ends other tools: quietly, by SIGPIPE */
void out_write(int fd, const char *buf, size_t len)
{
	if (full_write(fd, buf, len) == (ssize_t)len)
		return;
	if (errno == EPIPE)
		raise_default(SIGPIPE);
	bb_simple_perror_msg("write error");
	quit_fast(EXIT_FAILURE);
}
