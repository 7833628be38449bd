/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: internal interfaces shared by the applet's files.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 *
 * Calls run one way, each layer using only the ones below it:
 *
 *   kvm_stat.c          main: options, sources, mode dispatch
 *   batch, log, tui     the views; the TUI draws through kvm_stat_term.c
 *   stats               the only code that knows the providers
 *   debugfs, tracepoint the providers (tracepoint over perf, bpf, exits),
 *                       filling the table name -> (value, delta)
 *   table, core, host   the stats table; output buffer, field filter,
 *                       delays, signals and waiting; /proc, /sys, mounts
 *
 * The views read counters only from the stats table, which the providers
 * fill when the stats layer has them read. The TUI also asks the host
 * layer for guest names and pids (its headline, the 'g' prompt, the
 * by-guest rows) and sets the filter, the delay and the pid, which the
 * stats layer passes on to the providers.
 */
#ifndef KVM_STAT_COMMON_H
#define KVM_STAT_COMMON_H 1

#include <regex.h>

PUSH_AND_SET_FUNCTION_VISIBILITY_TO_HIDDEN

/* Option bits, in the order of the getopt32 option string */
enum {
	OPT_1 = 1 << 0,	/* -1 --once --batch */
	OPT_c = 1 << 1,	/* -c --csv */
	OPT_d = 1 << 2,	/* -d --debugfs */
	OPT_f = 1 << 3,	/* -f --fields REGEX */
	OPT_g = 1 << 4,	/* -g --guest NAME */
	OPT_h = 1 << 5,	/* -h --help */
	OPT_i = 1 << 6,	/* -i --debugfs-include-past */
	OPT_l = 1 << 7,	/* -l --log */
	OPT_L = 1 << 8,	/* -L --log-to-file FILE */
	OPT_p = 1 << 9,	/* -p --pid PID */
	OPT_s = 1 << 10,	/* -s --set-delay SECONDS */
	OPT_t = 1 << 11,	/* -t --tracepoints */
	OPT_z = 1 << 12,	/* -z --skip-zero-records */
	OPT_O = 1 << 13,	/* -O --textfile FILE */
	OPT_e = 1 << 14,	/* -e --exit-times */
	/* -v --vcpus: before '\xff', which not every build has */
	OPT_v = (1 << 15) * ENABLE_FEATURE_KVM_STAT_VCPU,
	OPT_no_bpf = 1 << (15 + ENABLE_FEATURE_KVM_STAT_VCPU),	/* --no-bpf
				 * (long only: the letter '\xff') */
};

/* Host architecture, as far as exit-reason names are concerned */
enum {
	ARCH_UNKNOWN,	/* no exit-reason children */
	ARCH_VMX,	/* x86 Intel (kvm_intel) */
	ARCH_SVM,	/* x86 AMD (kvm_amd) */
	ARCH_ARM64,
	ARCH_S390,
	ARCH_PPC,
};

/* Delay limits of -s and the TUI's 's' key, in tenths of a second */
#define DELAY_MIN_DS	1
#define DELAY_MAX_DS	255
#define DELAY_DEFAULT_MS	3000

/*
 * One counter as the views see it. KEY gives the sort order only: the
 * reference's keys, so that sorting by key gives the reference's order.
 * It is the event name, "child parent" for a child event (e.g.
 * "kvm_exit(HLT) kvm_exit"), or a pid in the TUI's by-guest view.
 * stats_find() works out the rest once. A per-vCPU row (-v, 'v') has an
 * event's key and the vCPU thread's TID; the guest's sums have tid 0.
 */
struct stat_entry {
	char *key;
	const char *parent;	/* a child event's parent (inside KEY); NULL */
	int name_len;	/* the name shown: KEY's first NAME_LEN bytes */
	int pid;	/* a by-guest row: its guest; else 0 */
	int tid;	/* a per-vCPU row (-v, 'v'): its thread; else 0 */
	char *vcpu;	/* and its name, as first seen */
	unsigned long long value;	/* total as of the last read (u64) */
	long long delta;	/* change since the read before */
	unsigned long long acc;	/* sum gathered by the provider reading now */
	smallint touched;	/* acc holds something in this read */
	smallint unreadable;	/* -f help: a counter we may not read */
};

