/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the host as seen through $KVM_STAT_ROOT: mount points,
 * architecture, guest processes, online CPUs.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#include "libbb.h"
#include "kvm_stat.h"
#include <sys/utsname.h>

/* Every absolute path we read goes through the root prefix */
char* FAST_FUNC host_path(const char *fmt, ...)
{
	va_list p;
	char *rel, *path;

	va_start(p, fmt);
	if (vasprintf(&rel, fmt, p) < 0)
		bb_simple_error_msg_and_die("out of memory");
	va_end(p);
	path = xasprintf("%s%s", G.root, rel);
	free(rel);
	return path;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* /proc/mounts escapes blanks in paths as octal: "/mnt/a\040b" */
static void unescape_mount_path(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3'
		 && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7'
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
 * Mount points by filesystem type, never by device name (a FUSE mount
 * whose device is called "debugfs" must not be trusted). A line:
 * "debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec 0 0"
 */
void host_find_mounts(void)
{
	char *mounts, *line, *next;
	char *path = host_path("/proc/mounts");

	mounts = xmalloc_open_read_close(path, NULL);
	if (!mounts)
		bb_perror_msg_and_die("can't read '%s'", path);
	free(path);
	for (line = mounts; line && *line; line = next) {
		char *dir, *type;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		dir = strchr(line, ' ');
		if (!dir)
			continue;
		type = strchr(++dir, ' ');
		if (!type)
			continue;
		*type++ = '\0';
		unescape_mount_path(dir);
		if (!G.debugfs && is_prefixed_with(type, "debugfs "))
			G.debugfs = xasprintf("%s%s", G.root, dir);
		if (!G.tracefs && is_prefixed_with(type, "tracefs "))
			G.tracefs = xasprintf("%s%s", G.root, dir);
	}
	free(mounts);
	if (!G.tracefs && G.debugfs) {
		path = xasprintf("%s/tracing/events", G.debugfs);
		if (is_dir(path))
			G.tracefs = xasprintf("%s/tracing", G.debugfs);
		free(path);
	}
	if (G.debugfs)
		G.debugfs_kvm = xasprintf("%s/kvm", G.debugfs);
}

static int file_exists(const char *fmt, const char *arg)
{
	char *path = host_path(fmt, arg);
	int r = access(path, F_OK) == 0;

	free(path);
	return r;
}

/* "flags : fpu vme ... vmx ..." (x86 /proc/cpuinfo) */
static int cpuinfo_arch(void)
{
	char *path = host_path("/proc/cpuinfo");
	char *info = xmalloc_open_read_close(path, NULL);
	char *line;
	int arch = ARCH_UNKNOWN;

	free(path);
	for (line = info; line && (line = strstr(line, "\nflags")); line++) {
		char *end = strchrnul(line + 1, '\n');
		char save = *end;

		*end = '\0';
		if (strstr(line, " vmx"))
			arch = ARCH_VMX;
		else if (strstr(line, " svm"))
			arch = ARCH_SVM;
		*end = save;
		break;
	}
	free(info);
	return arch;
}

/*
 * The machine name: <root>/proc/sys/kernel/arch (Linux 6.1+, and the
 * fixtures' way to pose as another architecture), else uname -m.
 */
static void machine_name(char *buf, size_t size)
{
	char *path = host_path("/proc/sys/kernel/arch");
	ssize_t n = open_read_close(path, buf, size - 1);
	struct utsname u;

	free(path);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return;
	}
	uname(&u);
	snprintf(buf, size, "%.31s", u.machine);
}

/*
 * The loaded module tells best (nested or PVM hosts have no vmx/svm
 * flag), then the cpu flags, then the machine name.
 */
void host_detect_arch(void)
{
	char m[32];

	if (file_exists("/sys/module/%s", "kvm_intel")) {
		G.arch = ARCH_VMX;
		return;
	}
	if (file_exists("/sys/module/%s", "kvm_amd")) {
		G.arch = ARCH_SVM;
		return;
	}
	machine_name(m, sizeof(m));
	if (is_prefixed_with(m, "aarch64") || is_prefixed_with(m, "arm64"))
		G.arch = ARCH_ARM64;
	else if (is_prefixed_with(m, "s390"))
		G.arch = ARCH_S390;
	else if (is_prefixed_with(m, "ppc"))
		G.arch = ARCH_PPC;
	else if (strcmp(m, "x86_64") == 0 || (m[0] == 'i' && strstr(m, "86")))
		G.arch = cpuinfo_arch();
}

/* s390 reports instruction_* counters as children of exit_instruction */
const char *debugfs_parent(const char *name)
{
	if (G.arch == ARCH_S390 && is_prefixed_with(name, "instruction_"))
		return "exit_instruction";
	return NULL;
}

int host_pid_exists(int pid)
{
	char *path = host_path("/proc/%d", pid);
	int r = is_dir(path);

	free(path);
	return r;
}

/*
 * The guest name from a QEMU command line: the argument after "-name",
 * either "NAME" or "guest=NAME,debug-threads=on" (a plain name wins), with
 * ",," standing for a literal comma.
 */
static char *name_from_option(const char *opt)
{
	char *name = NULL;

	while (*opt) {
		char *part = xmalloc(strlen(opt) + 1);
		char *d = part;

		for (;;) {
			if (*opt == ',' && opt[1] == ',') {
				*d++ = ',';
				opt += 2;
			} else if (*opt == ',' || !*opt) {
				break;
			} else {
				*d++ = *opt++;
			}
		}
		*d = '\0';
		if (*opt)
			opt++;
		if (!strchr(part, '=')) {
			free(name);
			return part;
		}
		if (is_prefixed_with(part, "guest=")) {
			free(name);
			name = xstrdup(part + 6);
		}
		free(part);
	}
	return name ? name : xstrdup("");
}

char *host_guest_name(int pid)
{
	char *path = host_path("/proc/%d/cmdline", pid);
	size_t len = 64 * 1024;	/* the limit, then what was read */
	char *cmd = xmalloc_open_read_close(path, &len);
	char *arg, *name = NULL;

	free(path);
	for (arg = cmd; cmd && arg < cmd + len; arg += strlen(arg) + 1) {
		if (strcmp(arg, "-name") == 0 || strcmp(arg, "--name") == 0) {
			arg += strlen(arg) + 1;
			if (arg < cmd + len)
				name = name_from_option(arg);
			break;
		}
	}
	free(cmd);
	return name ? name : xstrdup("");
}

int host_find_guests(const char *want, int **pids)
{
	char *path = host_path("/proc");
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

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
