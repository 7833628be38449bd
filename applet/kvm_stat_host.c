/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the host as seen through $KVM_STAT_ROOT: mount points,
 * architecture, guest processes.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat_common.h"
#include <sys/mount.h>
#include <sys/utsname.h>

/* host_path() of a path that is no format */
static char *root_path(const char *path)
{
	return host_path("%s", path);
}

/* The type and permission bits of PATH, which is freed; 0 if none */
static unsigned mode_of_and_free(char *path)
{
	struct stat st;
	unsigned mode = stat(path, &st) == 0 ? st.st_mode : 0;

	free(path);
	return mode;
}

static int is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* /proc/mounts escapes blanks in paths as octal: "/mnt/a\040b" */
static void unescape_mount_path(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3'
		 && is_octal(s[2]) && is_octal(s[3])
		) {
			*d++ = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/*
 * A rescue shell or an initramfs has nothing mounted: mount TYPE on DIR
 * as trace-cmd does, and leave it mounted. Only where no mount of TYPE
 * was found, only on the real host (no $KVM_STAT_ROOT), only when the
 * real user is root: a set-user-ID copy run by someone else must not
 * change the machine's mounts. A failure is said here, and the caller's
 * usual message (tracefs not found, debugfs is not mounted) follows.
 */
static void mount_missing(char **mnt, const char *type, const char *dir)
{
	if (*mnt || G.root[0] || getuid() != 0)
		return;
	if (mount(type, dir, type, 0, NULL) != 0) {
		bb_perror_msg("can't mount %s on %s", type, dir);
		return;
	}
	bb_error_msg("mounted %s on %s", type, dir);
	*mnt = xstrdup(dir);
}

/*
 * Mount points by filesystem type, never by device name (a FUSE mount
 * whose device is called "debugfs" must not be trusted). A line:
 * "debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec 0 0"
 * tracefs: its own mount first, else <debugfs>/tracing.
 */
void host_find_mounts(void)
{
	char *path = root_path("/proc/mounts");
	char *mounts = xmalloc_open_read_close(path, NULL);
	char *line, *next;

	if (!mounts)
		bb_perror_msg_and_die("can't read '%s'", path);
	free(path);
	for (line = mounts; *line; line = next) {
		char *dir, *type, **mnt = NULL;

		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		dir = strchr(line, ' ');
		type = dir ? strchr(++dir, ' ') : NULL;
		if (!type)
			continue;
		*type++ = '\0';
		if (is_prefixed_with(type, "debugfs "))
			mnt = &G.debugfs;
		else if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS
		 && is_prefixed_with(type, "tracefs "))
			mnt = &G.tracefs;
		if (mnt && !*mnt) {	/* the first of each type */
			unescape_mount_path(dir);
			*mnt = root_path(dir);
		}
	}
	free(mounts);
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && G.debugfs && !G.tracefs
	 && S_ISDIR(mode_of_and_free(xasprintf("%s/tracing/events", G.debugfs))))
		G.tracefs = xasprintf("%s/tracing", G.debugfs);
	/* what the sources will need (stats_choose_sources()): tracefs
	 * unless -d alone; debugfs for -d, and as the fallback of a plain
	 * run without tracefs */
	if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS && (!(G.opts & OPT_d) || (G.opts & OPT_t)))
		mount_missing(&G.tracefs, "tracefs", "/sys/kernel/tracing");
	if (ENABLE_FEATURE_KVM_STAT_DEBUGFS
	 && ((G.opts & OPT_d) || (!(G.opts & OPT_t) && !G.tracefs)))
		mount_missing(&G.debugfs, "debugfs", "/sys/kernel/debug");
	if (G.debugfs)
		G.debugfs_kvm = xasprintf("%s/kvm", G.debugfs);
}

/* As access(F_OK) */
static int file_exists(const char *name)
{
	return mode_of_and_free(root_path(name)) != 0;
}

/* The first "flags\t\t: fpu vme ... vmx ..." line of x86 /proc/cpuinfo */
static int cpuinfo_arch(void)
{
	char *path = root_path("/proc/cpuinfo");
	char *info = xmalloc_open_read_close(path, NULL);
	char *p = info;
	int arch = ARCH_UNKNOWN;

	free(path);
	while (p && !is_prefixed_with(p, "flags")) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	/* no strstr(): it would add ~1 KiB of libc to the binary */
	for (; p && *p && *p != '\n'; p++) {
		if (is_prefixed_with(p, " vmx")) {
			arch = ARCH_VMX;	/* wins over svm */
			break;
		}
		if (is_prefixed_with(p, " svm"))
			arch = ARCH_SVM;
	}
	free(info);
	return arch;
}

/*
 * Whose exit reasons the tracepoints name. On x86 the loaded module
 * tells best (nested or PVM hosts have no vmx/svm flag), then the cpu
 * flags.
 */
static int exit_arch(const char *machine)
{
	if (is_prefixed_with(machine, "aarch64") || is_prefixed_with(machine, "arm64"))
		return ARCH_ARM64;
	if (file_exists("/sys/module/kvm_intel"))
		return ARCH_VMX;
	if (file_exists("/sys/module/kvm_amd"))
		return ARCH_SVM;
	return cpuinfo_arch();
}

