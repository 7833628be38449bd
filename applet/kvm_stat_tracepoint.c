/* vi: set sw=4 ts=4: */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_TRACEPOINTS) += kvm_stat_tracepoint.o
/*
 * kvm_stat: the tracepoint provider. KVM's tracepoints
 * (<tracefs>/events/kvm/NAME) counted in the kernel, by BPF programs
 * where the kernel takes them, else by perf counters.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 *
 * Only the events that pass -f are counted, plus the parents of wanted
 * children. A child event such as kvm_exit(HLT) is its parent's hits with
 * one exit reason.
 *
 * The BPF path (kvm_stat_bpf.c): one program per tracepoint adds 1 to the
 * event's slot of one per-CPU array, and to the slot of the hit's reason.
 * It runs for the hits on every CPU, so the descriptors do not grow with
 * the CPUs; with -p it skips the hits of other processes, so vCPUs added
 * later count at once. The children cost no counter of their own: the
 * parent's program adds 1 to the slot of the hit's reason too.
 *
 * The perf path: one perf group per online CPU (all guests) or per thread
 * of the guest (-p/-g: one thread per vCPU). A group holds one counter per
 * wanted event; a child is a second counter on its parent's tracepoint
 * with the filter "exit_reason==12".
 *
 * Per vCPU (-v, 'v', with a guest): on the perf path, each thread's group
 * is a vCPU's counts. On the BPF path the programs also add 1 to a hash
 * map under { tid, slot } (only then: the plain programs stay as they
 * are), the reason's slot for an event with reasons (its own count is
 * their sum); its keys are read each refresh, so a thread that ended keeps
 * its counts and one that started late is there from its first hit.
 */
#include "libbb.h"
#include "kvm_stat_common.h"
#include "kvm_stat_bpf.h"

struct tp_event {
	char *key;	/* "kvm_pio", or "kvm_exit(HLT) kvm_exit" */
	char *filter;	/* perf: NULL, or "exit_reason==12" */
	unsigned id;	/* events/kvm/NAME/id */
	int code;	/* a child's exit reason; -1: an event of its own */
	/* BPF path: an event of its own, its program (a child: spec.slot) */
	struct bpf_count_spec spec;
	smallint raw;	/* attached as a raw tracepoint */
	unsigned long long base;	/* the count at the last TUI 'r' */
};

/*
 * A perf group counts every event for one target: a cpu (all guests), or
 * a thread of the guest (-p).
 */
struct tracepoint_state {
	struct tp_event *ev;
	unsigned nev;
	int *target;	/* per group: the cpu, or the thread id with -p */
	int *fds;	/* ngroups * nev, leader first in each group */
	unsigned ngroups;
	unsigned nqueued;	/* groups at target[ngroups...], not opened yet */
	unsigned long long *retired;	/* the counts of ended groups */
	/* per group, the time it was enabled as of the last read (all
	 * guests: one that stands still is a CPU's that went offline) */
	unsigned long long *time_enabled;
	/* BPF path: fds[] holds the maps and each program's raw tracepoint
	 * link or perf event, nfds of them */
	int map_fd;	/* -1: the perf path */
	unsigned nfds;
	unsigned ncpus;	/* possible CPUs, for the per-CPU values */
	unsigned long long *values;	/* one slot's per-CPU values */
	/* per-vCPU rows (-v) on the BPF path: the map of { tid, slot }, in
	 * fds[] too (closed with the programs' links) */
	IF_FEATURE_KVM_STAT_VCPU(int thread_map;)	/* -1: none; read with map_fd only */
};

/* The id of tracepoint kvm:NAME; 0 if NAME has no readable id (not an
 * event: "enable", "filter") */
unsigned read_event_id(const char *name)
{
	char buf[16] = "";
	char *path = xasprintf("%s/events/kvm/%s/id", G.tracefs, name);

	open_read_close(path, buf, sizeof(buf) - 1);
	free(path);
	return atoi(buf);	/* "103\n" */
}

