/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: show KVM statistics, from debugfs counters and perf tracepoints.
 * A rewrite of the Linux kernel's tools/kvm/kvm_stat for minimal hosts.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
//config:config KVM_STAT
//config:	bool "kvm_stat (23 kb)"
//config:	default y
//config:	help
//config:	Show statistics of the KVM hypervisor: the counters KVM keeps
//config:	in debugfs and the KVM perf tracepoints. Batch (-1), log (-l,
//config:	-L, CSV) and interactive top-like output, as the kernel's
//config:	tools/kvm/kvm_stat.
//config:
//config:config FEATURE_KVM_STAT_TUI
//config:	bool "Interactive screen"
//config:	default y
//config:	depends on KVM_STAT
//config:	help
//config:	The default mode: a top-like screen drawn with plain
//config:	ANSI/VT100 sequences (no curses), usable on serial consoles.
//config:
//config:config FEATURE_KVM_STAT_TRACEPOINTS
//config:	bool "Read KVM perf tracepoints"
//config:	default y
//config:	depends on KVM_STAT
//config:	help
//config:	Count KVM tracepoints (and exit reasons) with perf_event_open.
//config:	The default source; works under kernel lockdown.
//config:
//config:config FEATURE_KVM_STAT_BPF
//config:	bool "Count tracepoints with BPF programs"
//config:	default y
//config:	depends on FEATURE_KVM_STAT_TRACEPOINTS
//config:	help
//config:	Count the tracepoints in the kernel with small BPF programs
//config:	(no library needed) instead of one perf counter per event and
//config:	CPU: a guest pays less for being watched, and descriptors do
//config:	not grow with the CPUs. Perf counters remain the fallback
//config:	where the kernel refuses BPF, and with --no-bpf.
//config:
//config:config FEATURE_KVM_STAT_VCPU
//config:	bool "Per-vCPU breakdown (-v, the 'v' key)"
//config:	default y
//config:	depends on FEATURE_KVM_STAT_TRACEPOINTS
//config:	help
//config:	With one guest selected (-p, -g), count each vCPU thread on its
//config:	own: -v breaks every field down by vCPU in batch and log
//config:	output, the 'v' key shows one row per vCPU. BPF programs count
//config:	per thread only while it is on.
//config:config FEATURE_KVM_STAT_EXIT_TIMES
//config:	bool "Exit handling times (-e)"
//config:	default y
//config:	depends on FEATURE_KVM_STAT_BPF
//config:	help
//config:	Per exit reason: how long KVM and the VMM took from kvm_exit
//config:	to the next kvm_entry (count, time share, min, max, average,
//config:	p99), as perf kvm stat live shows it, measured in the kernel
//config:	by two BPF programs. The TUI's 'e' key, and -e with -1 or -l.
//config:
//config:config FEATURE_KVM_STAT_DEBUGFS
//config:	bool "Read KVM debugfs counters"
//config:	default y
//config:	depends on KVM_STAT
//config:	help
//config:	Read the counters KVM keeps in /sys/kernel/debug/kvm (-d).
//config:	At least one of the two sources must be enabled.
//config:
//config:config FEATURE_KVM_STAT_LOG
//config:	bool "Log mode (-l, -L, -c, -z)"
//config:	default y
//config:	depends on KVM_STAT
//config:	help
//config:	Print a record of deltas every interval, like vmstat, to
//config:	stdout or appended to a file, plain or CSV.
//config:
//config:config FEATURE_KVM_STAT_LONG_OPTIONS
//config:	bool "Long options (--once, --fields, ...)"
//config:	default y
//config:	depends on KVM_STAT && LONG_OPTS
//config:	help
//config:	Accept the long option names of the kernel's kvm_stat.

//applet:IF_KVM_STAT(APPLET(kvm_stat, BB_DIR_USR_BIN, BB_SUID_DROP))

//kbuild:lib-$(CONFIG_KVM_STAT) += kvm_stat.o kvm_stat_batch.o kvm_stat_stats.o kvm_stat_table.o kvm_stat_host.o kvm_stat_core.o

