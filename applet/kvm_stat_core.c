/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the core every other file uses: the field filter, delays,
 * signals and waiting, quitting, and the output buffer. It calls nothing
 * above it; the stats layer hooks its fast cleanup into G.quit_hook.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_common.h"

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

/*
 * regcomp() within a bound of memory. musl's (TRE) copies a bounded
 * repetition's subexpression once per repeat, and its memory grows faster
 * still: the 17 bytes "(.{0,255}){0,255}" took 36 s and 5.9 GB. With the
 * address space capped at what we use now plus REGEX_MEM_MAX, such a
 * regex fails with REG_ESPACE in a fraction of a second; a field filter
 * needs a few hundred KiB at most.
 */
#define REGEX_MEM_MAX	(64 << 20)
#ifdef __SANITIZE_ADDRESS__
/* AddressSanitizer maps its own memory as it goes and aborts where a cap
 * stops it: sanitizer builds compile regexes unbounded (the test of the
 * bound skips for them) */
# undef REGEX_MEM_MAX
# define REGEX_MEM_MAX	0
#endif
static int regcomp_bounded(regex_t *re, const char *str)
{
	struct rlimit old, cap;
	unsigned long pages = 0;
	char statm[64] = "";
	int err;

	/* "size resident ...": our address space now, in pages */
	open_read_close("/proc/self/statm", statm, sizeof(statm) - 1);
	pages = strtoul(statm, NULL, 10);
	getrlimit(RLIMIT_AS, &old);
	cap = old;
	if (pages && REGEX_MEM_MAX) {
		cap.rlim_cur = pages * getpagesize() + REGEX_MEM_MAX;
		if (cap.rlim_cur > old.rlim_cur)
			cap.rlim_cur = old.rlim_cur;
		prlimit(0, RLIMIT_AS, &cap, NULL);
	}
	err = regcomp(re, str, REG_EXTENDED);
	prlimit(0, RLIMIT_AS, &old, NULL);
	return err;
}

/* Returns 0 if RE compiles; FILTER_TOO_BIG or -1 (not valid) if not. The
 * TUI uses it to reject a bad filter. */
int try_field_filter(const char *re)
{
	regex_t new_re;
	int err;

	if (!re || !re[0]) {
		if (G.have_filter)
			regfree(&G.filter_re);
		G.have_filter = 0;
		G.filter_str = NULL;
		return 0;
	}
	err = regcomp_bounded(&new_re, re);
	if (err)
		return err == REG_ESPACE ? FILTER_TOO_BIG : -1;
	if (G.have_filter)
		regfree(&G.filter_re);
	G.filter_re = new_re;
	G.have_filter = 1;
	G.filter_str = re;
	return 0;
}

static char *make_printable(char *s)
{
	char *c;

	for (c = s; *c; c++)
		if ((unsigned char)*c < ' ' || (unsigned char)*c > '~')
			*c = '?';
	return s;
}

char *printable_dup(const char *s)
{
	return make_printable(xstrdup(s));
}

/* One string only: every message has one, and no varargs is smaller */
void die_printable(const char *fmt, const char *str)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, str);
	bb_simple_error_msg_and_die(make_printable(msg));
}

/*
 * Python's number syntax is C's (strtod, strtoul) but for two things:
 * '_' between two digits (dropped here) and no hex, nor nan(...) (the
 * letters of inf, infinity and nan only). Whitespace is trimmed.
 */
int py_number(const char *s, char *buf, int is_float)
{
	char *d = buf, *end;

	for (s = skip_whitespace(s); *s; s++)
		if (*s != '_' || d == buf || !isdigit(d[-1]) || !isdigit(s[1]))
			*d++ = *s;
	while (d > buf && isspace(d[-1]))
		d--;
	*d = '\0';
	if (buf[strspn(buf, is_float ? "+-.0123456789eEinfatyINFATY"
			: "+-0123456789")])
		return 0;
	if (is_float)
		strtod(buf, &end);
	else
		strtoul(buf, &end, 10);
	return *buf && end == d;
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
	char num[40], *buf = xmalloc(strlen(str) + 1);
	const char *fmt = "invalid delay '%s': not a number";
	int ok = py_number(str, buf, 1);
	/* out of range is no error: Python makes 1e400 inf, 1e-400 0.0 */
	double d = strtod(buf, NULL);

	free(buf);
	/* nan: Python's float() takes it, but it is no delay */
	if (ok && d == d) {
		if (d >= DELAY_MIN_DS / 10.0 && d <= DELAY_MAX_DS / 10.0) {
			*ms = (int)(d * 1000 + 0.5);
			return NULL;
		}
		format_py_float(num, d);
		str = num;
		fmt = "\"%s\": Delay must be %s";
	}
	/* one call for both: the first format leaves the limit unused */
	snprintf(msg, size, fmt, str,
		d < DELAY_MIN_DS / 10.0 ? ">=0.1" : "<=25.5");
	return make_printable(msg);
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
 * The signals stay blocked except inside the ppoll of wait_event() and
 * write_or_signal(), so a signal never interrupts a half-written record
 * and is never missed between the flag test and the sleep.
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

/*
 * write() all of BUF, waiting for room in ppoll with the caught signals
 * open: a write blocked on a pipe nobody reads, or on a terminal held by
 * flow control, gives way to SIGTERM, SIGINT and SIGHUP. Chunks of
 * PIPE_BUF: once ppoll says a pipe has room, that much never blocks.
 * Returns how much was written; less than LEN with errno (EINTR: a
 * quitting signal came, G.quit_signal says which).
 */
ssize_t write_or_signal(int fd, const char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		ppoll(&pfd, 1, NULL, &G.wait_mask);
		if (G.quit_signal) {
			errno = EINTR;
			break;
		}
		n = write(fd, buf + done, MIN(len - done, PIPE_BUF));
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			break;
		if (n > 0)
			done += n;
	}
	return done;
}

