/* vi: set sw=4 ts=4: */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_TRACEPOINTS) += kvm_stat_perf.o
/*
 * kvm_stat: the perf_event_open ABI (no kernel headers needed) and the
 * background closer that lets kvm_stat quit while the kernel takes its
 * time releasing tracepoint counters.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 *
 * Why a closer: releasing the last perf event of a tracepoint waits for
 * an RCU grace period in the kernel (~37 ms here), one tracepoint after
 * the other under a global mutex, so closing all 93 kvm tracepoints takes
 * seconds. A detached process inherits the descriptors and drops them
 * after we are gone; our own copies close at once because the closer
 * still holds a reference.
 */
#include "libbb.h"
#include "kvm_stat_common.h"
#include <sys/syscall.h>	/* SYS_perf_event_open, SYS_getcpu */

/* include/uapi/linux/perf_event.h, first published size (VER0, 64 bytes) */
struct perf_attr {
	uint32_t type;
	uint32_t size;
	uint64_t config;	/* tracepoint id from events/kvm/NAME/id */
	uint64_t sample_period;	/* 0: count only, never sample */
	uint64_t sample_type;
	uint64_t read_format;
	uint64_t flags;	/* bit 0: disabled */
	uint32_t wakeup_events;
	uint32_t bp_type;
	uint64_t bp_addr;
	uint64_t bp_len;
};
#define PERF_TYPE_TRACEPOINT	2
#define PERF_FORMAT_TOTAL_TIME_ENABLED	(1 << 0)
#define PERF_FORMAT_GROUP	(1 << 3)
#define PERF_ATTR_DISABLED	1
#define PERF_IOC_FLAG_GROUP	1
/* libc's _IO/_IOW carry each architecture's encoding (ppc differs) */
#define PERF_IOC_ENABLE	_IO('$', 0)
#define PERF_IOC_RESET	_IO('$', 3)
#define PERF_IOC_SET_FILTER	_IOW('$', 6, char *)

/* fork without libc's atfork locks: the closer may start from a signal
 * handler. Architectures without fork(2) have clone(2) with flags first. */
#ifdef SYS_fork
# define raw_fork() syscall(SYS_fork)
#else
# define raw_fork() syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)
#endif
#ifndef SYS_close_range
# define SYS_close_range 436	/* the same number on every architecture */
#endif

/*
 * A counter on one tracepoint. The group leader starts disabled so that the
 * whole group starts counting at once when it is enabled; members follow
 * their leader. PERF_FORMAT_GROUP: one read returns every member's count,
 * after the number of members and the time the group was enabled (it
 * stands still once the group's CPU went offline: tracepoint_read).
 * FILTER, e.g. "exit_reason==12": count only the events whose field matches.
 * PID -1 and a CPU: every thread on that cpu; a thread PID and CPU -1: that
 * thread on every cpu. Both -1: the cpu we run on, for the perf event that
 * holds a BPF program (which runs for the hits on every cpu): it must be
 * online, and CPU 0 need not be (arm64 can take it offline).
 */
int perf_open_tracepoint(unsigned id, const char *filter, int pid, int cpu,
		int group_fd)
{
	struct perf_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = id,
		.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED,
		.flags = group_fd < 0 ? PERF_ATTR_DISABLED : 0,
	};
	int fd;

	/* getcpu(2) itself: musl's sched_getcpu() brings its vDSO lookup,
	 * ~300 bytes of the static binary, for a call made once a program */
	if (pid < 0 && cpu < 0 && syscall(SYS_getcpu, &cpu, NULL, NULL) != 0)
		cpu = 0;
	fd = syscall(SYS_perf_event_open, &attr, pid, cpu, group_fd, 0UL);
	if (fd >= 0 && filter && ioctl(fd, PERF_IOC_SET_FILTER, filter) != 0) {
		close(fd);	/* keeps errno: it succeeds */
		return -1;
	}
	return fd;
}