//usage:#define kvm_stat_trivial_usage
//usage:       "[-1"IF_FEATURE_KVM_STAT_LOG("lcz")IF_FEATURE_KVM_STAT_DEBUGFS("di")IF_FEATURE_KVM_STAT_TRACEPOINTS("t")IF_FEATURE_KVM_STAT_EXIT_TIMES("e")IF_FEATURE_KVM_STAT_VCPU("v")"] [-f REGEX] [-g NAME] [-p PID] [-s SEC]"
//usage:	IF_FEATURE_KVM_STAT_LOG(" [-L FILE]")
//usage:	IF_FEATURE_KVM_STAT_TEXTFILE(" [-O FILE]")
//usage:#define kvm_stat_full_usage "\n\n"
//usage:       "Show KVM statistics"
//usage:	IF_FEATURE_KVM_STAT_TUI(" (interactive screen unless -1 or -l/-L)")
//usage:     "\n"
//usage:     "\n	-1	Print totals and deltas over one second, then exit"
//usage:	IF_FEATURE_KVM_STAT_LOG(
//usage:     "\n	-l	Log a record of deltas every SEC seconds (like vmstat)"
//usage:     "\n	-L FILE	Like -l, appended to FILE (SIGHUP reopens it)"
//usage:     "\n	-c	Log in CSV format"
//usage:     "\n	-z	Skip log records with all zeros"
//usage:	)
//usage:	IF_FEATURE_KVM_STAT_TEXTFILE(
//usage:     "\n	-O FILE	Every SEC seconds (-1: once) write the totals to FILE"
//usage:     "\n		(- for stdout) for Prometheus' textfile collector"
//usage:	)
//usage:	IF_FEATURE_KVM_STAT_DEBUGFS(
//usage:     "\n	-d	Read debugfs counters"
//usage:     "\n	-i	With -d: include events from before the start"
//usage:	)
//usage:	IF_FEATURE_KVM_STAT_TRACEPOINTS(
//usage:     "\n	-t	Read perf tracepoints (default without -d)"
//usage:	)
//usage:	IF_FEATURE_KVM_STAT_EXIT_TIMES(
//usage:     "\n	-e	Exit handling times by reason (perf kvm stat live)"
//usage:	)
//usage:	IF_FEATURE_KVM_STAT_VCPU(
//usage:     "\n	-v	With -p/-g: each field per vCPU too (NAME/CPU 3/KVM)"
//usage:	)
//usage:	IF_FEATURE_KVM_STAT_BPF(IF_FEATURE_KVM_STAT_LONG_OPTIONS(
//usage:     "\n	--no-bpf	Count tracepoints with perf counters, not BPF"
//usage:	))
//usage:     "\n	-f REGEX	Show fields matching REGEX (POSIX ERE, anchored at"
//usage:     "\n		the start); -f help lists the fields"
//usage:     "\n	-g NAME	Restrict to the guest named NAME (QEMU -name)"
//usage:     "\n	-p PID	Restrict to the guest with process id PID"
//usage:     "\n	-s SEC	Delay between refreshes, 0.1-25.5 (default 3.0)"
//usage:	IF_FEATURE_KVM_STAT_TUI(
//usage:     "\n"
//usage:     "\nInteractive keys:"
//usage:     "\n	b	Toggle events by guests (debugfs only)"
//usage:     "\n	c	Clear filter"
//usage:	IF_FEATURE_KVM_STAT_EXIT_TIMES(
//usage:     "\n	e	Toggle exit handling times by reason"
//usage:	)
//usage:     "\n	f	Filter by regular expression"
//usage:     "\n	g	Filter by guest name"
//usage:     "\n	h	Help on interactive keys"
//usage:     "\n	o	Toggle sorting order (Total vs CurAvg/s)"
//usage:     "\n	p	Filter by PID"
//usage:     "\n	q	Quit"
//usage:     "\n	r	Reset stats"
//usage:     "\n	s	Set update interval"
//usage:	IF_FEATURE_KVM_STAT_VCPU(
//usage:     "\n	v	Toggle events by vCPU (with a guest selected)"
//usage:	)
//usage:     "\n	x	Toggle child trace events"
//usage:	)

#include "libbb.h"
#include "kvm_stat_common.h"

#if !ENABLE_FEATURE_KVM_STAT_DEBUGFS && !ENABLE_FEATURE_KVM_STAT_TRACEPOINTS
# error "kvm_stat needs a source: FEATURE_KVM_STAT_DEBUGFS or _TRACEPOINTS"
#endif