static void add_event(unsigned id, char *key, char *filter, int code)
{
	struct tracepoint_state *tps = G.tps;
	struct tp_event *e;

	tps->ev = xrealloc(tps->ev, (tps->nev + 1) * sizeof(tps->ev[0]));
	e = &tps->ev[tps->nev++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->filter = filter;
	e->id = id;
	e->code = code;
}

/*
 * The exit-reason table of tracepoint NAME, and the record field that
 * holds the reason; -1 if it has none. kvm_exit's table is the host's
 * (EXITS_VMX is ARCH_VMX...): none for ARCH_UNKNOWN, s390 and ppc (which
 * has a field, exit_nr, but no table).
 */
static int reason_table(const char *name, const char **field)
{
	*field = NULL;
	if (strcmp(name, "kvm_exit") == 0) {
		*field = G.arch == ARCH_ARM64 ? "esr_ec" : "exit_reason";
		return G.arch;
	}
	if (strcmp(name, "kvm_userspace_exit") == 0) {
		*field = "reason";
		return EXITS_USER;
	}
	return -1;
}

/* kvm_exit(HLT) ... : every reason of the table that passes -f */
static NOINLINE void add_children(const char *parent, unsigned id)
{
	const char *field;
	char reason[EXIT_NAME_MAX], *name;
	int table = reason_table(parent, &field), code;
	unsigned i;

	for (i = 0; (code = exit_reason(table, i, reason)) >= 0; i++) {
		/* -f sees the child's own name: "kvm_exit(HLT)" */
		name = xasprintf("%s(%s)", parent, reason);
		if (field_wanted(name))
			add_event(id, xasprintf("%s %s", name, parent),
				xasprintf("%s==%d", field, code), code);
		free(name);
	}
}

/*
 * The directories of events/kvm that pass -f ("enable", "filter", "." and
 * ".." have no id), into G.tps. We run only with G.tracefs found
 * (choose_sources).
 */
static struct tracepoint_state *collect_events(void)
{
	char *dir = xasprintf("%s/events/kvm", G.tracefs);
	struct tracepoint_state *tps = G.tps;
	struct dirent *de;
	DIR *d = opendir(dir);
	unsigned id, nev;
	char *name;

	if (!tps)
		tps = G.tps = xzalloc(sizeof(*tps));
	if (!d)
		bb_perror_msg_and_die("no KVM tracepoints: %s "
			"(is the kvm module loaded?)", dir);
	while ((de = readdir(d)) != NULL) {
		id = read_event_id(de->d_name);
		if (id == 0)
			continue;
		/* the name as shown: a hostile tree's bytes never reach the
		 * terminal (the kernel's names are plain) */
		name = printable_dup(de->d_name);
		nev = tps->nev;
		add_children(name, id);
		/* the parent of a wanted child is shown too */
		if (tps->nev != nev || field_wanted(name))
			add_event(id, name, NULL, -1);
		else
			free(name);
	}
	closedir(d);
	free(dir);
	return tps;
}

static unsigned count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 64;	/* a guess without /proc */

	if (d) {
		for (n = 0; readdir(d); n++)
			continue;
		closedir(d);
	}
	return n;
}

/*
 * One descriptor per event of each new group, plus what is open already.
 * prlimit, not setrlimit: musl's setrlimit syncs every thread, code we
 * have no use for (one thread); getrlimit has no such cost.
 */
static void raise_nofile(unsigned groups)
{
	struct tracepoint_state *tps = G.tps;
	struct rlimit rl;
	rlim_t need = (rlim_t)groups * tps->nev + count_open_fds() + 16;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;	/* needs CAP_SYS_RESOURCE */
	if (prlimit(0, RLIMIT_NOFILE, &rl, NULL) != 0)
		bb_error_msg_and_die("need %lu open files: use -f to select "
			"fewer events, or raise 'ulimit -n'", (unsigned long)need);
}

static void NORETURN die_perf_open(const char *key)
{
	if (errno == EACCES || errno == EPERM)
		bb_simple_error_msg_and_die("perf events not permitted: run as "
			"root, or set /proc/sys/kernel/perf_event_paranoid to -1");
	bb_perror_msg_and_die("can't open perf event %s", key);
}

