/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the debugfs provider. KVM keeps one file per counter in
 * <debugfs>/kvm/ (the sum over all VMs) and again in one directory per VM,
 * named "PID-FD":
 *   /sys/kernel/debug/kvm/exits          "123456\n"
 *   /sys/kernel/debug/kvm/4242-11/exits  "6000\n"
 *   /sys/kernel/debug/kvm/4242-11/vcpu0/ (per-vCPU, not a VM)
 * As the reference, we sum the per-VM files; totals start at zero when a
 * VM is first seen (or at the counter's start with -i).
 *
 * The files cannot be read twice through one descriptor: KVM's stat files
 * are not seekable (pread and lseek fail with ESPIPE on a real host) and
 * a second read returns 0. So every refresh opens, reads and closes each
 * counter, relative to a descriptor kept open per VM directory (openat:
 * no path walk from the root each time).
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_DEBUGFS) += kvm_stat_debugfs.o

#include "libbb.h"
#include "kvm_stat.h"

#define NO_BASE LLONG_MIN

struct vm_dir {
	char *name;	/* "4242-11" */
	int pid;
	smallint seen;	/* found by the latest directory scan */
	smallint from_zero;	/* -i: present at start, count from zero */
	int dirfd;	/* the VM's directory; -1: use the full path */
	long long *base;	/* per field; NO_BASE: not read yet */
};

struct debugfs_state {
	char **fields;	/* every counter file, unfiltered */
	char **keys;	/* stats keys: "name" or "child parent" */
	smallint *wanted;
	unsigned nfields;
	struct vm_dir *vms;
	unsigned nvms;
	struct vm_dir all;	/* the global files: sums over the live VMs */
	unsigned dirfds_left;	/* VM directories we may keep open */
	unsigned unreadable;	/* EPERM/EACCES in the latest read */
	smallint warned;
};
#define D (*G.dfs)

/* Not counters (the reference skips them too): histogram-ish sums */
static int is_exempt(const char *name)
{
	return strcmp(name, "halt_poll_fail_ns") == 0
		|| strcmp(name, "halt_poll_success_ns") == 0
		|| strcmp(name, "halt_wait_ns") == 0;
}