#if ENABLE_FEATURE_KVM_STAT_LONG_OPTIONS
static const char kvm_stat_longopts[] ALIGN1 =
	"once\0"		No_argument	"1"
	"batch\0"		No_argument	"1"
	"csv\0"			No_argument	"c"
	"debugfs\0"		No_argument	"d"
	"fields\0"		Required_argument "f"
	"guest\0"		Required_argument "g"
	"help\0"		No_argument	"h"
	"debugfs-include-past\0" No_argument "i"
	"log\0"			No_argument	"l"
	"log-to-file\0"		Required_argument "L"
	"pid\0"			Required_argument "p"
	"set-delay\0"		Required_argument "s"
	"tracepoints\0"		No_argument	"t"
	"skip-zero-records\0"	No_argument	"z"
	"textfile\0"		Required_argument "O"
	IF_FEATURE_KVM_STAT_VCPU("vcpus\0"	No_argument	"v")
	"exit-times\0"		No_argument	"e"
	IF_FEATURE_KVM_STAT_BPF("no-bpf\0"	No_argument	"\xff")
	;
#else
#define kvm_stat_longopts NULL
#endif

static void die_if_bad_delay(const char *str, unsigned *ms)
{
	char msg[80];

	if (check_delay(str, ms, msg, sizeof(msg)))
		bb_simple_error_msg_and_die(msg);
}

/* A pid as Python's int() reads it ("+5", " 5 ", "1_000"); 0 is all
 * guests; a negative one is no pid (the reference would misbehave) */
static int parse_pid(const char *str)
{
	char *buf = xmalloc(strlen(str) + 1);
	int ok = py_number(str, buf, 0);
	/* out of range: LLONG_MIN or LLONG_MAX, no pid either */
	long long pid = strtoll(buf, NULL, 10);

	free(buf);
	if (!ok || pid < 0 || pid > INT_MAX)
		die_printable("invalid pid '%s'", str);
	return pid;
}

/* -g NAME: the reference's messages, but several matches are no crash */
static int pid_of_guest(const char *name)
{
	struct outbuf list = { NULL, 0, 0 };
	int *pids;
	int i, n = host_find_guests(name, &pids);

	if (n == 1)
		return pids[0];
	if (n == 0)
		die_printable("no guest by the name \"%s\" found", name);
	for (i = 0; i < n; i++)
		outbuf_printf(&list, " %d", pids[i]);
	/* + 1: the list without its first space */
	bb_error_msg_and_die("multiple processes found (pids: %s). "
		"Use \"-p\" to specify the desired pid", list.buf + 1);
}

/*
 * -g and -p both given: the later one wins, as with the reference's
 * argparse (whose -g is looked up all the same, errors and all).
 * getopt32 does not keep the order, but their arguments point into
 * ARGV's strings, which the kernel lays out in order, one after the
 * other (what /proc/PID/cmdline reads): the later option's is the one
 * at the higher address (no -g: NULL, the lowest).
 */
static int pid_given_last(void)
{
	return (uintptr_t)G.pid_str > (uintptr_t)G.guest;
}

static void reject_missing_features(void)
{
	if (!ENABLE_FEATURE_KVM_STAT_LOG
	 && (G.opts & (OPT_l | OPT_L | OPT_c | OPT_z)))
		bb_simple_error_msg_and_die("log mode (-l, -L, -c, -z) is not built in");
	if (!ENABLE_FEATURE_KVM_STAT_TEXTFILE && (G.opts & OPT_O))
		bb_simple_error_msg_and_die("-O: textfile output is not built in");
	if (!ENABLE_FEATURE_KVM_STAT_EXIT_TIMES && (G.opts & OPT_e))
		bb_simple_error_msg_and_die("-e: exit times are not built in");
	if (!ENABLE_FEATURE_KVM_STAT_DEBUGFS && (G.opts & OPT_i))
		bb_simple_error_msg_and_die("-i: debugfs support is not built in");
}