/*
 * Open the group of TARGET after the others. A target gone meanwhile is
 * skipped: a thread that ended before its leader opened (ESRCH), or after
 * it, which fails the members with ENODEV (as does a CPU gone offline).
 * QEMU's worker threads end at any time; -p must not die of one.
 */
static NOINLINE void open_group(struct tracepoint_state *tps, int target)
{
	int pid = G.pid ? target : -1, cpu = G.pid ? -1 : target;
	int *fds = tps->fds + tps->ngroups * tps->nev;
	const struct tp_event *e;
	int leader = -1;
	unsigned i;

	for (i = 0, e = tps->ev; i < tps->nev; i++, e++) {
		fds[i] = perf_open_tracepoint(e->id, e->filter, pid, cpu, leader);
		if (fds[i] < 0) {
			if (errno != ESRCH && errno != ENODEV)
				die_perf_open(e->key);
			while (i)
				close(fds[--i]);
			return;
		}
		leader = fds[0];
	}
	perf_enable(fds[0]);
	tps->time_enabled[tps->ngroups] = 0;
	tps->target[tps->ngroups++] = target;
}

/* Queue the group of TARGET, for open_groups() */
static void queue_group(int target)
{
	struct tracepoint_state *tps = G.tps;
	unsigned n = tps->ngroups + tps->nqueued++;

	tps->target = xrealloc(tps->target, (n + 1) * sizeof(int));
	tps->target[n] = target;
}

/* Open the queued groups (if any); the threads that ended meanwhile drop
 * out */
static void open_groups(void)
{
	struct tracepoint_state *tps = G.tps;
	unsigned i, end = tps->ngroups + tps->nqueued;

	if (!tps->nqueued)
		return;
	raise_nofile(tps->nqueued);
	tps->nqueued = 0;
	tps->fds = xrealloc(tps->fds, end * tps->nev * sizeof(int));
	tps->time_enabled = xrealloc(tps->time_enabled,
		end * sizeof(tps->time_enabled[0]));
	for (i = tps->ngroups; i < end; i++)
		open_group(tps, tps->target[i]);
}

static int have_group(int target)
{
	struct tracepoint_state *tps = G.tps;
	unsigned i;

	for (i = 0; i < tps->ngroups; i++)
		if (tps->target[i] == target)
			return 1;
	return 0;
}

/* /proc/PID/task/TID: QEMU runs each vCPU in a thread of its own. New
 * threads (vCPUs hot-added, or started late) join at the next read. */
static int thread_alive(int tid)
{
	char *path = host_path("/proc/%d/task/%d", G.pid, tid);
	int alive = access(path, F_OK) == 0;

	free(path);
	return alive;
}

/*
 * The group G of a thread that ended (QEMU's worker threads come and go)
 * swaps places with the last group and drops out of ngroups: the ended
 * groups gather past the live ones, for one hand-off to the closer.
 */
static void retire_group(struct tracepoint_state *tps, unsigned g)
{
	unsigned i, nev = tps->nev, last = --tps->ngroups;
	int *a = tps->fds + g * nev, *b = tps->fds + last * nev, fd;

	for (i = 0; i < nev; i++) {
		fd = a[i];
		a[i] = b[i];
		b[i] = fd;
	}
	tps->target[g] = tps->target[last];
	tps->time_enabled[g] = tps->time_enabled[last];
}

static void add_new_threads(void)
{
	char *path = host_path("/proc/%d/task", G.pid);
	DIR *d = opendir(path);
	struct dirent *de;
	int tid;

	free(path);
	if (!d)
		return;	/* the guest ended */
	while ((de = readdir(d)) != NULL) {
		tid = atoi(de->d_name);	/* 0: "." or ".." */
		if (tid == 0 || have_group(tid))
			continue;
		queue_group(tid);
	}
	closedir(d);
	open_groups();
}

/* "0-3,6,8-9\n": queues 0 1 2 3 6 8 9, but those that have a group;
 * returns 0 if malformed. Ascending without repeats, as the kernel writes
 * it: 65536 groups at most. */