static void run_quit_hook(void)
{
	if (G.quit_hook)
		G.quit_hook();
}

/* Dies by SIG, after the fast cleanup */
static void die_by_signal(int sig) NORETURN;
static void die_by_signal(int sig)
{
	run_quit_hook();
	kill_myself_with_sig(sig);
}

/* SIGINT ends with status 0 like the reference's KeyboardInterrupt;
 * other signals end us by the signal */
void quit_on_signal(void)
{
	int sig = G.quit_signal;

	if (sig == SIGINT)
		quit_fast(EXIT_SUCCESS);
	die_by_signal(sig);
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
	if (write_or_signal(fd, buf, len) == (ssize_t)len)
		return;
	if (G.quit_signal)
		quit_on_signal();
	if (errno == EPIPE)
		die_by_signal(SIGPIPE);
	bb_simple_perror_msg("write error");
	quit_fast(EXIT_FAILURE);
}

/* ---- what the views that write every interval share ---- */

#if ENABLE_FEATURE_KVM_STAT_LOG || ENABLE_FEATURE_KVM_STAT_TEXTFILE \
 || ENABLE_FEATURE_KVM_STAT_EXIT_TIMES
int wait_tick(unsigned long long *next, unsigned interval_us)
{
	int hup = 0;

	*next += interval_us;
	while (wait_event(*next, -1) == WAIT_SIGNAL) {
		if (G.quit_signal)
			quit_on_signal();
		hup |= G.hup_received;
		G.hup_received = G.winch_received = 0;
	}
	/* late by more than an interval (we were stopped, or a write
	 * waited): one record now, then the rhythm again from here, as
	 * vmstat does, not a burst of records to catch up */
	if (monotonic_us() - *next > interval_us)
		*next = monotonic_us();
	return hup;
}
#endif

/* -l, -L: the log view's, and the exit times' (-e -l) */
#if ENABLE_FEATURE_KVM_STAT_LOG || ENABLE_FEATURE_KVM_STAT_EXIT_TIMES
void format_now(char stamp[TIMESTAMP_SIZE])
{
	time_t now = time(NULL);
	struct tm tm;

	/* strftime's "%Y-%m-%d %H:%M:%S", without its ~4 KiB of libc */
	localtime_r(&now, &tm);
	snprintf(stamp, TIMESTAMP_SIZE, "%d-%02d-%02d %02d:%02d:%02d",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "WHAT 'FILE': strerror", FILE's bytes made printable, then the exit */
static void log_file_error(const char *what) NORETURN;
static void log_file_error(const char *what)
{
	char *name = printable_dup(G.log_file);

	bb_perror_msg("%s '%s'", what, name);
	free(name);	/* nothing left for LeakSanitizer to report */
	quit_fast(EXIT_FAILURE);
}

/* Appends; creates with 0666 (less umask) as the reference */
int log_file_open(void)
{
	int fd = open(G.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0)
		log_file_error("can't open");
	return fd;
}

void record_write(int fd, const char *buf, size_t len)
{
	off_t end;

	if (!G.log_file) {
		out_write(fd, buf, len);
		return;
	}
	/* a full disk: the file keeps whole records only */
	end = lseek(fd, 0, SEEK_END);
	if (write_or_signal(fd, buf, len) != (ssize_t)len) {
		int err = errno;

		if (end >= 0 && ftruncate(fd, end) != 0) {
			/* not a regular file: nothing to take back */
		}
		if (G.quit_signal)
			quit_on_signal();
		errno = err;
		log_file_error("write error on");
	}
}
#endif
