/* vi: set sw=4 ts=4: */
/*
 * exit_selftest: the exit-time programs of applet/kvm_stat_bpf.c on a host
 * whose kvm_exit/kvm_entry never fire (PVM: these machines). The same
 * programs hang on two tracepoints that do fire, around the test VMM's
 * sleep after its HLT (tiny_vmm -s): the "exit" program on
 * kvm_userspace_exit (its record's reason: IO 2, HLT 5), the "entry"
 * program on kvm_pio, which fires at the guest's next port write. Each
 * loop then times HLT from its return to user space to the next loop's
 * first out (the VMM's sleep is in it), and IO from the first out's
 * return to the second's kvm_pio (the second out's return is replaced by
 * the HLT's). Checks counts and times; prints "N passed, N failed".
 *
 * With BENCH_LOOPS, the observer effect on this host's hardware: the
 * VMM's time for BENCH_LOOPS loops (no sleep) with the programs attached
 * against the mean of the runs alone before and after it, the median of
 * 9 rounds, printed as "exit_times_observer_pct_standin: N % (p25 N,
 * p75 N)" (testsuite/bench-exittime.sh, in make bench). The stand-ins fire 5 times a
 * loop (3 returns to user space, 2 port writes), kvm_exit and kvm_entry 3
 * times each: the programs run as often.
 *
 * Usage: exit_selftest TRACEFS TINY_VMM LOOPS SLEEP_US [BENCH_LOOPS]	(root)
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_common.h"
#include "kvm_stat_bpf.h"
#include <sched.h>

static int failed, passed;

static void check(int ok, const char *what, unsigned long long v)
{
	printf("%s %s (%llu)\n", ok ? "ok" : "FAIL", what, v);
	if (ok)
		passed++;
	else
		failed++;
}

/* "field:__u32 reason;	offset:8;	size:4;	signed:0;" */
static void reason_place(const char *dir, unsigned *offset, unsigned *size)
{
	char *path = xasprintf("%s/format", dir);
	char *text = xmalloc_open_read_close(path, NULL);
	char *s = text ? strstr(text, " reason;") : NULL;

	if (!s || sscanf(s, " reason; offset:%u; size:%u;", offset, size) != 2)
		bb_error_msg_and_die("no reason in %s", path);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The VMM's wall time for CMD, in microseconds */
static long long run_us(const char *cmd)
{
	unsigned long long t0 = monotonic_us();

	if (system(cmd) != 0)
		bb_error_msg_and_die("%s failed", cmd);
	return monotonic_us() - t0;
}

int kvm_stat_main(int argc, char **argv) MAIN_EXTERNALLY_VISIBLE;
int kvm_stat_main(int argc, char **argv)
{
	struct bpf_count_spec spec;
	struct bpf_exit_time *v, io, hlt;
	char *dir, id[16] = "", *cmd;
	unsigned ncpus = bpf_possible_cpus();
	unsigned long long sleep_ns;
	int array, entry, exitp, fd, link, go[2], status;
	pid_t vmm;

	if (argc != 5 && argc != 6)
		bb_error_msg_and_die("usage: exit_selftest TRACEFS TINY_VMM LOOPS SLEEP_US [BENCH_LOOPS]");
	sleep_ns = strtoull(argv[4], NULL, 10) * 1000;
	dir = xasprintf("%s/events/kvm/kvm_userspace_exit", argv[1]);
	memset(&spec, 0, sizeof(spec));
	reason_place(dir, &spec.reason_offset, &spec.reason_size);
	open_read_close(xasprintf("%s/id", dir), id, sizeof(id) - 1);
	spec.nreasons = 8;
	/* the VMM waits on a pipe for the programs, which count its exits
	 * only (tests of other processes run tiny_vmm too) */
	if (pipe(go) != 0 || (vmm = fork()) < 0)
		bb_perror_msg_and_die("fork");
	if (vmm == 0) {
		close(go[1]);
		if (read(go[0], id, 1) != 1)
			_exit(1);
		execl(argv[2], argv[2], "-q", "-l", argv[3], "-s", argv[4], (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	spec.tgid = vmm;
	exitp = bpf_exit_load(1024, &spec, &array, &entry);
	if (exitp < 0)
		bb_perror_msg_and_die("maps and programs");
	link = bpf_raw_tracepoint_open("kvm_pio", entry);
	if (link < 0)
		bb_perror_msg_and_die("attach kvm_pio");
	fd = perf_open_tracepoint(atoi(id), NULL, -1, 0, -1);
	if (fd < 0 || perf_attach_bpf(fd, exitp) != 0)
		bb_perror_msg_and_die("attach kvm_userspace_exit");
	if (write(go[1], "", 1) != 1)
		bb_perror_msg_and_die("write");
	if (waitpid(vmm, &status, 0) != vmm || status != 0)
		bb_error_msg_and_die("%s failed", argv[2]);
	v = xmalloc(BPF_CPUS_MAX * sizeof(*v));
	if (bpf_exit_read(array, 2, v, ncpus, &io) != 0
	 || bpf_exit_read(array, 5, v, ncpus, &hlt) != 0)
		bb_perror_msg_and_die("read");
	check(hlt.count == strtoull(argv[3], NULL, 10) - 1, "HLT count = LOOPS - 1", hlt.count);
	check(io.count == strtoull(argv[3], NULL, 10), "IO count = LOOPS", io.count);
	check(hlt.sum / hlt.count >= sleep_ns, "HLT average >= the sleep (ns)", hlt.sum / hlt.count);
	check(hlt.min >= sleep_ns && hlt.max >= hlt.min, "HLT min >= the sleep, max >= min (ns)", hlt.min);
	check(io.sum / io.count < sleep_ns / 2, "IO average far below (ns)", io.sum / io.count);
	{
		unsigned b, n = 0, first = EXIT_BUCKETS;

		for (b = 0; b < EXIT_BUCKETS; b++) {
			n += hlt.hist[b];
			if (hlt.hist[b] && first == EXIT_BUCKETS)
				first = b;
		}
		check(n == hlt.count, "HLT histogram sums to the count", n);
		/* bucket b >= 1 holds [2^(b-1), 2^b) us */
		check(first >= 1 && (1ULL << (first - 1)) * 1000 <= hlt.min + 1000
			&& hlt.min < (1ULL << first) * 1000, "HLT min in its first bucket", first);
	}
	close(fd);
	close(link);
	if (argc == 6) {
		enum { ROUNDS = 9 };
		long long pct[ROUNDS], before, watched, after;
		cpu_set_t last;
		int i;

		cmd = xasprintf("%s -q -l %s", argv[2], argv[5]);
		spec.tgid = 0;	/* the system()'s child: any process */
		close(exitp);
		exitp = bpf_exit_load(1024, &spec, &array, &entry);	/* new maps */
		if (exitp < 0)
			bb_perror_msg_and_die("programs");
		/* the VMM on the last CPU in every run (it inherits this
		 * mask): a migration is noise, not the programs' cost */
		CPU_ZERO(&last);
		CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &last);
		sched_setaffinity(0, sizeof(last), &last);
		/* each watched run against the mean of the runs alone just
		 * before and after it: this host's speed drifts, in bursts */
		before = run_us(cmd);
		for (i = 0; i < ROUNDS; i++) {
			link = bpf_raw_tracepoint_open("kvm_pio", entry);
			fd = perf_open_tracepoint(atoi(id), NULL, -1, 0, -1);
			if (link < 0 || fd < 0 || perf_attach_bpf(fd, exitp) != 0)
				bb_perror_msg_and_die("attach");
			watched = run_us(cmd);
			close(fd);
			close(link);
			after = run_us(cmd);
			/* tenths of a percent */
			pct[i] = watched * 2000 / (before + after) - 1000;
			printf("info: round %d: %lld us alone, %lld us watched, "
				"%lld us alone\n", i + 1, before, watched, after);
			before = after;
		}
		qsort(pct, ROUNDS, sizeof(pct[0]), cmp_ll);
		printf("exit_times_observer_pct_standin: %.1f %% (p25 %.1f, p75 %.1f)\n",
			pct[ROUNDS / 2] / 10.0, pct[ROUNDS / 4] / 10.0,
			pct[ROUNDS - 1 - ROUNDS / 4] / 10.0);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