/* "4242-11": digits, '-', digits. Never "vcpu0" or anything else. */
static int vm_dir_pid(const char *name)
{
	const char *dash;
	unsigned pid;

	if (!isdigit(name[0]))
		return 0;
	dash = name + strspn(name, "0123456789");
	if (*dash != '-' || !isdigit(dash[1]) || dash[1 + strspn(dash + 1, "0123456789")])
		return 0;
	pid = strtoul(name, NULL, 10);
	return pid <= INT_MAX ? pid : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_fields(void)
{
	DIR *dir = opendir(G.debugfs_kvm);
	struct dirent *de;
	unsigned i;

	if (!dir)
		bb_perror_msg_and_die("can't open '%s'", G.debugfs_kvm);
	while ((de = readdir(dir)) != NULL) {
		char *path;
		struct stat st;
		int is_file;

		if (de->d_name[0] == '.' || is_exempt(de->d_name))
			continue;
		path = xasprintf("%s/%s", G.debugfs_kvm, de->d_name);
		is_file = stat(path, &st) == 0 && S_ISREG(st.st_mode);
		free(path);
		if (!is_file)
			continue;
		if ((D.nfields & 63) == 0)
			D.fields = xrealloc(D.fields, (D.nfields + 64) * sizeof(char *));
		D.fields[D.nfields++] = xstrdup(de->d_name);
	}
	closedir(dir);
	qsort(D.fields, D.nfields, sizeof(char *), cmp_str);
	D.keys = xmalloc(D.nfields * sizeof(char *));
	D.wanted = xzalloc(D.nfields);
	for (i = 0; i < D.nfields; i++) {
		const char *parent = debugfs_parent(D.fields[i]);

		D.keys[i] = parent ? xasprintf("%s %s", D.fields[i], parent)
				: D.fields[i];
	}
}

/* Wanted: matches -f, or is the parent of a wanted child */
static void apply_filter(void)
{
	unsigned i, j;

	for (i = 0; i < D.nfields; i++)
		D.wanted[i] = field_wanted(D.fields[i]);
	for (i = 0; i < D.nfields; i++) {
		const char *parent = debugfs_parent(D.fields[i]);

		if (!D.wanted[i] || !parent)
			continue;
		for (j = 0; j < D.nfields; j++)
			if (strcmp(D.fields[j], parent) == 0)
				D.wanted[j] = 1;
	}
}

static void close_vm(struct vm_dir *vm)
{
	if (vm->dirfd >= 0) {
		close(vm->dirfd);
		D.dirfds_left++;
	}
	free(vm->base);
	free(vm->name);
}

static void add_vm(const char *name, int pid, int from_zero)
{
	struct vm_dir *vm;
	unsigned f;

	D.vms = xrealloc(D.vms, (D.nvms + 1) * sizeof(D.vms[0]));
	vm = &D.vms[D.nvms++];
	vm->name = xstrdup(name);
	vm->pid = pid;
	vm->seen = 1;
	vm->from_zero = from_zero;
	vm->dirfd = -1;
	if (D.dirfds_left) {
		char *path = xasprintf("%s/%s", G.debugfs_kvm, name);

		vm->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(path);
		if (vm->dirfd >= 0)
			D.dirfds_left--;
	}
	vm->base = xmalloc(D.nfields * sizeof(long long));
	for (f = 0; f < D.nfields; f++)
		vm->base[f] = NO_BASE;
}

/* VMs come and go: rescan every refresh, keep what is still there */
static void scan_vms(int at_setup)
{
	DIR *dir = opendir(G.debugfs_kvm);
	struct dirent *de;
	unsigned i;

	for (i = 0; i < D.nvms; i++)
		D.vms[i].seen = 0;
	while (dir && (de = readdir(dir)) != NULL) {
		int pid = vm_dir_pid(de->d_name);

		if (!pid)
			continue;
		for (i = 0; i < D.nvms; i++) {
			if (strcmp(D.vms[i].name, de->d_name) == 0) {
				D.vms[i].seen = 1;
				break;
			}
		}
		if (i == D.nvms)
			add_vm(de->d_name, pid, at_setup && G.include_past);
	}
	if (dir)
		closedir(dir);
	for (i = 0; i < D.nvms; ) {
		if (D.vms[i].seen) {
			i++;
			continue;
		}
		close_vm(&D.vms[i]);
		D.vms[i] = D.vms[--D.nvms];
	}
}

/* Values are decimal text, "6000\n"; anything else counts as 0 */
static long long parse_counter(const char *buf, ssize_t len)
{
	char text[32];
	char *end;
	long long v;

	if (len <= 0)
		return 0;
	if (len >= (ssize_t)sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, buf, len);
	text[len] = '\0';
	errno = 0;
	v = strtoll(text, &end, 10);
	if (end == text || errno || *skip_whitespace(end))
		return 0;
	return v;
}

/* No atime update per read: ~15% of the kernel's work for a read */
static int open_counter(struct vm_dir *vm, unsigned f)
{
	char *path = NULL;
	int fd;

	if (vm->dirfd < 0)
		path = xasprintf("%s/%s/%s", G.debugfs_kvm, vm->name, D.fields[f]);
	fd = openat(vm->dirfd, path ? path : D.fields[f],
			O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)	/* not the owner, or lockdown */
		fd = openat(vm->dirfd, path ? path : D.fields[f],
				O_RDONLY | O_CLOEXEC);
	free(path);
	return fd;
}

static long long read_counter(struct vm_dir *vm, unsigned f)
{
	char buf[32];
	ssize_t n;
	int fd = open_counter(vm, f);

	if (fd < 0) {
		if (errno == EPERM || errno == EACCES)
			D.unreadable++;
		return 0;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EPERM || errno == EACCES))
		D.unreadable++;
	close(fd);
	return parse_counter(buf, n);
}

static void warn_unreadable(void)
{
	if (!D.unreadable || D.warned)
		return;
	D.warned = 1;
	bb_error_msg("%u debugfs counters are not readable (kernel lockdown or "
		"Secure Boot?) and count as 0: use tracepoints (-t)", D.unreadable);
}

/* Keys exist only once a VM is read, as in the reference */
static int *resolve_keys(int by_guest)
{
	int *idx = xmalloc(D.nfields * sizeof(int));
	unsigned f;

	for (f = 0; f < D.nfields; f++)
		idx[f] = D.wanted[f] && (!by_guest || debugfs_parent(D.fields[f]))
			? stats_find(D.keys[f]) : -1;
	return idx;
}

static long long base_of(struct vm_dir *vm, unsigned f, long long v)
{
	if (vm->base[f] == NO_BASE)
		vm->base[f] = vm->from_zero ? 0 : v;
	return vm->base[f];
}

/* -p, or the TUI's by-guest view: every counter of every selected VM */
static void read_each_vm(int by_guest)
{
	char pidkey[sizeof(int) * 3 + 2];
	int *idx = NULL;
	unsigned i, f;

	for (i = 0; i < D.nvms; i++) {
		struct vm_dir *vm = &D.vms[i];
		int guest_idx = -1;

		if (G.pid && vm->pid != G.pid)
			continue;
		if (!idx)
			idx = resolve_keys(by_guest);
		if (by_guest) {
			sprintf(pidkey, "%d", vm->pid);
			guest_idx = stats_find(pidkey);
		}
		for (f = 0; f < D.nfields; f++) {
			long long v;

			if (!D.wanted[f])
				continue;
			v = read_counter(vm, f);
			v -= base_of(vm, f, v);
			stats_add(idx[f] >= 0 ? idx[f] : guest_idx, v);
		}
	}
	free(idx);
}

