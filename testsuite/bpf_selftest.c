/* vi: set sw=4 ts=4: */
/*
 * bpf_selftest: applet/kvm_stat_bpf.c against this machine's real KVM.
 * Counts kvm_userspace_exit in the kernel with raw and perf-attached
 * programs while tiny_vmm runs a known exit pattern (N loops: 2 IO exits,
 * 1 HLT exit), and checks the counts, the process filter, the verifier's
 * refusals, and that a killed process leaves no program or map behind.
 * Prints one line per check, timings as "info:" lines, and
 * "N passed, N failed"; exits 1 on any failure.
 *
 * Usage: bpf_selftest TINY_VMM [LOOPS]	(root; `make bpf-selftest`)
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_bpf.h"
#include <sys/syscall.h>

#define TP	"kvm_userspace_exit"
#define KVM_EXIT_IO	2
#define KVM_EXIT_HLT	5
#define NSLOTS	64
#define NREASONS	8	/* 0..7: IO and HLT, overflow slot unused */

/* ---- the test's own bits of the bpf(2) ABI (include/uapi/linux/bpf.h) ---- */

enum {
	BPF_PROG_LOAD = 5,
	BPF_PROG_GET_FD_BY_ID = 13,
	BPF_MAP_GET_FD_BY_ID = 14,
	BPF_OBJ_GET_INFO_BY_FD = 15,
	BPF_MAP_LOOKUP_BATCH = 24,
};

struct insn {
	uint8_t code;
	uint8_t dst_reg:4;
	uint8_t src_reg:4;
	int16_t off;
	int32_t imm;
};

struct load_attr {	/* BPF_PROG_LOAD's first members */
	uint32_t prog_type, insn_cnt;
	uint64_t insns, license;
	uint32_t log_level, log_size;
	uint64_t log_buf;
};

struct id_attr {	/* BPF_*_GET_FD_BY_ID */
	uint32_t id, next_id, open_flags;
};

struct info_attr {	/* BPF_OBJ_GET_INFO_BY_FD */
	uint32_t bpf_fd, info_len;
	uint64_t info;
};

/* struct bpf_prog_info: offsets 4, 192, 200, 208, 216; 232 bytes (6.1) */
struct prog_info {
	uint32_t type, id;
	uint8_t skip[184];
	uint64_t run_time_ns, run_cnt, recursion_misses;
	uint32_t verified_insns, pad[3];
};

struct batch_attr {	/* BPF_MAP_*_BATCH */
	uint64_t in_batch, out_batch, keys, values;
	uint32_t count, map_fd;
	uint64_t elem_flags, flags;
};

/* include/uapi/linux/perf_event.h, VER0 */
struct perf_attr {
	uint32_t type, size;
	uint64_t config, sample_period, sample_type, read_format, flags;
	uint32_t wakeup_events, bp_type;
	uint64_t bp_addr, bp_len;
};
#define PERF_TYPE_TRACEPOINT	2
#define PERF_FLAG_FD_CLOEXEC	8UL

static int sys_bpf(int cmd, void *attr, unsigned size)
{
	return syscall(SYS_bpf, cmd, attr, size);
}

/* ---- the test's state and report ---- */

static struct {
	unsigned passed, failed, skipped;
	unsigned ncpus;
	unsigned long long *values;	/* BPF_CPUS_MAX, zeroed */
	unsigned long long loops;
	const char *vmm;
	char tracefs[64];
	unsigned tp_id;
	unsigned reason_offset, reason_size;	/* from the format file */
	char log[65536];
} T;

static void check(int ok, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		T.passed++;
	else
		T.failed++;
}

static void skip(const char *why)
{
	printf("skip - %s\n", why);
	T.skipped++;
}

#define info(...) (printf("info: " __VA_ARGS__), putchar('\n'), fflush(stdout))

/*
 * The verifier's verdict: its log's last line but the statistics
 * ("processed 1 insns (limit 1000000) ..."), e.g. "R2 !read_ok"
 */