/* Start a whole group counting, through its leader */
int perf_enable(int fd)
{
	return ioctl(fd, PERF_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

#if ENABLE_FEATURE_KVM_STAT_TUI
/* Zero a whole group's counts, through its leader (TUI 'r') */
int perf_reset(int fd)
{
	return ioctl(fd, PERF_IOC_RESET, PERF_IOC_FLAG_GROUP);
}
#endif

/* fds is mostly ascending (opened in order): the search starts at *NEXT */
static int is_kept(const int *fds, unsigned n, int fd, unsigned *next)
{
	unsigned i, k = *next;

	for (i = 0; i < n; i++, k++) {
		if (k >= n)
			k = 0;
		if (fds[k] == fd) {
			*next = k + 1;
			return 1;
		}
	}
	return 0;
}

/*
 * A close that released a tracepoint held the kernel's event_mutex for a
 * grace period; every perf_event_open of a kvm_stat started meanwhile
 * waits on it. Pausing after each such close lets a new run open all its
 * counters between two of ours (15 ms for 93 events x 2 cpus here); once
 * it holds a tracepoint, our close of it no longer waits at all.
 */
static void close_slowly(const int *fds, unsigned n)
{
	unsigned long long t;
	unsigned i;

	for (i = 0; i < n; i++) {
		t = monotonic_us();
		close(fds[i]);
		if (monotonic_us() - t > 2000)
			usleep(50 * 1000);
	}
}

static int no_close_range(void)
{
	const char *debug = getenv("KVM_STAT_DEBUG");

	return debug && strcmp(debug, "no-close-range") == 0;
}

/*
 * The closer: a grandchild in its own session (no controlling tty),
 * stdio on /dev/null, cwd "/", every descriptor but the perf ones closed
 * (a shell's $(...) must see EOF on our stdout now, not in 3 s). It waits
 * for EOF on the pipe, that is, until the parent dropped its copies, then
 * closes them one by one (/proc/PID/fd shows the progress).
 * Only system calls here: this may run after a signal interrupted malloc.
 */
static void closer_run(const int *fds, unsigned n, int sync_fd) NORETURN;
static void closer_run(const int *fds, unsigned n, int sync_fd)
{
	struct rlimit rl;
	int fd, null = open("/dev/null", O_RDWR);
	unsigned next = 0, left = n;	/* perf fds not met yet */
	char c;

	for (fd = 0; left || fd <= sync_fd; fd++) {
		if (fd == sync_fd)
			continue;
		if (is_kept(fds, n, fd, &next))
			left--;
		else if (fd < 3)
			dup2(null, fd);	/* null itself goes later, if above 2 */
		else
			close(fd);
	}
	/* above the last perf fd and sync_fd; KVM_STAT_DEBUG=no-close-range
	 * tries the fallback of kernels before 5.9 (getenv() is signal-safe:
	 * it only reads) */
	if ((no_close_range() || syscall(SYS_close_range, fd, ~0U, 0) != 0)
	 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		/* as rlim_t: (int)RLIM_INFINITY is -1, and would close none */
		for (; (rlim_t)fd < rl.rlim_cur && fd < (1 << 20); fd++)
			close(fd);
	}
	if (chdir("/") != 0) {
		/* nothing holds us anywhere else anyway */
	}
	safe_read(sync_fd, &c, 1);
	close_slowly(fds, n);
	_exit(0);
}

/*
 * Give the descriptors to a detached closer, then close ours: cheap, as
 * the closer still holds each file. Falls back to closing them here.
 */
void perf_hand_off(const int *fds, unsigned n)
{
	int sync[2] = { -1, -1 };	/* stay so if pipe() fails */
	pid_t pid;
	unsigned i;

	if (n == 0)
		return;
	if (pipe(sync) == 0) {
		pid = raw_fork();
		if (pid == 0) {
			setsid();
			if (raw_fork() == 0)	/* sync[1] closes with the rest */
				closer_run(fds, n, sync[0]);
			_exit(0);
		}
		close(sync[0]);
		/* no EINTR: the signals we catch are blocked but in wait_event() */
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(sync[1]);	/* the closer's go (EBADF without a pipe) */
}