static int queue_cpu_list(const char *s)
{
	unsigned long first, last, next = 0;
	char *end;

	do {
		first = last = strtoul(s, &end, 10);
		if (*end == '-') {
			s = end + 1;
			last = strtoul(s, &end, 10);
		}
		if (end == s || first < next || last < first || last > 65535)
			return 0;
		for (; first <= last; first++)
			if (!have_group(first))
				queue_group(first);
		next = first;
		s = end + 1;
	} while (*end == ',');
	return *end == '\n' || *end == '\0';
}

/*
 * One group per online CPU: counts of every guest on it. Asked again at
 * every read: a CPU that came online, or came back (its old group ended:
 * tracepoint_read), gets a group. A CPU's group is looked up among all
 * (have_group): CPUs x groups compares, ~65000 a read on 256 CPUs, where
 * the perf path already holds 256 x events descriptors.
 */
static void add_online_cpus(void)
{
	char buf[4096];
	char *path = host_path("/sys/devices/system/cpu/online");
	ssize_t len = open_read_close(path, buf, sizeof(buf) - 1);

	if (len < 0)
		bb_perror_msg_and_die("can't read '%s'", path);
	buf[len] = '\0';
	if (!queue_cpu_list(buf))
		bb_error_msg_and_die("can't parse '%s'", path);
	free(path);
	open_groups();
}

/* ---- the BPF path ---- */

/*
 * KVM_STAT_DEBUG (any value) says why the BPF path is not taken, with the
 * verifier's verdict; "refuse-bpf" makes the programs invalid, to test the
 * fallback.
 */
static const char *debug_env(void)
{
	return getenv("KVM_STAT_DEBUG");
}

/* "kvm_stat: BPF not used, counting with perf: WHY NAME: strerror[: LOG]" */
static void debug_bpf(const char *why, const char *name, int err,
		const char *log)
{
	if (debug_env())
		bb_error_msg("BPF not used, counting with perf: %s %s: %s%s%s",
			why, name, strerror(err), log ? ": " : "", log ? log : "");
}

/*
 * The verifier's verdict in its log: the last line that is not the
 * closing "processed N insns ..." (e.g. "R7 !read_ok"). The log is cut
 * into its lines in place.
 */
static const char *verifier_verdict(char *log)
{
	char *line = NULL, *s = log;

	while (*s) {
		if (!isspace(*s) && !is_prefixed_with(s, "processed "))
			line = s;
		s = strchrnul(s, '\n');
		if (*s)
			*s++ = '\0';
	}
	return line;
}

#if ENABLE_FEATURE_KVM_STAT_BPF	/* read by the BPF paths only */
/*
 * The number N of "KEY:N;" at *S, after blanks; *S moves past the ';', or
 * is NULL when that is not what is there. bb_strtou() takes digits only
 * (no sign, no blank), and gives UINT_MAX for ";" and for a number past
 * it: event_field() refuses that offset or size. Not sscanf(): its "%u"
 * takes "-8" too, and it would add ~6 KiB of libc to the binary.
 */
static unsigned format_number(char **s, const char *key)
{
	char *p = *s ? is_prefixed_with(skip_whitespace(*s), key) : NULL;
	unsigned n = p ? bb_strtou(p, s, 10) : 0;

	*s = p && **s == ';' ? *s + 1 : NULL;
	return n;
}

/*
 * The offset and size of FIELD in the records of tracepoint EVENT, from
 * its format file:
 *	field:unsigned int exit_reason;	offset:8;	size:4;	signed:0;
 * The kernel writes "TYPE NAME;", so " NAME;" is the field's own
 * declaration (not "common_NAME;" or "REC->NAME" in the print format).
 * Returns 0 if found where a program can read it as the programs do, a
 * u32 (as every reason field is: x86 exit_reason, arm64 esr_ec,
 * kvm_userspace_exit's reason): 4 bytes, aligned, past the 8 bytes the
 * kernel hides, within PERF_MAX_TRACE_SIZE.
 */