/*
 * The machine name: <root>/proc/sys/kernel/arch (Linux 6.1+, and the
 * fixtures' way to pose as another architecture), else uname -m.
 * Debugfs cares about s390 only, the tracepoints about the rest.
 */
void host_detect_arch(void)
{
	struct utsname u;
	char *path = root_path("/proc/sys/kernel/arch");
	ssize_t n = open_read_close(path, u.machine, sizeof(u.machine) - 1);

	free(path);
	if (n > 0)
		u.machine[n] = '\0';	/* "s390x\n": only prefixes matter */
	else
		uname(&u);
	if (is_prefixed_with(u.machine, "s390"))
		G.arch = ARCH_S390;
	else if (ENABLE_FEATURE_KVM_STAT_TRACEPOINTS)
		G.arch = exit_arch(u.machine);
}

/*
 * PID is a running process. /proc/TID is there for each thread too (only
 * readdir hides it), so its status must say Tgid: PID: a vCPU's thread id
 * is no guest. The perf path would count its whole process (/proc/TID/task
 * lists every thread), the BPF path, which compares processes, nothing.
 */
int host_pid_exists(int pid)
{
	char buf[256] = "";	/* Name, Umask, State, then Tgid */
	char *line = buf, *path = host_path("/proc/%d/status", pid);

	open_read_close(path, buf, sizeof(buf) - 1);
	free(path);
	/* line by line, not strstr(): musl's brings 1.4 KiB to a binary
	 * without BPF */
	while ((line = strchr(line, '\n')) != NULL)
		if (is_prefixed_with(++line, "Tgid:"))
			return atoi(line + 5) == pid;
	return 0;
}

/*
 * The guest name from a QEMU command line: the argument after "-name",
 * either "NAME" or "guest=NAME,debug-threads=on" (a plain name wins), with
 * ",," standing for a literal comma. Unescapes OPT in place.
 */
static const char *name_from_option(char *opt)
{
	const char *name = "";

	while (*opt) {
		char *part = opt, *d = opt, *guest;

		/* up to a ',' not doubled, which OPT steps over; ",," is one */
		while (*opt && (*opt != ',' || *++opt == ','))
			*d++ = *opt++;
		*d = '\0';	/* d may be where the ',' was */
		if (!strchr(part, '='))
			return part;
		guest = is_prefixed_with(part, "guest=");
		if (guest)
			name = guest;
	}
	return name;
}

char *host_guest_name(int pid)
{
	char *path = host_path("/proc/%d/cmdline", pid);
	/* whole: "-name" may come after any number of arguments (the
	 * kernel bounds them: a quarter of the stack limit) */
	size_t len = INT_MAX - 4095;	/* libbb's bound, then what was read */
	char *cmd = xmalloc_open_read_close(path, &len);
	char *arg, *name;
	const char *found = "";

	free(path);
	for (arg = cmd; cmd && arg < cmd + len; arg += strlen(arg) + 1) {
		/* "-name" or "--name" */
		if (strcmp(arg + (arg[0] == '-' && arg[1] == '-'), "-name") == 0) {
			arg += strlen(arg) + 1;
			break;
		}
	}
	if (cmd && arg < cmd + len)	/* else no -name, or nothing after */
		found = name_from_option(arg);
	name = xstrdup(found);
	free(cmd);
	return name;
}

int host_find_guests(const char *want, int **pids)
{
	char *path = root_path("/proc");
	DIR *dir = opendir(path);
	struct dirent *de;
	unsigned n = 0;

	free(path);
	*pids = NULL;
	while (dir && (de = readdir(dir)) != NULL) {
		unsigned pid = bb_strtou(de->d_name, NULL, 10);
		char *name;
		int i;

		if (errno || pid == 0)
			continue;
		name = host_guest_name(pid);
		if (name[0] && (!want || strcmp(name, want) == 0)) {
			*pids = xrealloc(*pids, (n + 1) * sizeof(int));
			for (i = n++; i > 0 && (*pids)[i - 1] > (int)pid; i--)
				(*pids)[i] = (*pids)[i - 1];
			(*pids)[i] = pid;
		}
		free(name);
	}
	if (dir)
		closedir(dir);
	return n;
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
/*
 * /proc/PID/task/TID/comm, "CPU 3/KVM\n", into BUF[16]; "" if unreadable.
 * A VMM may name its threads anything, and the name is a column of CSV
 * (-l -c -v): a ',' or a '"' is read as a '?'.
 */
static void read_comm(char *buf, int pid, int tid)
{
	char *path = host_path("/proc/%d/task/%d/comm", pid, tid);
	int i, len = open_read_close(path, buf, 15);	/* TASK_COMM_LEN - 1 */

	free(path);
	for (i = 0; i < len && buf[i] != '\n'; i++)	/* len -1: none */
		if (buf[i] == '"' || buf[i] == ',')
			buf[i] = '?';
	buf[i] = '\0';
}

/*
 * QEMU names its vCPU threads "CPU N/KVM" (with debug-threads=on; other
 * VMMs alike); a thread that kept its process's name (the main thread's,
 * tid PID), or is gone, is told by its tid
 */
char *host_vcpu_name(int pid, int tid)
{
	char comm[16], proc_comm[16];

	read_comm(comm, pid, tid);
	read_comm(proc_comm, pid, pid);
	if (!comm[0] || strcmp(comm, proc_comm) == 0)
		return xasprintf("%d", tid);
	return printable_dup(comm);
}
#endif