struct debugfs_state;
struct tracepoint_state;
struct exittime_state;

/* The screen (kvm_stat_term.c, allocated by term_start()): a cell is (attributes << 8 | byte), 0 for
 * a blank; WANT is the frame being drawn, HAVE what the terminal shows */
struct term_state {
	struct termios saved;
	uint16_t *want, *have;	/* one allocation, with line */
	char *line;	/* scr_printf()'s text: one screen row */
	int rows, cols;
	int cur_row, cur_col;	/* 1-based, as sent; cur_row 0: hidden */
	smallint cursor_hidden;
	smallint raw;	/* saved must be put back */
	smallint unread;	/* input_byte() gives last again */
	smallint hung_up;	/* read() saw the end of the terminal */
	volatile smallint resumed;	/* SIGCONT after a stop: redraw all */
	unsigned char last;	/* input_byte()'s */
	unsigned char attr;	/* out_attr()'s, 0 between rows */
	unsigned outlen;
	char out[4096];	/* a frame is sent in as few writes as this allows */
};

/* The interactive views (kvm_stat_tui.c) */
struct tui_state {
	char *gname;	/* the watched guest's name when the header was drawn */
	char *filter;	/* our copy of the regex set with 'f' */
	int headline_len;
	smallint by_guest;	/* 'b' */
	smallint sort_total;	/* 'o' */
	smallint child_events;	/* 'x' */
	smallint exit_times;	/* 'e' */
};

struct globals {
	unsigned opts;
	const char *filter_str;	/* -f as given; NULL or "": every field */
	smallint have_filter;
	smallint arch;
	smallint use_debugfs;
	smallint use_tracepoints;
	smallint vcpus;	/* -v, 'v': per-vCPU rows wanted (with G.pid) */
	int pid;	/* 0: all guests */
	unsigned delay_ms;	/* -s */

	struct stat_entry *stats;
	unsigned nstats;
	unsigned find_hint;	/* where stats_find()'s last search ended */

	struct debugfs_state *dfs;
	struct tracepoint_state *tps;
	IF_FEATURE_KVM_STAT_TUI(struct tui_state tui;)
	IF_FEATURE_KVM_STAT_TUI(struct term_state *term;)

	/* set by signal handlers, seen by wait_event() */
	volatile sig_atomic_t quit_signal;	/* SIGINT, SIGTERM, SIGHUP w/o -L */
	volatile sig_atomic_t hup_received;	/* SIGHUP with -L: reopen */
	volatile sig_atomic_t winch_received;	/* SIGWINCH: TUI resize */
	/* The fields above are used all over: x86 reaches offsets up to 127
	 * with one byte of displacement, further ones take four (see
	 * check_globals_layout()). The big and the seldom used ones follow. */
	sigset_t caught_signals;
	sigset_t wait_mask;	/* inside ppoll: the caught ones open */
	void (*quit_hook)(void);	/* set by the stats layer: fast cleanup */
	const char *log_file;	/* -L */
	const char *textfile;	/* -O */
	const char *root;	/* $KVM_STAT_ROOT, "" by default */
	char *debugfs;	/* "<root><debugfs mount>", NULL if not mounted */
	char *tracefs;	/* "<root><tracefs mount>", NULL if none */
	char *debugfs_kvm;	/* "<debugfs>/kvm" */
	regex_t filter_re;
	const char *guest, *pid_str, *delay_str;	/* -g, -p, -s as given */
	IF_FEATURE_KVM_STAT_EXIT_TIMES(struct exittime_state *ext;)
};
#define G (*ptr_to_globals)
#define INIT_G() do { \
	SET_PTR_TO_GLOBALS(xzalloc(sizeof(G))); \
	check_globals_layout(); \
} while (0)
#define check_globals_layout() \
	BUILD_BUG_ON(offsetof(struct globals, caught_signals) > 127)

/* kvm_stat_core.c: what every layer uses */
int field_wanted(const char *name);
/* 0, or -1 for a bad regex, FILTER_TOO_BIG for one regcomp would spend
 * seconds and gigabytes on; NULL or "": no filter */
