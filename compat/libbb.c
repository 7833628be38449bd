/* vi: set sw=4 ts=4: */
/*
 * Standalone stand-ins for the libbb functions kvm_stat uses.
 * Behaviour follows BusyBox: messages are "applet: text", fatal errors
 * call die_func (if set) and exit with xfunc_error_retval.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "usage.h"	/* generated from the applet's //usage: block */

const char *applet_name = "kvm_stat";
uint8_t xfunc_error_retval = EXIT_FAILURE;
void (*die_func)(void);
uint32_t option_mask32;
int bb_optind;

void FAST_FUNC xfunc_die(void)
{
	if (die_func)
		die_func();
	exit(xfunc_error_retval);
}

static void verror_msg(const char *s, va_list p, const char *strerr)
{
	char buf[512];
	int used;

	used = snprintf(buf, sizeof(buf), "%s: ", applet_name);
	used += vsnprintf(buf + used, sizeof(buf) - used, s, p);
	if ((unsigned)used >= sizeof(buf) - 1)
		used = sizeof(buf) - 2;
	if (strerr)
		used += snprintf(buf + used, sizeof(buf) - used, ": %s", strerr);
	if ((unsigned)used >= sizeof(buf) - 1)
		used = sizeof(buf) - 2;
	buf[used++] = '\n';
	full_write(STDERR_FILENO, buf, used);
}

void FAST_FUNC bb_error_msg(const char *s, ...)
{
	va_list p;

	va_start(p, s);
	verror_msg(s, p, NULL);
	va_end(p);
}

void FAST_FUNC bb_error_msg_and_die(const char *s, ...)
{
	va_list p;

	va_start(p, s);
	verror_msg(s, p, NULL);
	va_end(p);
	xfunc_die();
}

void FAST_FUNC bb_perror_msg(const char *s, ...)
{
	va_list p;
	const char *err = strerror(errno);

	va_start(p, s);
	verror_msg(s, p, err);
	va_end(p);
}

void FAST_FUNC bb_perror_msg_and_die(const char *s, ...)
{
	va_list p;
	const char *err = strerror(errno);

	va_start(p, s);
	verror_msg(s, p, err);
	va_end(p);
	xfunc_die();
}

void FAST_FUNC bb_simple_error_msg(const char *s)
{
	bb_error_msg("%s", s);
}

void FAST_FUNC bb_simple_error_msg_and_die(const char *s)
{
	bb_error_msg_and_die("%s", s);
}

void FAST_FUNC bb_simple_perror_msg(const char *s)
{
	bb_perror_msg("%s", s);
}

void FAST_FUNC bb_simple_perror_msg_and_die(const char *s)
{
	bb_perror_msg_and_die("%s", s);
}

/* Like BusyBox: "--help" prints to stdout and exits 0, misuse to stderr, 1 */
void FAST_FUNC bb_show_usage(void)
{
	static const char usage[] ALIGN1 =
		"Usage: kvm_stat " kvm_stat_trivial_usage kvm_stat_full_usage "\n";
	int fd = xfunc_error_retval ? STDERR_FILENO : STDOUT_FILENO;

	full_write(fd, usage, sizeof(usage) - 1);
	xfunc_die();
}

void *FAST_FUNC xmalloc(size_t size)
{
	void *ptr = malloc(size);

	if (!ptr && size)
		bb_simple_error_msg_and_die("out of memory");
	return ptr;
}

void *FAST_FUNC xzalloc(size_t size)
{
	return memset(xmalloc(size), 0, size);
}

void *FAST_FUNC xrealloc(void *old, size_t size)
{
	void *ptr = realloc(old, size);

	if (!ptr && size)
		bb_simple_error_msg_and_die("out of memory");
	return ptr;
}

char *FAST_FUNC xstrdup(const char *s)
{
	return strcpy(xmalloc(strlen(s) + 1), s);
}

char *FAST_FUNC xasprintf(const char *format, ...)
{
	va_list p;
	char *string;
	int r;

	va_start(p, format);
	r = vasprintf(&string, format, p);
	va_end(p);
	if (r < 0)
		bb_simple_error_msg_and_die("out of memory");
	return string;
}

int FAST_FUNC xopen(const char *pathname, int flags)
{
	int fd = open(pathname, flags, 0666);

	if (fd < 0)
		bb_perror_msg_and_die("can't open '%s'", pathname);
	return fd;
}

