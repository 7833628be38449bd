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
	char *filter;	/* NULL, or "exit_reason==12" */
	unsigned id;	/* events/kvm/NAME/id */
	int stat_idx;
	unsigned long long sum;	/* over all groups, this read */
};

struct tracepoint_state {
	struct tp_event *ev;
	unsigned nev;
	int *gid;	/* per group: cpu, or thread id with -p */
	int *fds;	/* ngroups * nev, leader first in each group */
	unsigned ngroups;
	unsigned stats_gen;
	unsigned long long *buf;	/* one group read: nr, values[nev] */
};
#define T (*G.tps)

/* Where children hang: parent tracepoint, filtered field, reason table */
struct tp_parent {
	const char *name;
	const char *field;
	int table;
};

/* kvm_exit's field per architecture; ppc has a field but no table yet */
static int exit_parent(struct tp_parent *p)
{
	static const char fields[] ALIGN1 =
		"\0exit_reason\0exit_reason\0esr_ec\0\0exit_nr\0";
	static const signed char tables[] = {
		[ARCH_VMX] = EXITS_VMX, [ARCH_SVM] = EXITS_SVM,
		[ARCH_ARM64] = EXITS_ARM64, [ARCH_UNKNOWN] = -1,
		[ARCH_S390] = -1, [ARCH_PPC] = -1,
	};
	const char *f = fields;
	int i;

	for (i = 0; i < G.arch; i++)
		f += strlen(f) + 1;
	p->name = "kvm_exit";
	p->field = f;
	p->table = tables[G.arch];
	return p->table >= 0;
}

static int find_parent(const char *name, struct tp_parent *p)
{
	if (strcmp(name, "kvm_userspace_exit") == 0) {
		p->name = "kvm_userspace_exit";
		p->field = "reason";
		p->table = EXITS_USER;
		return 1;
	}
	return strcmp(name, "kvm_exit") == 0 && exit_parent(p);
}

static char *kvm_events_dir(void)
{
	if (!G.tracefs)
		bb_simple_error_msg_and_die("tracefs is not mounted "
			"(mount -t tracefs nodev /sys/kernel/tracing), or use -d");
	return xasprintf("%s/events/kvm", G.tracefs);
}

static unsigned read_event_id(const char *dir, const char *name)
{
	char buf[16], *path = xasprintf("%s/%s/id", dir, name);
	ssize_t n = open_read_close(path, buf, sizeof(buf) - 1);

	free(path);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return bb_strtou(buf, NULL, 10);	/* "103\n" */
}

static struct tp_event *add_event(unsigned id, char *key, char *filter)
{
	struct tp_event *e;

	if ((T.nev & 31) == 0)
		T.ev = xrealloc(T.ev, (T.nev + 32) * sizeof(T.ev[0]));
	e = &T.ev[T.nev++];
	e->key = key;
	e->filter = filter;
	e->id = id;
	e->stat_idx = -1;
	e->sum = 0;
	return e;
}

static int have_event(const char *key)
{
	unsigned i;

	for (i = 0; i < T.nev; i++)
		if (strcmp(T.ev[i].key, key) == 0)
			return 1;
	return 0;
}

/* kvm_exit(HLT) ... : every reason of the table that passes -f */
static void add_children(const struct tp_parent *p, unsigned id, int all)
{
	const char *reason;
	unsigned i, code;
	char *name;

	for (i = 0; (reason = exit_reason(p->table, i, &code)) != NULL; i++) {
		name = xasprintf("%s(%s)", p->name, reason);
		if (all || field_wanted(name)) {
			if (!have_event(p->name))	/* the parent is shown too */
				add_event(id, xstrdup(p->name), NULL);
			add_event(id, xasprintf("%s %s", name, p->name),
				xasprintf("%s==%u", p->field, code));
		}
		free(name);
	}
}