/* The reference's checks, in an order that reports misuse first */
static void check_options(void)
{
	int err, pid;

	reject_missing_features();
	if ((G.opts & OPT_c) && !(G.opts & (OPT_l | OPT_L)))
		bb_simple_error_msg_and_die("option -c/--csv requires -l/--log");
	if ((G.opts & OPT_z) && !(G.opts & (OPT_l | OPT_L)))
		bb_simple_error_msg_and_die("option -z/--skip-zero-records requires -l/-L");
	if ((G.opts & OPT_e) && (G.opts & (OPT_O | OPT_d)))
		bb_simple_error_msg_and_die("option -e/--exit-times excludes -O and -d");
	if ((G.opts & OPT_O) && (G.opts & (OPT_l | OPT_L)))
		bb_simple_error_msg_and_die("option -O/--textfile excludes -l/-L");
	/* "-f help" compiles too: stats_list_fields() drops the filter */
	err = try_field_filter(G.filter_str);
	if (err)
		die_printable(err == FILTER_TOO_BIG
			? "\"%s\": regular expression too large"
			: "\"%s\" is not a valid regular expression",
			G.filter_str);
	G.delay_ms = DELAY_DEFAULT_MS;
	if (G.delay_str)
		die_if_bad_delay(G.delay_str, &G.delay_ms);
	pid = G.pid_str ? parse_pid(G.pid_str) : 0;
	if (G.guest)
		G.pid = pid_of_guest(G.guest);
	if (G.pid_str && pid_given_last())
		G.pid = pid;
	if (G.pid && !host_pid_exists(G.pid))
		bb_error_msg_and_die("pid %d does not exist "
			"(a thread id instead of a process id?)", G.pid);
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
/* -v: a vCPU is a thread of one guest, counted by a tracepoint. G.vcpus
 * is set here, before the providers' set-up reads it (the only build
 * where it can be 1) */
static void check_vcpus(void)
{
	const char *why;

	if (!(G.opts & OPT_v))
		return;
	G.vcpus = 1;
	why = stats_no_vcpus();
	if (why)
		bb_error_msg_and_die("option -v/--vcpus: %s", why);	/* one line */
	/* without textfile support, -O died in reject_missing_features() */
	if (ENABLE_FEATURE_KVM_STAT_TEXTFILE && (G.opts & OPT_O))
		bb_simple_error_msg_and_die("option -O/--textfile excludes -v/--vcpus");
}
#else
#define check_vcpus()	((void)0)
#endif

int kvm_stat_main(int argc, char **argv) MAIN_EXTERNALLY_VISIBLE;
int kvm_stat_main(int argc UNUSED_PARAM, char **argv)
{
	const char *root;

	INIT_G();
	/* '\xff': --no-bpf, a long option only */
	G.opts = getopt32long(argv, "1cdf:g:hilL:p:s:tzO:e"
			IF_FEATURE_KVM_STAT_VCPU("v")
			IF_FEATURE_KVM_STAT_BPF(IF_FEATURE_KVM_STAT_LONG_OPTIONS("\xff")),
			kvm_stat_longopts,
			&G.filter_str, &G.guest, &G.log_file, &G.pid_str, &G.delay_str,
			&G.textfile);
	if (G.opts & OPT_h) {
		xfunc_error_retval = 0;
		bb_show_usage();
	}
	if (argv[optind])
		bb_show_usage();
	root = getenv("KVM_STAT_ROOT");
	G.root = root ? root : "";
	signal(SIGPIPE, SIG_IGN);

	check_options();
	host_find_mounts();
	host_detect_arch();
	/* -e: the exit times' records, or the screen's first view */
	if (ENABLE_FEATURE_KVM_STAT_EXIT_TIMES && (G.opts & OPT_e)) {
		if (G.opts & (OPT_1 | OPT_l | OPT_L))
			exittime_run();
		IF_FEATURE_KVM_STAT_TUI(G.tui.exit_times = 1;)
	}
	stats_choose_sources();
	check_vcpus();

	if (G.filter_str && strcmp(G.filter_str, "help") == 0)
		stats_list_fields();
	stats_setup();

	if (ENABLE_FEATURE_KVM_STAT_LOG && (G.opts & (OPT_l | OPT_L)))
		log_run();
	if (ENABLE_FEATURE_KVM_STAT_TEXTFILE && (G.opts & OPT_O))
		textfile_run();
	if (!(G.opts & OPT_1)) {
		if (!ENABLE_FEATURE_KVM_STAT_TUI)
			bb_simple_error_msg_and_die("the interactive screen is not "
				"built in: use -1 (batch)"
				IF_FEATURE_KVM_STAT_LOG(" or -l (log)"));
		tui_run();
	}
	batch_run();
}
