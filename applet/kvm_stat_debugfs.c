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
 * counter, relative to a directory descriptor (openat: no path walk from
 * the root each time). A VM's directory is opened for one pass over its
 * counters only: however many VMs run, we hold three descriptors at most.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_DEBUGFS) += kvm_stat_debugfs.o

#include "libbb.h"
#include "kvm_stat.h"

#define NO_BASE LLONG_MIN

struct vm_dir {
	struct vm_dir *next;	/* in directory order */
	long long *base;	/* per field; NO_BASE: not read yet */
	int pid;
	smallint seen;	/* found by the latest directory scan */
	char name[];	/* "4242-11" */
};

struct debugfs_state {
	char **fields;	/* every counter file, unfiltered */
	char **keys;	/* stats keys: "name" or "child parent" */
	smallint *wanted;
	unsigned nfields;
	struct vm_dir *vms;
	int kvmfd;	/* <debugfs>/kvm */
	unsigned unreadable;	/* EPERM/EACCES in the latest read */
	smallint warned;
};
#define D (*G.dfs)

/* Not counters (the reference skips them too): histogram-ish sums */
static int is_exempt(const char *name)
{
	static const char exempt[] ALIGN1 =
		"halt_poll_fail_ns\0" "halt_poll_success_ns\0" "halt_wait_ns\0";
	const char *s;

	for (s = exempt; *s; s += strlen(s) + 1)
		if (strcmp(name, s) == 0)
			return 1;
	return 0;
}

/* "4242-11": digits, '-', digits. Never "vcpu0" or anything else. */
static int vm_dir_pid(const char *name)
{
	char *end;
	unsigned long pid = strtoul(name, &end, 10);

	if (!isdigit(name[0]) || *end != '-' || !isdigit(end[1]) || pid > INT_MAX)
		return 0;
	strtoul(end + 1, &end, 10);
	return *end ? 0 : pid;
}

/* Regular files, except the exempt ones */
static int is_counter(const struct dirent *de)
{
	struct stat st;

	return de->d_name[0] != '.' && !is_exempt(de->d_name)
		&& fstatat(D.kvmfd, de->d_name, &st, 0) == 0
		&& S_ISREG(st.st_mode);
}

/* Byte order (alphasort would follow the locale) */
static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void scan_fields(void)
{
	struct dirent **ents;
	int i, n = scandir(G.debugfs_kvm, &ents, is_counter, cmp_name);

	if (n < 0)
		bb_perror_msg_and_die("can't open '%s'", G.debugfs_kvm);
	D.nfields = n;
	D.fields = xmalloc(n * sizeof(char *));
	D.keys = xmalloc(n * sizeof(char *));
	D.wanted = xzalloc(n);
	for (i = 0; i < n; i++) {
		const char *parent = debugfs_parent(ents[i]->d_name);

		D.fields[i] = ents[i]->d_name;
		D.keys[i] = parent ? xasprintf("%s %s", D.fields[i], parent)
				: D.fields[i];
	}
	free(ents);
}

/* Filter or pid changed, and at set-up: the wanted fields are those
 * -f matches, and the parents of wanted children. Baselines stay, as
 * in the reference. */
void debugfs_refilter(void)
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

/* -i: the VMs of the start count from zero, later ones from first sight */
static struct vm_dir *new_vm(const char *name, int pid)
{
	struct vm_dir *vm = xzalloc(sizeof(*vm) + strlen(name) + 1);
	unsigned f;

	strcpy(vm->name, name);
	vm->pid = pid;
	vm->base = xmalloc(D.nfields * sizeof(long long));
	for (f = 0; f < D.nfields; f++)
		vm->base[f] = G.include_past ? 0 : NO_BASE;
	return vm;
}

/* VMs come and go: rescan every refresh, keep what is still there */
static void scan_vms(void)
{
	DIR *dir = opendir(G.debugfs_kvm);
	struct dirent *de;
	struct vm_dir *vm, **pp;

	for (vm = D.vms; vm; vm = vm->next)
		vm->seen = 0;
	while (dir && (de = readdir(dir)) != NULL) {
		int pid = vm_dir_pid(de->d_name);

		if (!pid)
			continue;
		for (pp = &D.vms; (vm = *pp) != NULL; pp = &vm->next)
			if (strcmp(vm->name, de->d_name) == 0)
				break;
		if (!vm)
			vm = *pp = new_vm(de->d_name, pid);
		vm->seen = 1;
	}
	if (dir)
		closedir(dir);
	G.include_past = 0;	/* -i is for the VMs of the start */
	for (pp = &D.vms; (vm = *pp) != NULL; ) {
		if (vm->seen) {
			pp = &vm->next;
			continue;
		}
		*pp = vm->next;
		free(vm->base);
		free(vm);
	}
}

/*
 * Values are decimal text, "6000\n"; anything else counts as 0.
 * No atime update per read: ~15% of the kernel's work for a read.
 */