/* The directories of events/kvm (the files "enable", "filter" have no id) */
static void collect_events(int all)
{
	char *dir = kvm_events_dir();
	struct tp_parent parent;
	struct dirent *de;
	DIR *d = opendir(dir);
	unsigned id;

	if (!d)
		bb_perror_msg_and_die("no KVM tracepoints: %s "
			"(is the kvm module loaded?)", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		id = read_event_id(dir, de->d_name);
		if (id == 0)
			continue;
		if ((all || field_wanted(de->d_name)) && !have_event(de->d_name))
			add_event(id, xstrdup(de->d_name), NULL);
		if (find_parent(de->d_name, &parent))
			add_children(&parent, id, all);
	}
	closedir(d);
	free(dir);
}

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return 64;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* One descriptor per event per group, plus what is open already */
static void raise_nofile(unsigned groups)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)groups * T.nev + count_open_fds() + 16;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;	/* needs CAP_SYS_RESOURCE */
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		bb_error_msg_and_die("need %lu open files (%u events x %u %s) "
			"but RLIMIT_NOFILE can't be raised: use -f to select fewer "
			"events, or raise 'ulimit -n'", (unsigned long)need,
			T.nev, groups, G.pid ? "threads" : "cpus");
}

static void NORETURN die_perf_open(const char *key)
{
	char buf[16] = "?";

	if (errno == EACCES || errno == EPERM) {
		open_read_close("/proc/sys/kernel/perf_event_paranoid",
				buf, sizeof(buf) - 1);
		*strchrnul(buf, '\n') = '\0';
		bb_error_msg_and_die("no permission to open perf events: run as "
			"root, or set /proc/sys/kernel/perf_event_paranoid "
			"(now %s) to -1", buf);
	}
	bb_perror_msg_and_die("can't open perf event %s", key);
}

/*
 * Open one group: a thread (cpu -1), or a cpu (pid -1). A thread that
 * ended meanwhile (ESRCH) is skipped: returns 0.
 */
static int open_group(int *fds, int gid)
{
	int pid = G.pid ? gid : -1, cpu = G.pid ? -1 : gid;
	unsigned i;

	for (i = 0; i < T.nev; i++) {
		fds[i] = perf_open_tracepoint(T.ev[i].id, pid, cpu,
				i ? fds[0] : -1);
		if (fds[i] < 0) {
			if (errno != ESRCH)
				die_perf_open(T.ev[i].key);
			while (i)
				close(fds[--i]);
			return 0;
		}
		if (T.ev[i].filter && perf_set_filter(fds[i], T.ev[i].filter))
			bb_perror_msg_and_die("can't set filter '%s' on %s",
				T.ev[i].filter, T.ev[i].key);
	}
	perf_ioctl(fds[0], PERF_RESET, 0);
	perf_ioctl(fds[0], PERF_ENABLE, 0);
	return 1;
}

static void add_groups(const int *ids, unsigned n)
{
	unsigned i;

	raise_nofile(T.ngroups + n);
	T.fds = xrealloc(T.fds, (T.ngroups + n) * T.nev * sizeof(int));
	T.gid = xrealloc(T.gid, (T.ngroups + n) * sizeof(int));
	for (i = 0; i < n; i++) {
		if (open_group(T.fds + T.ngroups * T.nev, ids[i]))
			T.gid[T.ngroups++] = ids[i];
	}
}

static int have_group(int gid)
{
	unsigned i;

	for (i = 0; i < T.ngroups; i++)
		if (T.gid[i] == gid)
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
	int *tids = NULL, tid;
	unsigned n = 0;

	free(path);
	if (!d)
		return;	/* the guest ended: keep its final counts */
	while ((de = readdir(d)) != NULL) {
		tid = bb_strtou(de->d_name, NULL, 10);
		if (errno || tid <= 0 || have_group(tid))
			continue;
		tids = xrealloc(tids, (n + 1) * sizeof(int));
		tids[n++] = tid;
	}
	closedir(d);
	if (n)
		add_groups(tids, n);
	free(tids);
}