int try_field_filter(const char *re);
#define FILTER_TOO_BIG	(-2)
/* Python's int() or float() syntax (blanks around, a sign, '_' between
 * digits; float: inf, nan): 1 and in BUF (as long as S) without the blanks
 * and '_', for strtol or strtod; else 0 */
int py_number(const char *s, char *buf, int is_float);
/* S with every byte that is not printable ASCII as '?': host and user
 * strings never drive the terminal; xmalloc'ed */
char *printable_dup(const char *s);
/* bb_error_msg_and_die(FMT, STR), the message made printable so (and cut
 * at 255); FMT has one %s */
void die_printable(const char *fmt, const char *str) NORETURN;
/* NULL if STR is a valid delay (then *ms is set), else the message */
const char *check_delay(const char *str, unsigned *ms, char *msg, size_t size);
void quit_fast(int status) NORETURN;	/* G.quit_hook, then exit */
void quit_on_signal(void) NORETURN;	/* after G.quit_signal: as the reference */
void catch_signals(void);	/* INT TERM HUP WINCH only set flags */
/* Sleep until monotonic_us() >= DEADLINE_US, a caught signal, or FD
 * (if >= 0) readable */
enum { WAIT_SIGNAL = -1, WAIT_TIMEOUT = 0, WAIT_READABLE = 1 };
int wait_event(unsigned long long deadline_us, int fd);

/* Output: a record is built in memory and written at once */
struct outbuf {
	char *buf;
	size_t len, cap;
};
void outbuf_printf(struct outbuf *o, const char *fmt, ...)
	__attribute__ ((format (printf, 2, 3)));
/* write all or die; EPIPE ends quietly, a quitting signal as it says */
void out_write(int fd, const char *buf, size_t len);
ssize_t write_or_signal(int fd, const char *buf, size_t len);

/* The views that write every interval (log, textfile, exit times):
 * wait_tick() sleeps to the next tick of a rhythm of INTERVAL_US after
 * *NEXT, quitting on SIGTERM and friends; returns whether SIGHUP asked
 * for the -L file anew (logrotate) */
int wait_tick(unsigned long long *next, unsigned interval_us);
#define TIMESTAMP_SIZE 72	/* "2024-05-01 12:00:00"; room for any int */
void format_now(char stamp[TIMESTAMP_SIZE]);	/* local time */
int log_file_open(void);	/* -L FILE, appended to, or exit */
/* A record to FD: stdout, or the -L file, which keeps whole records
 * only (a full disk); or exit */
void record_write(int fd, const char *buf, size_t len);

/* kvm_stat_host.c: the host as seen through $KVM_STAT_ROOT */
/* "<root>FMT", xmalloc'ed; FMT is a string literal */
#define host_path(fmt, ...) xasprintf("%s" fmt, G.root, ##__VA_ARGS__)
void host_find_mounts(void);
void host_detect_arch(void);
int host_pid_exists(int pid);
char *host_guest_name(int pid);	/* "" if none; xmalloc'ed, raw bytes */
/* A vCPU as its VMM names its thread ("CPU 3/KVM"), else its tid;
 * xmalloc'ed, printable */
char *host_vcpu_name(int pid, int tid);
/* Pids (ascending) of the guests named NAME; NULL: every named guest */
int host_find_guests(const char *name, int **pids);	/* count */

/* kvm_stat_table.c: the table G.stats, name -> (value, delta), filled by
 * the providers, read by the views */
int stats_find(const char *key);	/* index, created if new */
int stats_find_guest(int pid);	/* the by-guest row of PID */
int stats_find_vcpu(const char *key, int tid);	/* KEY's row of vCPU TID */
void stats_add(int idx, unsigned long long v);	/* modulo 2^64 */
void stats_commit(void);	/* after each provider: value, delta */
void stats_clear(void);	/* drop all entries: filter or pid changed */
unsigned *stats_order_by_key(void);	/* xmalloc'ed, G.nstats indexes */

