/* vi: set sw=4 ts=4: */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_TRACEPOINTS) += kvm_stat_tracepoint.o
/*
 * kvm_stat: the tracepoint provider. KVM's tracepoints
 * (<tracefs>/events/kvm/NAME) counted by perf events in the kernel.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 *
 * One perf group per online CPU (all guests) or per thread of the guest
 * (-p/-g: one thread per vCPU). A group holds one counter per wanted event;
 * a child event such as kvm_exit(HLT) is a second counter on the parent's
 * tracepoint with the filter "exit_reason==12". Only the events that pass
 * -f are opened, plus the parents of wanted children.
 */
#include "libbb.h"
#include "kvm_stat.h"

struct tp_event {
	char *key;	/* "kvm_pio", or "kvm_exit(HLT) kvm_exit" */
	char *filter;	/* NULL, or "exit_reason==12" (after the key's NUL) */
	unsigned id;	/* events/kvm/NAME/id */
	int stat_idx;	/* valid while tps->stats_gen is G.stats_gen + 1 */
};

struct tracepoint_state {
	struct tp_event *ev;
	unsigned nev;
	int *gid;	/* per group: cpu, or thread id with -p */
	int *fds;	/* ngroups * nev, leader first in each group */
	unsigned ngroups;
	unsigned nqueued;	/* groups at gid[ngroups...], not opened yet */
	unsigned stats_gen;	/* G.stats_gen + 1 at the keys' lookup; 0: none */
};

/* 0 if NAME has no readable id: not an event */
static unsigned read_event_id(const char *dir, const char *name)
{
	char buf[16] = "", *path = xasprintf("%s/%s/id", dir, name);

	open_read_close(path, buf, sizeof(buf) - 1);
	free(path);
	return atoi(buf);	/* "103\n" */
}

static void add_event(unsigned id, char *key, char *filter)
{
	struct tracepoint_state *tps = G.tps;
	struct tp_event *e;

	tps->ev = xrealloc(tps->ev, (tps->nev + 1) * sizeof(tps->ev[0]));
	e = &tps->ev[tps->nev++];
	e->key = key;
	e->filter = filter;
	e->id = id;
}

/*
 * kvm_exit(HLT) ... : every reason of the table that passes -f. The key
 * and the filter share one allocation: "kvm_exit(HLT) kvm_exit\0filter".
 * kvm_exit's table is the host's (EXITS_VMX is ARCH_VMX...): none for
 * ARCH_UNKNOWN, s390 and ppc (which has a field, exit_nr, but no table).
 */