int event_field(const char *event, const char *field,
		unsigned *offset, unsigned *size)
{
	char *path = xasprintf("%s/events/kvm/%s/format", G.tracefs, event);
	char *text = xmalloc_open_read_close(path, NULL);
	char *name = xasprintf(" %s;", field);
	char *s = text ? strstr(text, name) : NULL;

	if (s) {
		s += strlen(name);
		*offset = format_number(&s, "offset:");
		*size = format_number(&s, "size:");
	}
	free(path);
	free(text);
	free(name);
	return s && *size == 4 && *offset % 4 == 0 && *offset >= 8
		&& *offset <= 2048 - 4 ? 0 : -1;
}
#endif

/*
 * How the program of tracepoint NAME finds the hit's reason, into SPEC,
 * for SPEC->nreasons (0: none, the event has no children): the reason's
 * place. Returns whether to attach it raw, the cheapest way (no perf
 * record is built per hit).
 * kvm_userspace_exit's reason is its raw argument 0: TP_PROTO(__u32 reason,
 * int errno) since the tracepoint came (Linux 2.6.35); the format agrees
 * (event_field takes only a 4-byte field). kvm_exit's reason is no
 * argument (the vcpu holds it): its program reads the record, where the
 * format file says.
 */
static int reason_spec(const char *name, struct bpf_count_spec *spec)
{
	const char *field;
	int table = reason_table(name, &field);

	if (!spec->nreasons || event_field(name, field, &spec->reason_offset,
			&spec->reason_size) != 0) {
		spec->nreasons = 0;	/* no children, or no such field */
		return 1;
	}
	if (table == EXITS_USER) {
		spec->reason_offset = 0;	/* args[0] */
		return 1;
	}
	return 0;
}

/*
 * The counters in the map: an event of its own has a slot, and with
 * children one more per reason code up to the highest child's and one for
 * the codes past it (no child reads that one); a child is its reason's
 * slot. Only an event with children reads the reason: the others' programs
 * are raw where they can be. Returns how many.
 */
static unsigned place_counters(struct tracepoint_state *tps)
{
	struct tp_event *e, *c, *end = tps->ev + tps->nev;
	unsigned n = 0;

	for (e = tps->ev; e < end; e++) {
		if (e->code >= 0)
			continue;
		e->spec.slot = n++;
		e->spec.reason_base = n;
		for (c = tps->ev; c < end; c++) {
			if (c->id != e->id || c->code < 0)
				continue;
			c->spec.slot = n + c->code;
			if (c->code >= (int)e->spec.nreasons)
				e->spec.nreasons = c->code + 1;
		}
		if (e->spec.nreasons)
			n += e->spec.nreasons + 1;
		/* no field: the reasons' slots stay 0 */
		e->raw = reason_spec(e->key, &e->spec);
	}
	return n;
}

/* The verifier's log of one program, under KVM_STAT_DEBUG only: a log
 * too small for the walk fails even a good program, with ENOSPC */
#define LOG_SIZE	(64 * 1024)

/* The counting program of event E, loaded and attached: the link or the
 * perf event that holds it, or -1 */
