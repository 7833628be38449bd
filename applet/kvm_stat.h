/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: internal interfaces shared by the applet's files.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 *
 * Data flow: providers (debugfs, tracepoints) add counter values into the
 * stats table; views (batch, log, TUI) read only the stats table.
 */
#ifndef KVM_STAT_H
#define KVM_STAT_H 1

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
 * One counter as the views see it. The key is the event name, or
 * "child parent" for a child event (e.g. "kvm_exit(HLT) kvm_exit"),
 * or a pid in the TUI's by-guest view: the same keys as the reference,
 * so that sorting by key gives the reference's order.
 */
struct stat_entry {
	char *key;
	long long value;	/* total as of the last read */
	long long delta;	/* change since the read before */
	long long acc;	/* sum gathered by the provider reading now */
	smallint touched;	/* acc holds something in this read */
};

struct debugfs_state;
struct tracepoint_state;

struct globals {
	unsigned opts;
	const char *root;	/* $KVM_STAT_ROOT, "" by default */
	char *debugfs;	/* "<root><debugfs mount>", NULL if not mounted */
	char *tracefs;	/* "<root><tracefs mount>", NULL if none */
	char *debugfs_kvm;	/* "<debugfs>/kvm" */
	const char *filter_str;	/* -f as given; NULL or "": every field */
	smallint have_filter;
	smallint arch;
	smallint use_debugfs;
	smallint use_tracepoints;
	smallint include_past;	/* -i */
	smallint child_events;	/* TUI 'x' */
	int pid;	/* 0: all guests */
	unsigned delay_ms;	/* -s */
	const char *log_file;	/* -L */

	struct stat_entry *stats;
	unsigned nstats;
	unsigned stats_gen;	/* bumped when entries are dropped */

	struct debugfs_state *dfs;
	struct tracepoint_state *tps;

	/* set by signal handlers, seen by wait_event() */
	volatile sig_atomic_t quit_signal;	/* SIGINT, SIGTERM, SIGHUP w/o -L */
	volatile sig_atomic_t hup_received;	/* SIGHUP with -L: reopen */
	volatile sig_atomic_t winch_received;	/* SIGWINCH: TUI resize */
	sigset_t caught_signals;

	/* past offset 127, where x86 needs longer displacements: the
	 * big and the seldom used fields */
	sigset_t wait_mask;	/* inside ppoll: the caught ones open */
	regex_t filter_re;
	const char *guest, *pid_str, *delay_str;	/* -g, -p, -s as given */
};
#define G (*ptr_to_globals)
#define INIT_G() do { \
	SET_PTR_TO_GLOBALS(xzalloc(sizeof(G))); \
} while (0)

/* kvm_stat.c */
int field_wanted(const char *name);
int try_field_filter(const char *re);	/* -1 on a bad regex; NULL: none */
/* NULL if STR is a valid delay (then *ms is set), else the message */
const char *check_delay(const char *str, unsigned *ms, char *msg, size_t size);
void quit_fast(int status) NORETURN;	/* hand perf fds off, then exit */
void quit_on_signal(void) NORETURN;	/* after G.quit_signal: as the reference */
void catch_signals(void);	/* INT TERM HUP WINCH only set flags */
/* Sleep until monotonic_us() >= DEADLINE_US, a caught signal, or FD
 * (if >= 0) readable: returns 0 (time), -1 (signal) or 1 (fd) */
int wait_event(unsigned long long deadline_us, int fd);

/* kvm_stat_host.c: the host as seen through $KVM_STAT_ROOT */
/* "<root>FMT", xmalloc'ed; FMT is a string literal */
#define host_path(fmt, ...) xasprintf("%s" fmt, G.root, ##__VA_ARGS__)
void host_find_mounts(void);
void host_detect_arch(void);
int host_pid_exists(int pid);
char *host_guest_name(int pid);	/* "" if none; xmalloc'ed, raw bytes */
/* Pids (ascending) of the guests named NAME; NULL: every named guest */
int host_find_guests(const char *name, int **pids);	/* count */

/* kvm_stat_stats.c: name -> (value, delta), merged from the providers */
int stats_find(const char *key);	/* index, created if new */
void stats_add(int idx, long long v);
void stats_commit(void);	/* after each provider: value, delta */
void stats_update(int by_guest);	/* read every provider */
void stats_clear(void);	/* drop all entries: filter or pid changed */
void stats_reset(void);	/* TUI 'r': providers restart from zero */
void stats_refilter(void);	/* filter or pid changed: providers re-setup */
unsigned *stats_order_by_key(void);	/* xmalloc'ed, G.nstats indexes */
void stats_list_fields(void);	/* -f help */

/* kvm_stat_debugfs.c */
void debugfs_setup(void);
void debugfs_read(int by_guest);
void debugfs_reset(void);
void debugfs_refilter(void);
void debugfs_list_fields(void);

/* kvm_stat_tracepoint.c */
void tracepoint_setup(void);
void tracepoint_read(void);
void tracepoint_reset(void);
void tracepoint_refilter(void);
void tracepoint_list_fields(void);
void tracepoint_close_fast(void);	/* perf fds closed in the background */

/* kvm_stat_exits.c: exit-reason tables (names without their prefix).
 * kvm_exit's table is G.arch's (the other ARCH_* have none). The values
 * are in the generated tables too (testsuite/gen-exit-c.sh). */
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

/* kvm_stat_perf.c: the perf_event_open ABI, and the background closer */
/* FILTER: NULL, or e.g. "exit_reason==12"; GID: a cpu, or a thread (-p) */
int perf_open_tracepoint(unsigned id, const char *filter, int gid,
		int group_fd);
int perf_enable(int fd);	/* the whole group, through its leader */
int perf_reset(int fd);	/* the whole group's counts to 0 */
void perf_hand_off(const int *fds, unsigned n);

/* kvm_stat_batch.c, kvm_stat_log.c, kvm_stat_tui.c: the views */
void batch_run(void) NORETURN;
void log_run(void) NORETURN;
void tui_run(void) NORETURN;

/* Output: a record is built in memory and written at once */
struct outbuf {
	char *buf;
	size_t len, cap;
};
void outbuf_printf(struct outbuf *o, const char *fmt, ...)
	__attribute__ ((format (printf, 2, 3)));
/* write all or die; EPIPE ends quietly */
void out_write(int fd, const char *buf, size_t len);

POP_SAVED_FUNCTION_VISIBILITY

#endif