/* kvm_stat_stats.c: the providers, behind one interface */
void stats_choose_sources(void);	/* -d, -t, or the default */
void stats_setup(void);	/* the chosen providers' counters opened */
void stats_list_fields(void) NORETURN;	/* -f help */
void stats_update(int by_guest);	/* read every provider */
void stats_reset(void);	/* TUI 'r': providers restart from zero */
void stats_refilter(void);	/* filter or pid changed: providers re-setup */
/* per-vCPU rows wanted ('v', -v) and a guest selected */
#define want_vcpus()	(ENABLE_FEATURE_KVM_STAT_VCPU && G.vcpus && G.pid)
/* -v given (with a guest: main checks) */
#define opt_vcpus()	(ENABLE_FEATURE_KVM_STAT_VCPU && G.vcpus)
/* Why no per-vCPU rows can be had (no guest, or debugfs only), or NULL */
const char *stats_no_vcpus(void);
/* The textfile view: from now on, stats_update() gives each guest's
 * debugfs counters to ROW as the kernel counts them (GAUGE: an instant
 * value), not to the table, which keeps the tracepoints' all-guests
 * counts only */
typedef void guest_row_fn(void *ctx, int pid, const char *field,
		unsigned long long value, int gauge);
void stats_guest_rows(guest_row_fn *row, void *ctx);

/* kvm_stat_debugfs.c */
void debugfs_setup(void);
void debugfs_read(int by_guest);
void debugfs_reset(void);
void debugfs_refilter(void);
void debugfs_list_fields(void);
void debugfs_guest_rows(guest_row_fn *row, void *ctx);

/* kvm_stat_tracepoint.c */
void tracepoint_setup(void);
void tracepoint_read(void);
void tracepoint_reset(void);
void tracepoint_refilter(void);
void tracepoint_list_fields(void);
void tracepoint_close_fast(void);	/* perf fds closed in the background */
unsigned read_event_id(const char *name);	/* events/kvm/NAME/id; 0: none */
/* FIELD's place in the records of events/kvm/EVENT (its format file): 0,
 * or -1 if missing or not readable by a BPF program */
int event_field(const char *event, const char *field,
		unsigned *offset, unsigned *size);

/* kvm_stat_exittime.c: exit handling times (-e), with their own programs
 * and views (the stats table holds counts only) */
void exittime_run(void) NORETURN;	/* -1 -e, -l -e */
void exittime_draw(int reset);	/* the TUI's 'e' body; RESET: 'r' */

/* kvm_stat_exits.c: exit-reason tables (names without their prefix).
 * kvm_exit's table is G.arch's (the other ARCH_* have none). The values
 * are read by scripts/gen-exit-c.sh too. */
enum {
	EXITS_VMX = ARCH_VMX,
	EXITS_SVM = ARCH_SVM,
	EXITS_ARM64 = ARCH_ARM64,
	EXITS_USER = 0x10,	/* kvm_userspace_exit's: above every ARCH_* */
};
#define EXIT_NAME_MAX	32	/* the longest name and its NUL */
/* The I-th reason of TABLE: its name into NAME[EXIT_NAME_MAX], its code
 * returned; -1 past the end, or if there is no such table */
int exit_reason(int table, unsigned i, char *name);
/*
 * Exit times: the codes of TABLE as the slots of an array; 0 if there is
 * no such table. The codes run up from 0 with at most one wide gap (SVM:
 * 0..0xa6, then 0x400..0x403), slotless from *GAP_AT (0xc0: room for new
 * codes) to *GAP_END (the first code after it): code c >= *GAP_END has
 * slot c - (*GAP_END - *GAP_AT). No gap: both are the slots returned.
 */
unsigned exit_reason_slots(int table, unsigned *gap_at, unsigned *gap_end);

/* kvm_stat_perf.c: the perf_event_open ABI, and the background closer */
/* FILTER: NULL, or e.g. "exit_reason==12". PID -1 and a CPU: every
 * thread on that cpu; a thread PID and CPU -1: that thread anywhere. */
int perf_open_tracepoint(unsigned id, const char *filter, int pid, int cpu,
		int group_fd);
int perf_enable(int fd);	/* the whole group, through its leader */
int perf_reset(int fd);	/* the whole group's counts to 0 */
void perf_hand_off(const int *fds, unsigned n);

/* kvm_stat_batch.c, kvm_stat_log.c, kvm_stat_tui.c: the views */
void batch_run(void) NORETURN;
void log_run(void) NORETURN;
void textfile_run(void) NORETURN;
void tui_run(void) NORETURN;

POP_SAVED_FUNCTION_VISIBILITY

#endif