/*
 * All guests, by event. The global file is the sum over the live VMs,
 * so sum(value - base) = global - sum(base): a VM's own files are read
 * only when it first appears, 60 reads a refresh instead of 60 per VM.
 * The globals are read before the directory scan, so a VM born in
 * between has its base read after them and adds a few ticks too few for
 * one refresh, not its whole count.
 */
static void read_all_vms(void)
{
	long long *sum = xmalloc(D.nfields * sizeof(long long));
	int *idx;
	unsigned i, f;

	for (f = 0; f < D.nfields; f++)
		sum[f] = D.wanted[f] ? read_counter(&D.all, f) : 0;
	scan_vms(0);
	if (D.nvms) {
		idx = resolve_keys(0);
		for (f = 0; f < D.nfields; f++) {
			if (!D.wanted[f])
				continue;
			for (i = 0; i < D.nvms; i++) {
				struct vm_dir *vm = &D.vms[i];

				if (vm->base[f] == NO_BASE)
					base_of(vm, f, read_counter(vm, f));
				sum[f] -= vm->base[f];
			}
			stats_add(idx[f], sum[f]);
		}
		free(idx);
	}
	free(sum);
}

void debugfs_read(int by_guest)
{
	D.unreadable = 0;
	if (!G.pid && !by_guest) {
		read_all_vms();
	} else {
		scan_vms(0);
		read_each_vm(by_guest);
	}
	stats_commit();
	warn_unreadable();
}

/* TUI 'r': totals start again from the current values */
void debugfs_reset(void)
{
	unsigned i, f;

	for (i = 0; i < D.nvms; i++)
		for (f = 0; f < D.nfields; f++)
			D.vms[i].base[f] = NO_BASE;
	for (i = 0; i < D.nvms; i++)
		D.vms[i].from_zero = 0;
	debugfs_read(0);
	stats_clear();
}

/* Filter or pid changed: baselines stay, as in the reference */
void debugfs_refilter(void)
{
	apply_filter();
}

/*
 * One descriptor per VM directory, up to the soft limit of open files
 * (raised to the hard limit if needed); past that, full paths.
 */
static void plan_descriptors(void)
{
	struct rlimit rl;
	unsigned want = D.nvms + 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	/* leave room for stdio, perf events and the TUI */
	D.dirfds_left = rl.rlim_cur > 512 ? rl.rlim_cur - 256 : rl.rlim_cur / 2;
}

/*
 * Lockdown (Secure Boot) makes the writable (0644) counter files answer
 * EPERM while the 0444 ones still read: say so up front, using the
 * global files, which exist even while no VM runs.
 */
static void check_readable(void)
{
	unsigned f, denied = 0, tried = 0;

	for (f = 0; f < D.nfields; f++) {
		char *path;
		int fd;

		if (!D.wanted[f])
			continue;
		path = xasprintf("%s/%s", G.debugfs_kvm, D.fields[f]);
		fd = open(path, O_RDONLY);
		free(path);
		tried++;
		if (fd < 0 && (errno == EPERM || errno == EACCES))
			denied++;
		if (fd >= 0)
			close(fd);
	}
	if (tried && denied == tried)
		bb_error_msg_and_die("debugfs counters in %s are not readable "
			"(kernel lockdown or Secure Boot?): use tracepoints (-t)",
			G.debugfs_kvm);
	if (denied) {
		D.unreadable = denied;
		warn_unreadable();
	}
}

static void check_debugfs(void)
{
	struct stat st;

	if (!G.debugfs)
		bb_simple_error_msg_and_die("debugfs is not mounted: enable "
			"CONFIG_DEBUG_FS and run "
			"'mount -t debugfs debugfs /sys/kernel/debug'");
	if (stat(G.debugfs_kvm, &st) != 0)
		bb_error_msg_and_die("%s not found: make sure that CONFIG_KVM is "
			"enabled in your kernel and that the modules are loaded",
			G.debugfs_kvm);
}

static void init_state(void)
{
	if (G.dfs)
		return;
	check_debugfs();
	G.dfs = xzalloc(sizeof(*G.dfs));
	scan_fields();
	D.all.name = (char *)"";
	D.all.dirfd = open(G.debugfs_kvm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void debugfs_setup(void)
{
	init_state();
	apply_filter();
	check_readable();
	plan_descriptors();
	scan_vms(1);
	debugfs_read(0);	/* sets the baselines */
}

/* -f help: the counters, whether or not a VM runs now */
void debugfs_list_fields(void)
{
	unsigned f;

	init_state();
	for (f = 0; f < D.nfields; f++)
		stats_find(D.keys[f]);
}