static long long read_counter(int dirfd, unsigned f)
{
	char buf[32];
	char *end;
	long long v;
	ssize_t n = -1;
	int fd = openat(dirfd, D.fields[f], O_RDONLY | O_CLOEXEC | O_NOATIME);

	if (fd < 0 && errno == EPERM)	/* not the owner, or lockdown */
		fd = openat(dirfd, D.fields[f], O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);	/* succeeds: errno stays read()'s */
	}
	if (n < 0) {
		if (errno == EPERM || errno == EACCES)
			D.unreadable++;
		n = 0;
	}
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (end == buf || errno || *skip_whitespace(end))
		return 0;
	return v;
}

/* Kernel lockdown (Secure Boot) makes the writable (0644) counter files
 * answer EPERM while the 0444 ones still read */
static const char not_readable[] ALIGN1 =
	"not readable (kernel lockdown or Secure Boot?)";

static void warn_unreadable(void)
{
	if (!D.unreadable || D.warned)
		return;
	D.warned = 1;
	bb_error_msg("%u debugfs counters are %s and count as 0: "
		"use tracepoints (-t)", D.unreadable, not_readable);
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

/*
 * All guests, by event: the global file is the sum over the live VMs,
 * so sum(value - base) = global - sum(base): a VM's own files are read
 * only when it first appears, 60 reads a refresh instead of 60 per VM.
 * The globals are read before the directory scan, so a VM born in
 * between has its base read after them and adds a few ticks too few for
 * one refresh, not its whole count.
 * -p, or the TUI's by-guest view: every counter of every selected VM.
 */
void debugfs_read(int by_guest)
{
	long long *sum = xzalloc(D.nfields * sizeof(long long));
	char pidkey[sizeof(int) * 3 + 2];
	int *idx = NULL;
	struct vm_dir *vm;
	unsigned f;
	int each_vm;

	by_guest = ENABLE_FEATURE_KVM_STAT_TUI && by_guest;	/* a screen view */
	each_vm = G.pid || by_guest;
	D.unreadable = 0;
	for (f = 0; f < D.nfields; f++)
		if (D.wanted[f] && !each_vm)
			sum[f] = read_counter(D.kvmfd, f);
	scan_vms();
	for (vm = D.vms; vm; vm = vm->next) {
		int dirfd = -1;	/* opened once a value is wanted */
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
			long long v = 0;

			if (!D.wanted[f])
				continue;
			if (each_vm || vm->base[f] == NO_BASE) {
				if (dirfd < 0)	/* O_PATH: only for openat() */
					dirfd = openat(D.kvmfd, vm->name,
						O_PATH | O_DIRECTORY | O_CLOEXEC);
				v = read_counter(dirfd, f);
				if (vm->base[f] == NO_BASE)
					vm->base[f] = v;
			}
			if (each_vm)
				stats_add(idx[f] >= 0 ? idx[f] : guest_idx, v - vm->base[f]);
			else
				sum[f] -= vm->base[f];
		}
		if (dirfd >= 0)
			close(dirfd);
	}
	if (idx && !each_vm) {
		for (f = 0; f < D.nfields; f++)
			if (D.wanted[f])
				stats_add(idx[f], sum[f]);
	}
	free(idx);
	free(sum);
	stats_commit();
	warn_unreadable();
}

#if ENABLE_FEATURE_KVM_STAT_TUI
/* TUI 'r': totals start again from the current values */
void debugfs_reset(void)
{
	struct vm_dir *vm;
	unsigned f;

	for (vm = D.vms; vm; vm = vm->next)
		for (f = 0; f < D.nfields; f++)
			vm->base[f] = NO_BASE;
	debugfs_read(0);
	stats_clear();
}
#endif

/* Lockdown: say so up front, using the global files, which exist even
 * while no VM runs */
static void check_readable(void)
{
	unsigned f, tried = 0;

	for (f = 0; f < D.nfields; f++) {
		if (!D.wanted[f])
			continue;
		read_counter(D.kvmfd, f);
		tried++;
	}
	if (tried && D.unreadable == tried)
		bb_error_msg_and_die("debugfs counters in %s are %s: "
			"use tracepoints (-t)", G.debugfs_kvm, not_readable);
	warn_unreadable();
}

/* Once: -f help or the set-up */
static void init_state(void)
{
	if (!G.debugfs)
		bb_simple_error_msg_and_die("debugfs is not mounted: enable "
			"CONFIG_DEBUG_FS and run "
			"'mount -t debugfs debugfs /sys/kernel/debug'");
	G.dfs = xzalloc(sizeof(*G.dfs));
	/* O_PATH: for openat() and fstatat(), needs no read permission */
	D.kvmfd = open(G.debugfs_kvm, O_PATH | O_CLOEXEC);
	if (D.kvmfd < 0)
		bb_error_msg_and_die("%s not found: make sure that CONFIG_KVM is "
			"enabled in your kernel and that the modules are loaded",
			G.debugfs_kvm);
	scan_fields();
}

void debugfs_setup(void)
{
	init_state();
	debugfs_refilter();
	check_readable();
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