static const char *verdict(char *log)
{
	char *end = log + strlen(log), *p;

	for (;;) {
		while (end > log && end[-1] == '\n')
			*--end = '\0';
		p = strrchr(log, '\n');
		p = p ? p + 1 : log;
		if (p == log || !is_prefixed_with(p, "processed "))
			return p;
		end = p;
	}
}

static int is_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	return f >= 0 && (f & FD_CLOEXEC);
}

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static unsigned long long count(int map, unsigned slot)
{
	unsigned long long sum = ~0ULL;

	if (bpf_count_read(map, slot, T.values, T.ncpus, &sum) != 0)
		bb_perror_msg("read slot %u", slot);
	return sum;
}

/* Median of N timings, sorted in place */
static unsigned long long median(unsigned long long *t, unsigned n)
{
	unsigned i, j;
	unsigned long long x;

	for (i = 1; i < n; i++)
		for (j = i; j && t[j - 1] > t[j]; j--) {
			x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[n / 2];
}

/* ---- tracefs: the event's id and its reason field ---- */

/*
 * A tiny parser for the one line we need:
 *	field:__u32 reason;	offset:8;	size:4;	signed:0;
 */
static int parse_format(void)
{
	char path[128], *buf, *p;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/events/kvm/" TP "/format", T.tracefs);
	buf = xmalloc_open_read_close(path, NULL);
	if (!buf)
		return 0;
	p = strstr(buf, " reason;");
	if (p && (p = strstr(p, "offset:")) != NULL) {
		T.reason_offset = strtoul(p + 7, &p, 10);
		p = strstr(p, "size:");
		if (p) {
			T.reason_size = strtoul(p + 5, NULL, 10);
			ok = 1;
		}
	}
	free(buf);
	return ok;
}

static int find_tracepoint(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128], buf[16] = "";
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events/kvm/" TP "/id", dirs[i]);
		if (open_read_close(path, buf, sizeof(buf) - 1) > 0) {
			strcpy(T.tracefs, dirs[i]);
			T.tp_id = atoi(buf);
			return parse_format();
		}
	}
	return 0;
}

/* One counting perf event of the tracepoint on cpu 0, all processes */
static int perf_open_tp(void)
{
	struct perf_attr a = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(a),
		.config = T.tp_id,
	};

	return syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

/* ---- tiny_vmm as a child, held at exec until the programs are attached ---- */

struct vmm {
	pid_t pid;
	int go;	/* write end: one byte lets it exec */
	FILE *out;	/* its stdout */
};