static NOINLINE void add_children(const char *parent, unsigned id)
{
	const char *field = G.arch == ARCH_ARM64 ? "esr_ec" : "exit_reason";
	int table = G.arch;
	char reason[EXIT_NAME_MAX], *key;
	int code, which;
	unsigned i;

	which = index_in_strings("kvm_exit\0" "kvm_userspace_exit\0", parent);
	if (which < 0)
		return;
	if (which) {
		field = "exit_reason" + 5;	/* "reason" */
		table = EXITS_USER;
	}

	for (i = 0; (code = exit_reason(table, i, reason)) >= 0; i++) {
		/* "kvm_exit(HLT)" alone for -f, then joined to its parent */
		key = xasprintf("%s(%s)%c%s%c%s==%d", parent, reason, 0, parent,
			0, field, code);
		if (!field_wanted(key)) {
			free(key);
			continue;
		}
		key[strlen(key)] = ' ';
		add_event(id, key, strchr(key, '\0') + 1);
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

	if (!tps)
		tps = G.tps = xzalloc(sizeof(*tps));
	if (!d)
		bb_perror_msg_and_die("no KVM tracepoints: %s "
			"(is the kvm module loaded?)", dir);
	while ((de = readdir(d)) != NULL) {
		id = read_event_id(dir, de->d_name);
		if (id == 0)
			continue;
		nev = tps->nev;
		add_children(de->d_name, id);
		/* the parent of a wanted child is shown too */
		if (tps->nev != nev || field_wanted(de->d_name))
			add_event(id, xstrdup(de->d_name), NULL);
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
 * Open group GID after the others. A thread that ended meanwhile (ESRCH)
 * is skipped.
 */
static NOINLINE void open_group(struct tracepoint_state *tps, int gid)
{
	int *fds = tps->fds + tps->ngroups * tps->nev;
	const struct tp_event *e;
	int leader = -1;
	unsigned i;

	for (i = 0, e = tps->ev; i < tps->nev; i++, e++) {
		fds[i] = perf_open_tracepoint(e->id, e->filter, gid, leader);
		if (fds[i] < 0) {
			if (errno != ESRCH)
				die_perf_open(e->key);
			while (i)
				close(fds[--i]);
			return;
		}
		leader = fds[0];
	}
	perf_enable(fds[0]);
	tps->gid[tps->ngroups++] = gid;
}

/* Queue group GID, for open_groups() */
static void queue_group(int gid)
{
	struct tracepoint_state *tps = G.tps;
	unsigned n = tps->ngroups + tps->nqueued++;

	tps->gid = xrealloc(tps->gid, (n + 1) * sizeof(int));
	tps->gid[n] = gid;
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
	for (i = tps->ngroups; i < end; i++)
		open_group(tps, tps->gid[i]);
}

static int have_group(int gid)
{
	struct tracepoint_state *tps = G.tps;
	unsigned i;

	for (i = 0; i < tps->ngroups; i++)
		if (tps->gid[i] == gid)
			return 1;
	return 0;
}

/* /proc/PID/task/TID: QEMU runs each vCPU in a thread of its own. New
 * threads (vCPUs hot-added, or started late) join at the next read. */
static void add_new_threads(void)
{
	char *path = host_path("/proc/%d/task", G.pid);
	DIR *d = opendir(path);
	struct dirent *de;
	int tid;

	free(path);
	if (!d)
		return;	/* the guest ended: keep its final counts */
	while ((de = readdir(d)) != NULL) {
		tid = atoi(de->d_name);	/* 0: "." or ".." */
		if (tid == 0 || have_group(tid))
			continue;
		queue_group(tid);
	}
	closedir(d);
	open_groups();
}

/* "0-3,6,8-9\n": queues 0 1 2 3 6 8 9; returns 0 if malformed. Ascending
 * without repeats, as the kernel writes it: 65536 groups at most. */
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
		while (first <= last)
			queue_group(first++);
		next = first;
		s = end + 1;
	} while (*end == ',');
	return *end == '\n' || *end == '\0';
}

/* One group per online CPU: counts of every guest on it */
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

void tracepoint_setup(void)
{
	struct tracepoint_state *tps = collect_events();

	if (tps->nev == 0)
		return;	/* -f selects no tracepoint */
	if (G.pid)
		add_new_threads();
	else
		add_online_cpus();
}

/* Each event summed over the groups: one read per group, leader's fd */
void tracepoint_read(void)
{
	struct tracepoint_state *tps = G.tps;
	unsigned long long buf[tps->nev + 1];	/* nr, then the counts */
	struct tp_event *e;
	unsigned g, i;

	if (G.pid && tps->nev)	/* none: -f selects no tracepoint */
		add_new_threads();
	for (i = 0, e = tps->ev; i < tps->nev; i++, e++) {
		if (tps->stats_gen != G.stats_gen + 1)
			e->stat_idx = stats_find(e->key);
		stats_add(e->stat_idx, 0);	/* a row even with no group */
	}
	tps->stats_gen = G.stats_gen + 1;
	for (g = 0; g < tps->ngroups; g++) {
		if (read(tps->fds[g * tps->nev], buf, sizeof(buf))
				!= (ssize_t)sizeof(buf))
			continue;
		for (i = 0, e = tps->ev; i < tps->nev; i++, e++)
			stats_add(e->stat_idx, buf[i + 1]);
	}
	stats_commit();
}

#if ENABLE_FEATURE_KVM_STAT_TUI
/* TUI 'r': the counts start again from zero */
void tracepoint_reset(void)
{
	struct tracepoint_state *tps = G.tps;
	unsigned g;

	for (g = 0; g < tps->ngroups; g++)
		perf_reset(tps->fds[g * tps->nev]);
}

/* -f or -p changed (TUI): drop the counters in the background, reopen */
void tracepoint_refilter(void)
{
	struct tracepoint_state *tps = G.tps;

	tracepoint_close_fast();
	tps->stats_gen = 0;	/* the new keys: looked up at the next read */
	while (tps->nev) {
		tps->nev--;
		free(tps->ev[tps->nev].key);	/* the filter too */
	}
	tracepoint_setup();	/* reuses the arrays */
}
#endif

/* -f help (no filter set): every event and child this host can count,
 * none opened */
void tracepoint_list_fields(void)
{
	struct tracepoint_state *tps = collect_events();
	unsigned i;

	for (i = 0; i < tps->nev; i++)
		stats_find(tps->ev[i].key);
}

/* Quitting: no system calls that wait on the kernel's RCU grace periods */
void tracepoint_close_fast(void)
{
	struct tracepoint_state *tps = G.tps;

	if (tps) {
		perf_hand_off(tps->fds, tps->ngroups * tps->nev);
		tps->ngroups = 0;
	}
}