/* "0-3,6,8-9\n" -> 0 1 2 3 6 8 9; returns the count, -1 if malformed */
static int parse_cpu_list(const char *s, int **cpus)
{
	int n = 0;

	*cpus = NULL;
	while (*s && *s != '\n') {
		char *end;
		unsigned long first = strtoul(s, &end, 10), last = first;

		if (end == s || first > 65535)
			return -1;
		if (*end == '-') {
			s = end + 1;
			last = strtoul(s, &end, 10);
			if (end == s || last < first || last > 65535)
				return -1;
		}
		*cpus = xrealloc(*cpus, (n + last - first + 1) * sizeof(int));
		while (first <= last)
			(*cpus)[n++] = first++;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return n;
}

/* One group per online CPU: counts of every guest on it */
static int read_online_cpus(int **cpus)
{
	char buf[4096];
	char *path = host_path("/sys/devices/system/cpu/online");
	ssize_t len = open_read_close(path, buf, sizeof(buf) - 1);
	int n;

	if (len < 0)
		bb_perror_msg_and_die("can't read '%s'", path);
	buf[len] = '\0';
	n = parse_cpu_list(buf, cpus);
	if (n <= 0)
		bb_error_msg_and_die("can't parse '%s'", path);
	free(path);
	return n;
}

void tracepoint_setup(void)
{
	int *cpus;
	unsigned n;

	if (!G.tps)
		G.tps = xzalloc(sizeof(*G.tps));
	collect_events(0);
	if (T.nev == 0)
		return;	/* -f selects no tracepoint */
	T.buf = xmalloc((T.nev + 1) * sizeof(T.buf[0]));
	if (G.pid) {
		add_new_threads();
		return;
	}
	n = read_online_cpus(&cpus);
	add_groups(cpus, n);
	free(cpus);
}

/* Sum each event over the groups: one read per group, leader's fd */
static void read_groups(void)
{
	size_t len = (T.nev + 1) * sizeof(T.buf[0]);
	unsigned g, i;

	for (i = 0; i < T.nev; i++)
		T.ev[i].sum = 0;
	for (g = 0; g < T.ngroups; g++) {
		if (read(T.fds[g * T.nev], T.buf, len) != (ssize_t)len)
			continue;
		for (i = 0; i < T.nev; i++)
			T.ev[i].sum += T.buf[i + 1];
	}
}

void tracepoint_read(void)
{
	unsigned i;

	if (!G.tps || T.nev == 0)
		return;
	if (G.pid)
		add_new_threads();
	read_groups();
	for (i = 0; i < T.nev; i++) {
		if (T.ev[i].stat_idx < 0 || T.stats_gen != G.stats_gen)
			T.ev[i].stat_idx = stats_find(T.ev[i].key);
	}
	T.stats_gen = G.stats_gen;
	for (i = 0; i < T.nev; i++)
		stats_add(T.ev[i].stat_idx, T.ev[i].sum);
	stats_commit();
}

void tracepoint_reset(void)
{
	unsigned g;

	if (!G.tps)
		return;
	for (g = 0; g < T.ngroups; g++)
		perf_ioctl(T.fds[g * T.nev], PERF_RESET, 0);
}

static void free_events(void)
{
	unsigned i;

	for (i = 0; i < T.nev; i++) {
		free(T.ev[i].key);
		free(T.ev[i].filter);
	}
	free(T.ev);
	free(T.fds);
	free(T.gid);
	free(T.buf);
	memset(G.tps, 0, sizeof(*G.tps));
}

/* -f or -p changed (TUI): drop the counters in the background, reopen */
void tracepoint_refilter(void)
{
	if (G.tps) {
		perf_hand_off(T.fds, T.ngroups * T.nev);
		free_events();
	}
	tracepoint_setup();
}

/* -f help: every event and every child this host can count, none opened */
void tracepoint_list_fields(void)
{
	unsigned i;

	if (!G.tps)
		G.tps = xzalloc(sizeof(*G.tps));
	collect_events(1);
	for (i = 0; i < T.nev; i++)
		stats_find(T.ev[i].key);
}

/* Quitting: no system calls that wait on the kernel's RCU grace periods */
void tracepoint_close_fast(void)
{
	if (G.tps) {
		perf_hand_off(T.fds, T.ngroups * T.nev);
		T.ngroups = 0;
	}
}