static int attach_program(struct tracepoint_state *tps, struct tp_event *e)
{
	const char *name = e->key;	/* an event of its own: its name */
	const char *debug = debug_env();
	char *log = debug ? xzalloc(LOG_SIZE) : NULL;
	int prog, fd;

	e->spec.tgid = G.pid;
	IF_FEATURE_KVM_STAT_VCPU(e->spec.thread_map = tps->thread_map;)
	IF_FEATURE_KVM_STAT_VCPU(e->spec.per_thread = tps->thread_map >= 0;)
	e->spec.invalid = debug && strcmp(debug, "refuse-bpf") == 0;
	prog = bpf_count_prog_load(tps->map_fd, &e->spec, e->raw, log, LOG_SIZE);
	if (prog < 0)
		debug_bpf("the kernel refused the program of", name, errno,
			log ? verifier_verdict(log) : NULL);
	free(log);
	if (prog < 0)
		return -1;
	if (e->raw) {
		fd = bpf_raw_tracepoint_open(name, prog);
	} else {
		/* one perf event of the tracepoint, on one online CPU, runs
		 * the program for the hits on every CPU; close() leaves errno
		 * as it is */
		fd = perf_open_tracepoint(e->id, NULL, -1, -1, -1);
		if (fd >= 0 && perf_attach_bpf(fd, prog) != 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		debug_bpf("can't attach the program to", name, errno, NULL);
	close(prog);	/* the link or the perf event holds it */
	return fd;
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
/* -v: the per-thread map, with the programs' links */
static int bpf_vcpu_setup(struct tracepoint_state *tps)
{
	tps->thread_map = bpf_thread_map_create();
	if (tps->thread_map < 0) {
		debug_bpf("can't create a map of", "-v", errno, NULL);
		return -1;
	}
	tps->fds[tps->nfds++] = tps->thread_map;
	return 0;
}

/* Every key counted so far: a thread that ended keeps its counts. A key
 * is its slot's event's, and its parent's with reasons (whose count is
 * the sum of its reasons'); a slot no event has is not shown */
static void bpf_read_vcpus(struct tracepoint_state *tps)
{
	struct bpf_thread_key key;
	const struct bpf_thread_key *prev = NULL;
	unsigned long long count;
	struct tp_event *e, *end = tps->ev + tps->nev;

	while (bpf_thread_op(BPF_THREAD_NEXT, tps->thread_map, prev, &key) == 0) {
		prev = &key;	/* NEXT reads it before it writes it */
		if (bpf_thread_op(BPF_THREAD_LOOKUP, tps->thread_map,
				&key, &count) != 0)
			continue;
		for (e = tps->ev; e < end; e++)
			if (e->spec.slot == key.slot || (e->spec.nreasons
			 && key.slot - e->spec.reason_base <= e->spec.nreasons))
				stats_add(stats_find_vcpu(e->key, key.tid), count);
	}
}

/* 'r': the per-thread counts start from zero (a hit in between is lost) */
static void bpf_reset_vcpus(struct tracepoint_state *tps)
{
	struct bpf_thread_key key;

	while (bpf_thread_op(BPF_THREAD_NEXT, tps->thread_map, NULL, &key) == 0
	 && bpf_thread_op(BPF_THREAD_DELETE, tps->thread_map, &key, NULL) == 0)
		continue;
}
#else
#define bpf_vcpu_setup(tps)	0
#endif

/*
 * Counting by BPF: a map, then one program per tracepoint. Returns 0, or
 * -1 (tracepoint_close_fast() then closes what is open, the perf path
 * takes over).
 */
static int bpf_setup(struct tracepoint_state *tps)
{
	struct tp_event *e;
	unsigned nslots = place_counters(tps);
	int fd;

	/* the maps, the counters' first (-v's next), then a link or perf
	 * event per event of its own */
	tps->fds = xrealloc(tps->fds, (tps->nev + 2) * sizeof(int));
	tps->nfds = 0;
	/* possible CPUs do not change while we run: asked once */
	if (!tps->ncpus)
		tps->ncpus = bpf_possible_cpus();
	tps->map_fd = tps->ncpus ? bpf_count_map_create(nslots) : -1;
	if (tps->map_fd < 0) {
		debug_bpf("can't create a map of", utoa(nslots), errno, NULL);
		return -1;
	}
	tps->fds[tps->nfds++] = tps->map_fd;
	/* values past the possible CPUs' stay 0: the kernel never writes
	 * more values than it has possible CPUs */
	if (!tps->values)
		tps->values = xzalloc(BPF_CPUS_MAX * sizeof(tps->values[0]));
	IF_FEATURE_KVM_STAT_VCPU(tps->thread_map = -1;)
	if (want_vcpus() && bpf_vcpu_setup(tps) != 0)
		return -1;
	for (e = tps->ev; e < tps->ev + tps->nev; e++) {
		if (e->code >= 0)
			continue;
		fd = attach_program(tps, e);
		if (fd < 0)
			return -1;
		tps->fds[tps->nfds++] = fd;
	}
	return 0;
}

/* Each event's count since the last 'r'; a slot that can't be read adds
 * nothing (and its row keeps its last value) */
static void bpf_read(struct tracepoint_state *tps)
{
	struct tp_event *e;
	unsigned long long sum;

	for (e = tps->ev; e < tps->ev + tps->nev; e++) {
		if (bpf_count_read(tps->map_fd, e->spec.slot, tps->values,
				tps->ncpus, &sum) == 0)
			stats_add(stats_find(e->key), sum - e->base);
	}
	IF_FEATURE_KVM_STAT_VCPU(if (tps->thread_map >= 0) bpf_read_vcpus(tps);)
}

#if ENABLE_FEATURE_KVM_STAT_TUI
static void bpf_reset(struct tracepoint_state *tps)
{
	struct tp_event *e;

	for (e = tps->ev; e < tps->ev + tps->nev; e++)
		bpf_count_read(tps->map_fd, e->spec.slot, tps->values,
			tps->ncpus, &e->base);
	IF_FEATURE_KVM_STAT_VCPU(if (tps->thread_map >= 0) bpf_reset_vcpus(tps);)
}
#endif

/* ---- setup, reading ---- */

/* --no-bpf, or a build without BPF: the perf path */
static int want_bpf(void)
{
	return ENABLE_FEATURE_KVM_STAT_BPF && !(G.opts & OPT_no_bpf);
}

void tracepoint_setup(void)
{
	struct tracepoint_state *tps = collect_events();

	tps->map_fd = -1;
	/* the perf path's counts of ended threads (-p), for these events */
	free(tps->retired);
	tps->retired = xzalloc(tps->nev * sizeof(tps->retired[0]));
	if (tps->nev == 0)
		return;	/* -f selects no tracepoint */
	if (want_bpf()) {
		if (bpf_setup(tps) == 0)
			return;
		tracepoint_close_fast();	/* what bpf_setup() opened */
	}
	if (G.pid)
		add_new_threads();
	else
		add_online_cpus();
}

/* Each event summed over the groups: one read per group, leader's fd */
void tracepoint_read(void)
{
	struct tracepoint_state *tps = G.tps;
	/* nr, the time enabled, then the counts */
	unsigned long long buf[tps->nev + 2];
	int idx[tps->nev + 1];	/* each event's stats entry */
	unsigned long long counted;
	unsigned g, i, n, ended, ngroups;
	int tid;

	if (ENABLE_FEATURE_KVM_STAT_BPF && tps->map_fd >= 0) {
		bpf_read(tps);
		stats_commit();
		return;
	}
	if (G.pid && tps->nev)	/* none: -f selects no tracepoint */
		add_new_threads();
	ngroups = tps->ngroups;	/* the ended ones gather past tps->ngroups */
	for (i = 0; i < tps->nev; i++) {
		idx[i] = stats_find(tps->ev[i].key);
		/* a row even with no group; the ended groups' counts */
		stats_add(idx[i], tps->retired[i]);
	}
	for (g = 0; g < tps->ngroups; ) {
		/*
		 * -p: a thread that ended before the read has its last counts
		 * kept in tps->retired, and its group goes to the closer below
		 * (the descriptors follow the live threads). Per-vCPU rows
		 * ('v', -v) read an ended vCPU's own group for its last counts:
		 * the groups of threads that counted stay while they are shown;
		 * those of threads that never did (QEMU's worker threads come
		 * and go by the thousand) go.
		 */
		tid = want_vcpus() ? tps->target[g] : 0;	/* -v: the vCPU */
		n = read(tps->fds[g * tps->nev], buf, sizeof(buf))
			== (ssize_t)sizeof(buf) ? tps->nev : 0;
		/*
		 * All guests: the group of a CPU that went offline counts no
		 * more, not even once the CPU is back (the kernel takes its
		 * events off the CPU for good): its time enabled stands still
		 * from then on, while a live group's moves with the clock. It
		 * ends as an ended thread's, and the CPU gets a new group
		 * when it is online (add_online_cpus).
		 */
		ended = G.pid ? !tid && !thread_alive(tps->target[g])
			: !n || buf[1] == tps->time_enabled[g];
		/* after a failed read, a value never compared: the group
		 * ends now, or is a thread's (whose time is not used) */
		tps->time_enabled[g] = buf[1];
		counted = 0;
		for (i = 0; i < n; i++) {
			stats_add(idx[i], buf[i + 2]);
			counted |= buf[i + 2];
			if (ended)
				tps->retired[i] += buf[i + 2];
		}
		/* -v: a group per thread, its counts are the vCPU's. Rows
		 * only once it counted: a row stays for good, and a worker's
		 * would be zeros shown nowhere, a few more each second. */
		for (i = 0; tid && counted && i < n; i++)
			stats_add(stats_find_vcpu(tps->ev[i].key, tid), buf[i + 2]);
		/* -v: a thread that counted is not even looked up */
		if (ended || (tid && !counted && !thread_alive(tid)))
			retire_group(tps, g);
		else
			g++;
	}
	perf_hand_off(tps->fds + tps->ngroups * tps->nev,
		(ngroups - tps->ngroups) * tps->nev);
	if (!G.pid && tps->nev)
		add_online_cpus();
	stats_commit();
}

#if ENABLE_FEATURE_KVM_STAT_TUI
/* TUI 'r': the counts start again from zero */
void tracepoint_reset(void)
{
	struct tracepoint_state *tps = G.tps;
	unsigned g;

	if (ENABLE_FEATURE_KVM_STAT_BPF && tps->map_fd >= 0)
		bpf_reset(tps);
	for (g = 0; g < tps->ngroups; g++)
		perf_reset(tps->fds[g * tps->nev]);
	memset(tps->retired, 0, tps->nev * sizeof(tps->retired[0]));
}

/* -f or -p changed (TUI): drop the counters in the background, reopen */
void tracepoint_refilter(void)
{
	struct tracepoint_state *tps = G.tps;

	tracepoint_close_fast();
	while (tps->nev) {
		tps->nev--;
		free(tps->ev[tps->nev].key);
		free(tps->ev[tps->nev].filter);
	}
	tracepoint_setup();	/* reuses the arrays */
}
#endif

/* Whether this kernel takes our programs: a one-slot map and a program
 * loaded, nothing attached */
static const char *bpf_path_note(void)
{
	struct bpf_count_spec spec;
	int map, prog;

	if (!want_bpf())
		return "perf counters (--no-bpf)";
	memset(&spec, 0, sizeof(spec));
	map = bpf_count_map_create(1);
	/* no map (-1): the verifier refuses the program */
	prog = bpf_count_prog_load(map, &spec, 1, NULL, 0);
	close(prog);
	close(map);
	return prog >= 0 ? "BPF programs" : "perf counters (no BPF here)";
}

/* -f help (no filter set): every event and child this host can count,
 * none opened; on stderr, how a run would count them */
void tracepoint_list_fields(void)
{
	struct tracepoint_state *tps = collect_events();
	unsigned i;

	for (i = 0; i < tps->nev; i++)
		stats_find(tps->ev[i].key);
	if (ENABLE_FEATURE_KVM_STAT_BPF)
		bb_error_msg("tracepoints are counted by %s", bpf_path_note());
}

/*
 * Quitting, and before a new set-up: no system calls that wait on the
 * kernel's RCU grace periods. The closer takes the perf events, the BPF
 * links and the map; what it holds goes on counting until it closes it.
 */
void tracepoint_close_fast(void)
{
	struct tracepoint_state *tps = G.tps;
	unsigned n;

	if (!tps)
		return;
	n = tps->ngroups * tps->nev;	/* the BPF path has no groups */
	if (ENABLE_FEATURE_KVM_STAT_BPF && tps->map_fd >= 0) {
		n = tps->nfds;	/* bpf_setup() starts them from 0 */
		tps->map_fd = -1;
	}
	perf_hand_off(tps->fds, n);
	tps->ngroups = 0;
}