static void vmm_start(struct vmm *v, const char *opt, const char *arg)
{
	int go[2], out[2];
	char c;

	xfunc_error_retval = 2;
	if (pipe2(go, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		bb_simple_perror_msg_and_die("pipe");
	fflush(stdout);
	v->pid = fork();
	if (v->pid < 0)
		bb_simple_perror_msg_and_die("fork");
	if (v->pid == 0) {
		dup2(out[1], 1);	/* the new descriptor is inheritable */
		close(go[1]);
		if (read(go[0], &c, 1) == 1)
			execl(T.vmm, T.vmm, opt, arg, (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	close(out[1]);
	v->go = go[1];
	v->out = fdopen(out[0], "r");
}

static void vmm_go(struct vmm *v)
{
	if (write(v->go, "g", 1) != 1)
		bb_simple_perror_msg("vmm go");
	close(v->go);
}

/* Its totals ("exits N"); 0 on any trouble, with the reason printed */
static unsigned long long vmm_finish(struct vmm *v)
{
	char line[128];
	unsigned long long exits = 0, n;
	int pid = -1, status;

	while (fgets(line, sizeof(line), v->out)) {
		if (sscanf(line, "pid %d", &pid) == 1 && pid != v->pid)
			bb_error_msg("tiny_vmm says pid %d, fork said %d", pid, (int)v->pid);
		if (sscanf(line, "exits %llu", &n) == 1)
			exits = n;
	}
	fclose(v->out);
	waitpid(v->pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		bb_error_msg("tiny_vmm failed (status 0x%x)", status);
		return 0;
	}
	return exits;
}

/*
 * Other VMs on this host make the all-process counts larger than ours:
 * <debugfs>/kvm/PID-FD, one per VM (listing works under lockdown)
 */
static unsigned other_vms(void)
{
	DIR *d = opendir("/sys/kernel/debug/kvm");
	struct dirent *de;
	unsigned n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (isdigit(de->d_name[0]) && strchr(de->d_name, '-'))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* ---- the checks ---- */

static uint32_t obj_id(int fd);
static int fd_by_id(int cmd, uint32_t id);

static int load(int map, unsigned slot, int tgid, unsigned nreasons,
		unsigned base, int raw, unsigned long long *us)
{
	struct bpf_count_spec s = {
		.slot = slot,
		.tgid = tgid,
		.nreasons = nreasons,
		.reason_base = base,
		.reason_offset = raw ? 0 : T.reason_offset,	/* args[0] */
		.reason_size = raw ? 4 : T.reason_size,
	};
	unsigned long long t = monotonic_us();
	int fd = bpf_count_prog_load(map, &s, raw, NULL, 0);

	if (us)
		*us = monotonic_us() - t;
	if (fd < 0) {
		/* again with the log, to say why */
		int err = errno;

		bpf_count_prog_load(map, &s, raw, T.log, sizeof(T.log));
		printf("load (%s, slot %u): %s\n%s\n", raw ? "raw" : "perf",
			slot, strerror(err), T.log);
	}
	return fd;
}

/*
 * Slot use:
 *	0	raw, all	1..9	its reasons (0..7, 8: overflow)
 *	10	perf, all	11..19	its reasons
 *	20	raw, tiny_vmm	21..24	its reasons with nreasons 3: HLT (5)
 *				goes to the overflow slot 24
 *	25	raw, our pid (no KVM here: 0)
 *	26	perf, tiny_vmm	27..35	its reasons
 *	36	perf, our pid
 */
enum { NPROGS = 6 };

struct attached {
	int map;
	int raw[3];	/* links */
	int perf[3];	/* perf events */
};

static void check_reasons(int map, const char *what, unsigned base,
		unsigned nreasons, unsigned long long n)
{
	unsigned r;
	unsigned long long want, got;
	int ok = 1;

	for (r = 0; r <= nreasons; r++) {
		want = 0;
		if (r == KVM_EXIT_IO)
			want = 2 * n;
		if (r == (KVM_EXIT_HLT < nreasons ? KVM_EXIT_HLT : nreasons))
			want += n;
		got = count(map, base + r);
		if (got != want) {
			printf("  slot %u (reason %u%s): %llu, want %llu\n", base + r,
				r, r == nreasons ? ", overflow" : "", got, want);
			ok = 0;
		}
	}
	check(ok, "%s: IO %llu, HLT %llu%s, overflow slot %llu", what,
		count(map, base + KVM_EXIT_IO),
		count(map, base + (KVM_EXIT_HLT < nreasons ? KVM_EXIT_HLT : nreasons)),
		KVM_EXIT_HLT < nreasons ? "" : " (in overflow)",
		count(map, base + nreasons));
}

static void check_all_processes(int map, const char *what, unsigned slot,
		unsigned base, unsigned long long n)
{
	unsigned long long got = count(map, slot);
	unsigned vms = other_vms();
	char buf[96];

	if (got != 3 * n && vms) {
		snprintf(buf, sizeof(buf), "%s: %llu hits, %u other VMs "
			"running: not exact", what, got, vms);
		skip(buf);
		return;
	}
	check(got == 3 * n, "%s: %llu hits (3 x %llu)", what, got, n);
	check_reasons(map, what, base, NREASONS, n);
}

/* The programs of the slot table above, load times in T */
static void load_programs(int map, pid_t vmm, int *prog)
{
	unsigned long long t[NPROGS], med;
	int i;

	prog[0] = load(map, 0, 0, NREASONS, 1, 1, &t[0]);
	prog[1] = load(map, 10, 0, NREASONS, 11, 0, &t[1]);
	prog[2] = load(map, 20, vmm, 3, 21, 1, &t[2]);
	prog[3] = load(map, 25, getpid(), 0, 0, 1, &t[3]);
	prog[4] = load(map, 26, vmm, NREASONS, 27, 0, &t[4]);
	prog[5] = load(map, 36, getpid(), 0, 0, 0, &t[5]);
	for (i = 0; i < NPROGS && prog[i] >= 0; i++)
		continue;
	check(i == NPROGS, "6 programs loaded (raw and perf, with and without "
		"tgid and reasons)");
	if (i != NPROGS)
		bb_simple_error_msg_and_die("can't go on");
	check(is_cloexec(prog[0]), "program fd is close-on-exec");
	med = median(t, NPROGS);
	info("load time per program: median %llu us, min %llu us, max %llu us",
		med, t[0], t[NPROGS - 1]);
}

/* Raw programs are 0, 2, 3; perf ones 1, 4, 5 */
static void attach_programs(struct attached *at, const int *prog)
{
	static const int raw[] = { 0, 2, 3 }, perf[] = { 1, 4, 5 };
	int i, fd, r, err;

	for (i = 0; i < 3; i++)
		at->raw[i] = bpf_raw_tracepoint_open(TP, prog[raw[i]]);
	check(at->raw[0] >= 0 && at->raw[1] >= 0 && at->raw[2] >= 0,
		"raw tracepoint " TP " opened 3 times (%s)",
		at->raw[0] < 0 || at->raw[1] < 0 || at->raw[2] < 0 ?
		strerror(errno) : "ok");
	check(is_cloexec(at->raw[0]), "raw tracepoint link fd is close-on-exec");
	for (i = 0; i < 3; i++) {
		at->perf[i] = perf_open_tp();
		if (at->perf[i] < 0 || perf_attach_bpf(at->perf[i], prog[perf[i]]) != 0) {
			bb_perror_msg("perf event %d", i);
			at->perf[i] = -1;
		}
	}
	check(at->perf[0] >= 0 && at->perf[1] >= 0 && at->perf[2] >= 0,
		"3 perf events of " TP " on cpu 0, a program each");

	/* the same program on a second event of the tracepoint */
	fd = perf_open_tp();
	r = perf_attach_bpf(fd, prog[1]);
	err = errno;
	check(r < 0 && err == EEXIST, "a program attached twice to one "
		"tracepoint: %s", r < 0 ? strerror(err) : "accepted");
	close(fd);
}

/* BPF_ENABLE_STATS (32), BPF_STATS_RUN_TIME (0): run_cnt and run_time_ns
 * of every program, while the returned fd is open */
static int enable_stats(void)
{
	uint32_t type = 0;

	return sys_bpf(32, &type, sizeof(type));
}

static int prog_info_by_id(uint32_t id, struct prog_info *pi)
{
	struct info_attr a = {
		.info_len = sizeof(*pi),
		.info = (uintptr_t)pi,
	};
	int r;

	memset(pi, 0, sizeof(*pi));
	a.bpf_fd = fd_by_id(BPF_PROG_GET_FD_BY_ID, id);
	if ((int)a.bpf_fd < 0)
		return -1;
	r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a));
	close(a.bpf_fd);
	return r;
}

/* What each program cost per hit, and the hits the kernel skipped */
static void report_runs(const char *what, uint32_t id, unsigned long long n)
{
	struct prog_info pi;

	if (prog_info_by_id(id, &pi) != 0) {
		bb_perror_msg("prog info %u", id);
		return;
	}
	info("%s: %u insns verified, %llu runs, %llu ns per run, "
		"recursion misses %llu", what, pi.verified_insns,
		(unsigned long long)pi.run_cnt,
		pi.run_cnt ? (unsigned long long)(pi.run_time_ns / pi.run_cnt) : 0ULL,
		(unsigned long long)pi.recursion_misses);
	if (pi.run_cnt && n)
		check(pi.recursion_misses == 0, "%s: no hit skipped by the "
			"kernel's recursion guard", what);
}

static void check_counts(const struct attached *at, pid_t vmm,
		unsigned long long n)
{
	int map = at->map;
	unsigned long long pc = ~0ULL;

	check_all_processes(map, "raw, all processes", 0, 1, n);
	check_all_processes(map, "perf, all processes", 10, 11, n);
	check(count(map, 20) == 3 * n, "raw, tgid %d (tiny_vmm): %llu hits",
		(int)vmm, count(map, 20));
	check_reasons(map, "raw, tgid tiny_vmm, 3 reasons", 21, 3, n);
	check(count(map, 25) == 0, "raw, tgid %d (ours): %llu hits", (int)getpid(),
		count(map, 25));
	check(count(map, 26) == 3 * n, "perf, tgid %d (tiny_vmm): %llu hits",
		(int)vmm, count(map, 26));
	check_reasons(map, "perf, tgid tiny_vmm", 27, NREASONS, n);
	check(count(map, 36) == 0, "perf, tgid %d (ours): %llu hits", (int)getpid(),
		count(map, 36));
	/* the programs return 0: perf stores and counts nothing itself */
	if (read(at->perf[0], &pc, sizeof(pc)) != sizeof(pc))
		pc = ~0ULL;
	check(pc == 0, "the perf event's own count stays %llu (programs return 0)",
		pc);
}

static void test_counting(struct attached *at)
{
	struct vmm v;
	unsigned long long n = T.loops, exits;
	int prog[NPROGS], i, fds_before, stats;
	uint32_t raw_id, perf_id;
	char arg[24];

	/* the child's pid is known before it runs: the filter is set first */
	snprintf(arg, sizeof(arg), "%llu", n);
	vmm_start(&v, "-l", arg);

	at->map = bpf_count_map_create(NSLOTS);
	check(at->map >= 0, "map: percpu array of %u slots (%s)", NSLOTS,
		at->map >= 0 ? "ok" : strerror(errno));
	if (at->map < 0)
		bb_simple_error_msg_and_die("no map: nothing else can work");
	check(is_cloexec(at->map), "map fd is close-on-exec");

	fds_before = count_fds();
	load_programs(at->map, v.pid, prog);
	attach_programs(at, prog);
	raw_id = obj_id(prog[0]);
	perf_id = obj_id(prog[1]);
	/* the attachments hold the programs */
	for (i = 0; i < NPROGS; i++)
		close(prog[i]);
	check(count_fds() == (unsigned)fds_before + 6, "after closing the program "
		"fds: %d fds for 6 attachments", (int)count_fds() - fds_before);

	stats = enable_stats();
	vmm_go(&v);
	exits = vmm_finish(&v);
	check(exits == 3 * n, "tiny_vmm -l %llu (pid %d): %llu exits", n,
		(int)v.pid, exits);
	check_counts(at, v.pid, n);
	report_runs("raw program, all processes", raw_id, stats >= 0 ? n : 0);
	report_runs("perf program, all processes", perf_id, stats >= 0 ? n : 0);
	if (stats >= 0)
		close(stats);
}

static void test_reading(int map)
{
	unsigned long long sum = 0;
	int r, err;

	r = bpf_count_read(map, NSLOTS, T.values, T.ncpus, &sum);
	err = errno;
	check(r < 0 && err == ENOENT, "read of slot %u (past the end): %s", NSLOTS,
		r < 0 ? strerror(err) : "accepted");
	/* the values past the possible CPUs are never written: still 0 */
	r = bpf_count_read(map, 0, T.values, T.ncpus + 3, &sum);
	check(r == 0 && sum == count(map, 0), "read for more cpus than possible: "
		"same sum %llu", sum);
}

/* BPF_MAP_LOOKUP_BATCH: every slot's per-CPU values in one call */
static void test_batch(int map)
{
	uint32_t keys[NSLOTS], out = 0;
	uint64_t *v = xzalloc(NSLOTS * (T.ncpus + 1) * 8);
	struct batch_attr a = {
		.out_batch = (uintptr_t)&out,
		.keys = (uintptr_t)keys,
		.values = (uintptr_t)v,
		.count = NSLOTS,
		.map_fd = map,
	};
	unsigned long long t = monotonic_us(), sum = 0;
	int r = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, sizeof(a));
	unsigned i, ok;

	t = monotonic_us() - t;
	/* ENOENT: the last batch, a.count filled */
	ok = (r == 0 || errno == ENOENT) && a.count == NSLOTS;
	if (ok) {
		for (i = 0; i < T.ncpus; i++)
			sum += v[10 * T.ncpus + i];
		ok = sum == count(map, 10);
	}
	info("BPF_MAP_LOOKUP_BATCH on the per-cpu array: %s, %u slots in %llu us "
		"(slot 10: %llu)", ok ? "works" : strerror(errno), a.count, t, sum);
	t = monotonic_us();
	for (i = 0; i < NSLOTS; i++)
		count(map, i);
	info("%u single lookups: %llu us", NSLOTS, monotonic_us() - t);
	free(v);
}

/* Close each attachment, timed; the last of each kind releases the
 * tracepoint's probe */
static void test_close(struct attached *at)
{
	unsigned long long t;
	unsigned i;
	char buf[128];
	int n = 0;

	for (i = 0; i < 3; i++) {
		t = monotonic_us();
		close(at->raw[i]);
		n += snprintf(buf + n, sizeof(buf) - n, " %llu", monotonic_us() - t);
	}
	info("close of the 3 raw tracepoint links (us):%s", buf);
	n = 0;
	for (i = 0; i < 3; i++) {
		t = monotonic_us();
		close(at->perf[i]);
		n += snprintf(buf + n, sizeof(buf) - n, " %llu", monotonic_us() - t);
	}
	info("close of the 3 perf events with programs (us):%s", buf);
}

/* One attachment alone on the tracepoint, attached and closed, timed */
static void test_close_alone(int map)
{
	unsigned long long t, ta;
	struct bpf_count_spec s = { .slot = 40 };
	int prog, fd;

	prog = bpf_count_prog_load(map, &s, 1, NULL, 0);
	t = monotonic_us();
	fd = bpf_raw_tracepoint_open(TP, prog);
	ta = monotonic_us() - t;
	close(prog);
	t = monotonic_us();
	close(fd);
	info("raw link alone: attach %llu us, close %llu us", ta,
		monotonic_us() - t);

	prog = bpf_count_prog_load(map, &s, 0, NULL, 0);
	t = monotonic_us();
	fd = perf_open_tp();
	perf_attach_bpf(fd, prog);
	ta = monotonic_us() - t;
	close(prog);
	t = monotonic_us();
	close(fd);
	info("perf event alone: open+attach %llu us, close %llu us", ta,
		monotonic_us() - t);
}

static void test_verifier(int map)
{
	/* r0 = r2; exit: r2 was never written (only r1 and r10 hold a value
	 * at entry) */
	static const struct insn bad[] = {
		{ .code = 0x07 | 0xb0 | 0x08, .dst_reg = 0, .src_reg = 2 },
		{ .code = 0x05 | 0x90 },
	};
	struct load_attr a = {
		.prog_type = 17,	/* BPF_PROG_TYPE_RAW_TRACEPOINT */
		.insn_cnt = ARRAY_SIZE(bad),
		.insns = (uintptr_t)bad,
		.license = (uintptr_t)"GPL",
		.log_level = 1,
		.log_size = sizeof(T.log),
		.log_buf = (uintptr_t)T.log,
	};
	struct bpf_count_spec s = { .slot = 0, .nreasons = 4, .reason_size = 4 };
	char small[128];
	unsigned size;
	int fd, err, link;

	T.log[0] = '\0';
	fd = sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
	err = errno;
	check(fd < 0 && (err == EACCES || err == EINVAL) && T.log[0],
		"uninitialised register refused: %s, log \"%s\"",
		fd < 0 ? strerror(err) : "accepted", verdict(T.log));
	if (fd >= 0)
		close(fd);

	/* through the interface: a map fd that is no map */
	fd = bpf_count_prog_load(-1, &s, 1, T.log, sizeof(T.log));
	err = errno;
	check(fd < 0 && T.log[0], "map fd -1 refused: %s, log \"%s\"",
		fd < 0 ? strerror(err) : "accepted", verdict(T.log));

	/* a good program with a log too small for it */
	s.reason_size = 4;
	fd = bpf_count_prog_load(map, &s, 1, small, sizeof(small));
	err = errno;
	info("a good program with a %u-byte log: %s", (unsigned)sizeof(small),
		fd < 0 ? strerror(err) : "loaded");
	if (fd >= 0)
		close(fd);
	for (size = 256; size <= sizeof(T.log); size *= 2) {
		fd = bpf_count_prog_load(map, &s, 1, T.log, size);
		if (fd >= 0)
			break;
	}
	info("the smallest log that loads it (powers of 2): %u bytes", size);
	if (fd >= 0)
		close(fd);
	fd = bpf_count_prog_load(map, &s, 1, T.log, sizeof(T.log));
	info("the same with a %u-byte log: %s, log %u bytes: \"%s\"",
		(unsigned)sizeof(T.log), fd < 0 ? strerror(errno) : "loaded",
		(unsigned)strlen(T.log), verdict(T.log));
	if (fd >= 0)
		close(fd);

	/* args[2]: kvm_userspace_exit has 2 arguments */
	s.reason_offset = 16;
	fd = bpf_count_prog_load(map, &s, 1, NULL, 0);
	link = fd < 0 ? -1 : bpf_raw_tracepoint_open(TP, fd);
	err = errno;
	check(fd >= 0 && link < 0 && err == EINVAL, "raw program reading args[2] "
		"of a 2-argument tracepoint: load %s, attach %s",
		fd < 0 ? strerror(errno) : "ok",
		link < 0 ? strerror(err) : "accepted");
	if (link >= 0)
		close(link);
	if (fd >= 0)
		close(fd);
}

static uint32_t obj_id(int fd)
{
	struct prog_info pi;	/* a map's info starts the same */
	struct info_attr a = {
		.bpf_fd = fd,
		.info_len = 8,	/* type and id */
		.info = (uintptr_t)&pi,
	};

	memset(&pi, 0, sizeof(pi));
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a)) == 0 ? pi.id : 0;
}

static int fd_by_id(int cmd, uint32_t id)
{
	struct id_attr a = { .id = id };

	return sys_bpf(cmd, &a, sizeof(a));
}

/* The worker: objects of its own, their ids to the parent, then wait */
static void worker(int out) NORETURN;
static void worker(int out)
{
	struct bpf_count_spec s = { .slot = 0, .nreasons = NREASONS,
		.reason_base = 1, .reason_size = 4 };
	uint32_t ids[3];
	int map, raw, perf, link, ev;

	map = bpf_count_map_create(16);
	raw = bpf_count_prog_load(map, &s, 1, NULL, 0);
	s.reason_offset = T.reason_offset;
	s.reason_size = T.reason_size;
	perf = bpf_count_prog_load(map, &s, 0, NULL, 0);
	link = bpf_raw_tracepoint_open(TP, raw);
	ev = perf_open_tp();
	if (map < 0 || raw < 0 || perf < 0 || link < 0 || ev < 0
	 || perf_attach_bpf(ev, perf) != 0)
		_exit(1);
	ids[0] = obj_id(map);
	ids[1] = obj_id(raw);
	ids[2] = obj_id(perf);
	if (write(out, ids, sizeof(ids)) != sizeof(ids))
		_exit(1);
	for (;;)
		pause();
}

/*
 * A process killed while its programs count leaves nothing: the kernel
 * frees asynchronously (perf events after an RCU grace period), so poll
 * the ids for ENOENT, bounded.
 */
static void test_kill(void)
{
	static const char *const what[3] = { "map", "raw program", "perf program" };
	struct vmm v;
	uint32_t ids[3] = { 0 };
	int p[2], left, fd, i;
	unsigned long long t, t0, hits = 0;
	pid_t w;

	if (pipe(p))
		bb_simple_perror_msg_and_die("pipe");
	fflush(stdout);
	w = fork();
	if (w == 0) {
		close(p[0]);
		worker(p[1]);
	}
	close(p[1]);
	if (read(p[0], ids, sizeof(ids)) != sizeof(ids) || !ids[0] || !ids[1] || !ids[2]) {
		check(0, "worker: objects created, ids known");
		kill(w, SIGKILL);
		waitpid(w, NULL, 0);
		return;
	}
	close(p[0]);
	check(1, "worker %d: map id %u, program ids %u %u", (int)w, ids[0],
		ids[1], ids[2]);

	/* mid-run: a paced guest, and the worker's counts moving */
	vmm_start(&v, "-t", "2");
	vmm_go(&v);
	t0 = monotonic_us();
	fd = fd_by_id(BPF_MAP_GET_FD_BY_ID, ids[0]);
	while (fd >= 0 && (hits = count(fd, 0)) < 100 && monotonic_us() - t0 < 2000000)
		usleep(1000);
	if (fd >= 0)
		close(fd);
	check(hits >= 100, "worker's programs count while tiny_vmm runs: %llu", hits);

	kill(w, SIGKILL);
	waitpid(w, NULL, 0);
	t0 = monotonic_us();
	do {
		for (left = i = 0; i < 3; i++) {
			fd = fd_by_id(i ? BPF_PROG_GET_FD_BY_ID : BPF_MAP_GET_FD_BY_ID, ids[i]);
			if (fd >= 0) {
				close(fd);
				left++;
			} else if (errno != ENOENT) {
				bb_perror_msg("get fd by id %u", ids[i]);
			}
		}
		t = monotonic_us() - t0;
		if (left)
			usleep(1000);
	} while (left && t < 5000000);
	for (i = 0; i < 3; i++) {
		fd = fd_by_id(i ? BPF_PROG_GET_FD_BY_ID : BPF_MAP_GET_FD_BY_ID, ids[i]);
		check(fd < 0 && errno == ENOENT, "after SIGKILL: %s id %u: %s",
			what[i], ids[i], fd < 0 ? strerror(errno) : "still there");
		if (fd >= 0)
			close(fd);
	}
	info("all gone %llu us after the worker was reaped", t);
	kill(v.pid, SIGTERM);
	vmm_finish(&v);
}

int kvm_stat_main(int argc, char **argv)
{
	struct attached at;

	applet_name = "bpf_selftest";
	if (argc < 2 || argc > 3)
		bb_simple_error_msg_and_die("usage: bpf_selftest TINY_VMM [LOOPS]");
	T.vmm = argv[1];
	T.loops = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000;
	/* a SIGPIPE from a dead tiny_vmm must not end the report */
	signal(SIGPIPE, SIG_IGN);

	T.ncpus = bpf_possible_cpus();
	T.values = xzalloc(BPF_CPUS_MAX * sizeof(T.values[0]));
	check(T.ncpus > 0, "possible cpus: %u", T.ncpus);
	if (!T.ncpus)
		return 1;
	if (!find_tracepoint())
		bb_simple_error_msg_and_die("no kvm:" TP " tracepoint (kvm loaded? "
			"tracefs mounted?)");
	info("%s/events/kvm/" TP ": id %u, reason at offset %u, size %u",
		T.tracefs, T.tp_id, T.reason_offset, T.reason_size);

	test_counting(&at);
	test_reading(at.map);
	test_batch(at.map);
	test_close(&at);
	test_close_alone(at.map);
	test_verifier(at.map);
	close(at.map);
	test_kill();

	printf("%u passed, %u failed", T.passed, T.failed);
	if (T.skipped)
		printf(", %u skipped", T.skipped);
	printf("\n");
	return T.failed != 0;
}