ssize_t FAST_FUNC safe_read(int fd, void *buf, size_t count)
{
	ssize_t n;

	do
		n = read(fd, buf, count);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t FAST_FUNC full_write(int fd, const void *buf, size_t len)
{
	ssize_t cc, total = 0;

	while (len) {
		cc = write(fd, buf, len);
		if (cc < 0) {
			if (errno == EINTR)
				continue;
			return total ? total : cc;
		}
		total += cc;
		buf = (const char *)buf + cc;
		len -= cc;
	}
	return total;
}

ssize_t FAST_FUNC open_read_close(const char *filename, void *buf, size_t size)
{
	int fd = open(filename, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = safe_read(fd, buf, size);
	close(fd);
	return n;
}

/* Reads up to *maxsz_p bytes (no limit if maxsz_p is NULL), NUL-terminated */
void *FAST_FUNC xmalloc_open_read_close(const char *filename, size_t *maxsz_p)
{
	size_t max = maxsz_p ? *maxsz_p : INT_MAX - 4095;
	size_t len = 0, cap = 256;
	char *buf;
	int fd = open(filename, O_RDONLY);

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		if (len >= max)
			break;
		n = safe_read(fd, buf + len, (cap < max ? cap : max) - len);
		if (n < 0) {
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (maxsz_p)
		*maxsz_p = len;
	return buf;
}

char *FAST_FUNC skip_whitespace(const char *s)
{
	while (*s == ' ' || (unsigned char)(*s - 9) <= (13 - 9))
		s++;
	return (char *)s;
}

char *FAST_FUNC is_prefixed_with(const char *string, const char *key)
{
	while (*key != '\0') {
		if (*key != *string)
			return NULL;
		key++;
		string++;
	}
	return (char *)string;
}

/* libbb/signals.c: F for each signal whose bit (1 << sig) is in SIGS.
 * The bits are walked as unsigned: bit 31 (SIGSYS) makes the int
 * negative, and an int bit shifted into the sign is undefined. */
void FAST_FUNC bb_signals(int sigs, void (*f)(int))
{
	unsigned bits = sigs;
	int sig_no;

	for (sig_no = 0; bits; sig_no++, bits >>= 1) {
		if (bits & 1)
			signal(sig_no, f);
	}
}

/* libbb/signals.c: signal-safe (system calls only) */
void FAST_FUNC sig_unblock(int sig)
{
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, sig);
	sigprocmask(SIG_UNBLOCK, &ss, NULL);
}

/* libbb/signals.c: dies by SIG as by default, wherever it was blocked */
void FAST_FUNC kill_myself_with_sig(int sig)
{
	signal(sig, SIG_DFL);
	sig_unblock(sig);
	raise(sig);
	_exit(sig | 128);	/* not reached */
}

/* libbb/compare_string_array.c */
int FAST_FUNC index_in_strings(const char *strings, const char *key)
{
	int idx = 0;

	while (*strings) {
		if (strcmp(strings, key) == 0)
			return idx;
		strings += strlen(strings) + 1;	/* skip NUL */
		idx++;
	}
	return -1;
}

/* libbb/xfuncs.c: decimal, in a static buffer the next call overwrites */
char *FAST_FUNC utoa(unsigned n)
{
	static char local_buf[sizeof(n) * 3];

	sprintf(local_buf, "%u", n);
	return local_buf;
}

unsigned long long FAST_FUNC monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static unsigned long ret_erange(void)
{
	errno = ERANGE;
	return ULONG_MAX;
}

/*
 * libbb's bb_strtou, errno included: ERANGE for an overflow and for what
 * is no number at all ("", "abc", " 1", "12ab"), EINVAL for a number
 * followed by something else ("12 ", "12-3"; *endp shows where), else 0.
 */
unsigned FAST_FUNC bb_strtou(const char *arg, char **endp, int base)
{
	unsigned long v;
	char *end;

	if (!endp)
		endp = &end;
	*endp = (char *)arg;
	if (!isalnum((unsigned char)arg[0]))
		return ret_erange();
	errno = 0;
	v = strtoul(arg, endp, base);
	if (**endp) {
		if (isalnum((unsigned char)**endp) || errno)
			return ret_erange();
		errno = EINVAL;
	}
	return v > UINT_MAX ? ret_erange() : v;
}

/*
 * getopt32long: BusyBox's option parser, reduced to what kvm_stat needs.
 * Bit N of the result is set when the Nth option letter of optstring was
 * seen; options followed by ':' store their argument through the next
 * char** vararg, in optstring order. longopts is libbb's packed format:
 * "name\0" has_arg short_char, ... with has_arg "\0" or "\001".
 *
 * The scanning is our own, not libc's getopt_long: that one and the
 * stdio it prints with cost ~5 KiB of a static binary. It follows
 * getopt_long's rules and musl's messages: clustered letters ("-1d"),
 * "-fARG" and "-f ARG", "--name=ARG" and "--name ARG", unique prefixes
 * of long names, "--" ends the options, operands may come anywhere.
 * kvm_stat takes no operand, so none is permuted: optind is left at the
 * first one (argv[optind] is NULL when there is none).
 */
static void NORETURN bad_option(const char *why, const char *opt, int len)
{
	bb_error_msg("%s: %.*s", why, len, opt);
	bb_show_usage();
}

/* "name[=ARG]" (after "--"): its entry in longopts; *argp: ARG or NULL */
static const char *long_option(const char *longopts, const char *s,
		const char **argp)
{
	const char *lo, *hit = NULL;
	int len = strcspn(s, "="), matches = 0;

	for (lo = longopts; *lo; lo += strlen(lo) + 3) {
		if (strncmp(lo, s, len) != 0)
			continue;
		hit = lo;
		matches++;
		if (!lo[len]) {	/* an exact match beats any prefix */
			matches = 1;
			break;
		}
	}
	if (matches != 1)
		bad_option(matches ? "option is ambiguous" : "unrecognized option",
			s, strlen(s));
	*argp = s[len] ? s + len + 1 : NULL;
	if (*argp && !hit[strlen(hit) + 1])	/* has_arg */
		bad_option("option does not take an argument", hit, strlen(hit));
	return hit;
}

/* The result bit of option letter C, -1 if optstring lacks it */
static int option_bit(const char *optstring, int c)
{
	const char *s = strchr(optstring, c);
	int bit = 0;

	if (!s || c == ':')
		return -1;
	while (s-- != optstring)
		bit += (*s != ':');
	return bit;
}

uint32_t FAST_FUNC getopt32long(char **argv, const char *optstring,
		const char *longopts, ...)
{
	char **argp[32];
	const char *s, *arg, *name;
	unsigned n = 0;
	int i, bit, first_operand = 0;
	va_list p;

	va_start(p, longopts);
	for (s = optstring; *s; s++)
		if (*s != ':')
			argp[n++] = s[1] == ':' ? va_arg(p, char **) : NULL;
	va_end(p);
	for (i = 1; argv[i]; i++) {
		char *a = argv[i];

		if (a[0] != '-' || !a[1]) {
			if (!first_operand)
				first_operand = i;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[1] == '-' && longopts) {
			name = long_option(longopts, a + 2, &arg);
			bit = option_bit(optstring, name[strlen(name) + 2]);
			if (argp[bit] && !arg && !(arg = argv[++i]))
				bad_option("option requires an argument",
					name, strlen(name));
			option_mask32 |= 1U << bit;
			if (argp[bit])
				*argp[bit] = (char *)arg;
			continue;
		}
		/* "-abc": letters; one that takes an argument takes the rest
		 * of the word, or the next word */
		for (a++; *a; ) {
			name = a++;
			bit = option_bit(optstring, *name);
			if (bit < 0)
				bad_option("unrecognized option", name, 1);
			option_mask32 |= 1U << bit;
			if (!argp[bit])
				continue;
			arg = *a ? a : argv[++i];
			if (!arg)
				bad_option("option requires an argument", name, 1);
			*argp[bit] = (char *)arg;
			break;
		}
	}
	optind = first_operand ? first_operand : i;
	return option_mask32;
}

int main(int argc, char **argv)
{
	argv[0] = (char *)applet_name;	/* getopt's messages name the applet */
	/* BusyBox's appletlib answers "applet --help" itself, long options or not */
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		xfunc_error_retval = 0;
		bb_show_usage();
	}
	return kvm_stat_main(argc, argv);
}
