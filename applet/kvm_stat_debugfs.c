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
#include "kvm_stat_common.h"

struct counter {
	char *name;	/* the file's: "exits" */
	char *key;	/* the stats key: name, or "child parent" */
	unsigned long long sum;	/* all guests: the global value, until the
				 * first VM's row takes it */
	int idx;	/* its stats entry in this read; -1: not shown */
	smallint wanted;
	smallint unreadable;	/* EPERM/EACCES (lockdown): left out */
	smallint child;	/* of PARENT */
	smallint gauge;	/* for the textfile view: see is_gauge() */
};

/* "PID-FD" as the kernel names a VM's directory: two ints */
#define VM_NAME_SIZE	sizeof("2147483647-2147483647")

struct vm_dir {
	struct vm_dir *next;	/* in directory order */
	int pid;
	char name[VM_NAME_SIZE];	/* "4242-11" */
	/* per counter: the value at first sight, then one byte per counter
	 * that says whether it was read (any u64 can be a counter's value) */
	unsigned long long base[];
};
#define has_base(d, vm)	((uint8_t *)((vm)->base + (d)->n))

struct debugfs_state {
	struct counter *c;	/* every counter file, unfiltered */
	unsigned n;
	struct vm_dir *vms;
	int kvmfd;	/* <debugfs>/kvm */
	unsigned unreadable;	/* counters found unreadable, left out */
	smallint warned;
	smallint include_past;	/* -i, until the VMs of the start are seen */
	/* the textfile view's reads: each VM's counters to ROW, not the table */
	guest_row_fn *row;
	void *ctx;
};

/* Not counters (the reference skips them too): histogram-ish sums */
static const char exempt[] ALIGN1 =
	"halt_poll_fail_ns\0" "halt_poll_success_ns\0" "halt_wait_ns\0";

/* "4242-11": digits, '-', digits, no longer than two ints. Never "vcpu0" or
 * anything else. */
static int vm_dir_pid(const char *name)
{
	char *end;
	/* > INT_MAX unless NAME starts with digits, END after them */
	unsigned pid = bb_strtou(name, &end, 10);
	const char *s = end;

	if (*s != '-' || pid > INT_MAX)
		return 0;
	while (isdigit(*++s))
		continue;
	return *s || s[-1] == '-' || s - name >= (int)VM_NAME_SIZE ? 0 : pid;
}

/* Regular files, except the exempt ones */
static int is_counter(const struct dirent *de)
{
	struct stat st;

	return de->d_name[0] != '.' && index_in_strings(exempt, de->d_name) < 0
		&& fstatat(G.dfs->kvmfd, de->d_name, &st, 0) == 0
		&& S_ISREG(st.st_mode);
}

/* Byte order (alphasort would follow the locale) */
static int cmp_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* s390 reports instruction_* counters as children of exit_instruction,
 * the only parent */
static const char PARENT[] ALIGN1 = "exit_instruction";

#if ENABLE_FEATURE_KVM_STAT_TEXTFILE
/*
 * An instant value, not a count: the kernel's stats descriptors say which
 * (KVM_STATS_TYPE_*), and debugfs shows it in the file's mode: 0444 for
 * an INSTANT one (blocking, guest_mode, pages_4k...), 0644 for the rest.
 * Of those, the PEAK ones are named max_*. A histogram's file shows its
 * first bucket, a count that only grows: a counter.
 */
static int is_gauge(int dirfd, const char *name)
{
	struct stat st;

	return (fstatat(dirfd, name, &st, 0) == 0 && !(st.st_mode & 0222))
		|| is_prefixed_with(name, "max_");
}
#else
# define is_gauge(dirfd, name) 0
#endif

static void scan_fields(struct debugfs_state *d)
{
	struct dirent **ents;
	int i, n = scandir(G.debugfs_kvm, &ents, is_counter, cmp_name);

	if (n < 0)
		bb_perror_msg_and_die("can't open '%s'", G.debugfs_kvm);
	d->n = n;
	d->c = xzalloc(n * sizeof(d->c[0]));
	for (i = 0; i < n; i++) {
		struct counter *c = &d->c[i];

		c->name = ents[i]->d_name;
		c->child = G.arch == ARCH_S390
			&& is_prefixed_with(c->name, "instruction_");
		/* the name as shown: a hostile tree's bytes never reach the
		 * terminal */
		c->key = printable_dup(c->name);
		if (c->child) {
			char *name = c->key;

			c->key = xasprintf("%s %s", name, PARENT);
			free(name);
		}
		c->gauge = is_gauge(d->kvmfd, c->name);
	}
	free(ents);
}

/* Filter or pid changed, and at set-up: the wanted fields are those
 * -f matches, and the parents of wanted children. Baselines stay, as
 * in the reference. */
void debugfs_refilter(void)
{
	struct debugfs_state *d = G.dfs;
	struct counter *c = d->c + d->n;
	smallint child_wanted = 0;

	/* Backwards: in byte order the children (instruction_*) come after
	 * their parent (exit_instruction) */
	while (c-- != d->c) {
		c->wanted = (field_wanted(c->name)
			|| (child_wanted && strcmp(c->name, PARENT) == 0))
			&& !c->unreadable;
		child_wanted |= c->wanted & c->child;
	}
}

/* -i: the VMs of the start count from zero, later ones from first sight */
static struct vm_dir *new_vm(struct debugfs_state *d, const char *name, int pid)
{
	struct vm_dir *vm = xzalloc(sizeof(*vm) + d->n * (sizeof(vm->base[0]) + 1));

	strcpy(vm->name, name);
	vm->pid = pid;
	memset(has_base(d, vm), d->include_past, d->n);	/* bases of 0 */
	return vm;
}

static void free_vms(struct vm_dir *vm)
{
	while (vm) {
		struct vm_dir *next = vm->next;

		free(vm);
		vm = next;
	}
}

/* VMs come and go: rescan every refresh, keep what is still there.
 * The list is rebuilt in directory order; what is left of the old one
 * has gone. */
static void scan_vms(struct debugfs_state *d)
{
	DIR *dir = opendir(G.debugfs_kvm);
	struct dirent *de;
	struct vm_dir *old = d->vms, *vm, **pp, **tail = &d->vms;

	while (dir && (de = readdir(dir)) != NULL) {
		int pid = vm_dir_pid(de->d_name);

		if (!pid)
			continue;
		for (pp = &old; (vm = *pp) != NULL; pp = &vm->next)
			if (strcmp(vm->name, de->d_name) == 0)
				break;
		if (vm)
			*pp = vm->next;
		else
			vm = new_vm(d, de->d_name, pid);
		*tail = vm;
		tail = &vm->next;
	}
	*tail = NULL;
	if (dir)
		closedir(dir);
	d->include_past = 0;	/* -i is for the VMs of the start */
	free_vms(old);
}

/*
 * Counter C in directory DIRFD. Values are decimal text, "6000\n", u64;
 * anything else counts as 0. Returns -1 for a file we may not read
 * (lockdown, not the owner): C is left out from now on. Running out of
 * descriptors is an error, never a 0.
 * No atime update per read: ~15% of the kernel's work for a read.
 */
static int read_counter(int dirfd, struct counter *c, unsigned long long *v)
{
	char buf[32];
	char *end;
	ssize_t n = -1;
	int fd = openat(dirfd, c->name, O_RDONLY | O_CLOEXEC | O_NOATIME);

	*v = 0;
	if (fd < 0 && errno == EPERM)	/* not the owner, or lockdown */
		fd = openat(dirfd, c->name, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);	/* succeeds: errno stays read()'s */
	}
	if (n < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			bb_perror_msg_and_die("can't read debugfs counters");
		if (errno != EPERM && errno != EACCES)
			return 0;	/* the VM went away meanwhile */
		if (!c->unreadable)
			G.dfs->unreadable++;
		c->unreadable = 1;
		c->wanted = 0;
		return -1;
	}
	buf[n] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 10);	/* 0 if no digits */
	if (errno || *skip_whitespace(end) || strchr(buf, '-'))
		*v = 0;
	return 0;
}

/* All guests: the wanted counters' global files (sums over the live VMs)
 * into their sums; returns how many */
static unsigned read_globals(struct debugfs_state *d)
{
	struct counter *c;
	unsigned n = 0;

	for (c = d->c; c < d->c + d->n; c++) {
		if (c->wanted) {
			read_counter(d->kvmfd, c, &c->sum);
			n++;
		}
	}
	return n;
}

/* Kernel lockdown (Secure Boot) makes the writable (0644) counter files
 * answer EPERM while the 0444 ones still read */
static const char not_readable[] ALIGN1 =
	"not readable (kernel lockdown or Secure Boot?)";
static const char use_tracepoints[] ALIGN1 = ": use tracepoints (-t)";

static void warn_unreadable(struct debugfs_state *d)
{
	if (!d->unreadable || d->warned)
		return;
	d->warned = 1;
	bb_error_msg("%u debugfs counters are %s and left out%s",
		d->unreadable, not_readable, use_tracepoints);
}

/* resolve_keys(): the entry is looked up when the first value comes */
#define ROW_LATER	(-2)

/* Keys exist only once a counter of a VM is read, as in the reference:
 * an unreadable one has none. By guest, only child events keep rows of
 * their own: the rest adds up in the guest's. */
static void resolve_keys(struct debugfs_state *d, int by_guest)
{
	struct counter *c;

	for (c = d->c; c < d->c + d->n; c++)
		c->idx = c->wanted && (!by_guest || c->child) ? ROW_LATER : -1;
}

/* The stats entry of counter C, or else (by guest) GUEST_IDX */
static int counter_row(struct counter *c, int guest_idx)
{
	if (c->idx == ROW_LATER)
		c->idx = stats_find(c->key);
	return c->idx >= 0 ? c->idx : guest_idx;
}

/* Counter F of VM into *V (as read_counter()); its directory is opened at
 * the first read (O_PATH: for openat() only), and closed by the caller */
static int read_vm_counter(struct debugfs_state *d, struct vm_dir *vm,
		unsigned f, int *dirfd, unsigned long long *v)
{
	if (*dirfd < 0) {
		*dirfd = openat(d->kvmfd, vm->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*dirfd < 0 && (errno == EMFILE || errno == ENFILE))
			bb_perror_msg_and_die("can't read debugfs counters");
	}
	return read_counter(*dirfd, &d->c[f], v);
}

/*
 * A VM's wanted counters less their bases, which are read when the VM is
 * first seen. -p or by guest (EACH_VM): each counter is read and goes into
 * its row, or else (by guest) into GUEST_IDX. All guests: only the bases
 * are read, and come out of the global files' sums, which the first VM
 * adds (modulo 2^64, as the rows): no VM, no rows. The textfile view
 * (D->row, EACH_VM): each counter as read goes to D->row, bases unused.
 */
static void read_vm(struct debugfs_state *d, struct vm_dir *vm, int each_vm,
		int guest_idx)
{
	int dirfd = -1;
	unsigned f;

	for (f = 0; f < d->n; f++) {
		struct counter *c = &d->c[f];
		unsigned long long v = 0, *base = &vm->base[f];

		if (!c->wanted)
			continue;
		if ((each_vm || !has_base(d, vm)[f])
		 && read_vm_counter(d, vm, f, &dirfd, &v) < 0)
			continue;	/* unreadable: left out */
		if (ENABLE_FEATURE_KVM_STAT_TEXTFILE && d->row) {
			d->row(d->ctx, vm->pid, c->name, v, c->gauge);
			continue;
		}
		if (!has_base(d, vm)[f]) {
			*base = v;
			has_base(d, vm)[f] = 1;
		}
		if (!each_vm) {
			v = c->sum;
			c->sum = 0;
		}
		stats_add(counter_row(c, guest_idx), v - *base);
	}
	if (dirfd >= 0)
		close(dirfd);
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
/*
 * The kvm module reloaded: <debugfs>/kvm is a new directory, and the kept
 * descriptor reads the old one. Follow the path again; the VMs of the old
 * module are gone, the new ones count from first sight.
 */
static void follow_kvm_dir(struct debugfs_state *d)
{
	struct stat now, was;
	int fd;

	if (stat(G.debugfs_kvm, &now) != 0 || fstat(d->kvmfd, &was) != 0
	 || (now.st_ino == was.st_ino && now.st_dev == was.st_dev))
		return;
	fd = open(G.debugfs_kvm, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return;
	close(d->kvmfd);
	d->kvmfd = fd;
	free_vms(d->vms);
	d->vms = NULL;
}

void debugfs_read(int by_guest)
{
	struct debugfs_state *d = G.dfs;
	struct vm_dir *vm;
	int each_vm;

	by_guest = ENABLE_FEATURE_KVM_STAT_TUI && by_guest;	/* a screen view */
	each_vm = G.pid || by_guest
		|| (ENABLE_FEATURE_KVM_STAT_TEXTFILE && d->row);
	follow_kvm_dir(d);
	if (!each_vm)
		read_globals(d);
	scan_vms(d);
	resolve_keys(d, by_guest);
	for (vm = d->vms; vm; vm = vm->next) {
		if (G.pid && vm->pid != G.pid)
			continue;
		read_vm(d, vm, each_vm, by_guest ? stats_find_guest(vm->pid) : -1);
	}
	stats_commit();
	warn_unreadable(d);
}

#if ENABLE_FEATURE_KVM_STAT_TEXTFILE
/* The textfile view: from now on, every selected VM's wanted counters go
 * to ROW as the kernel has them, since the VM started (no base: a restart
 * of kvm_stat resets no series), not to the table. One read per VM and
 * counter. */
void debugfs_guest_rows(guest_row_fn *row, void *ctx)
{
	G.dfs->row = row;
	G.dfs->ctx = ctx;
}
#endif

#if ENABLE_FEATURE_KVM_STAT_TUI
/* TUI 'r': totals start again from the current values */
void debugfs_reset(void)
{
	struct vm_dir *vm;

	/* Unnamed, no VM is found again by scan_vms(): each comes back
	 * without bases (-i was for the start) */
	for (vm = G.dfs->vms; vm; vm = vm->next)
		vm->name[0] = '\0';
	debugfs_read(0);
	stats_clear();
}
#endif

/* Once: -f help or the set-up */
static struct debugfs_state *init_state(void)
{
	struct debugfs_state *d;

	if (!G.debugfs)
		bb_simple_error_msg_and_die("debugfs is not mounted: enable "
			"CONFIG_DEBUG_FS and run "
			"'mount -t debugfs debugfs /sys/kernel/debug'");
	G.dfs = d = xzalloc(sizeof(*d));
	d->include_past = !!(G.opts & OPT_i);
	/* O_PATH: for openat() and fstatat(), needs no read permission */
	d->kvmfd = open(G.debugfs_kvm, O_PATH | O_CLOEXEC);
	if (d->kvmfd < 0)
		bb_error_msg_and_die("%s not found: make sure that CONFIG_KVM is "
			"enabled in your kernel and that the modules are loaded",
			G.debugfs_kvm);
	scan_fields(d);
	return d;
}

/* The wanted counters and their baselines. Lockdown: say so up front,
 * using the global files, which exist even while no VM runs. */
void debugfs_setup(void)
{
	struct debugfs_state *d = init_state();
	unsigned tried;

	debugfs_refilter();
	tried = read_globals(d);
	if (tried && d->unreadable == tried)
		bb_error_msg_and_die("debugfs counters in %s are %s%s",
			G.debugfs_kvm, not_readable, use_tracepoints);
	warn_unreadable(d);
	debugfs_read(0);	/* sets the baselines */
}

/* -f help: the counters, whether or not a VM runs now; those we may not
 * read (lockdown) are marked */
void debugfs_list_fields(void)
{
	struct debugfs_state *d = init_state();
	unsigned long long v;
	unsigned f;

	for (f = 0; f < d->n; f++) {
		int idx = stats_find(d->c[f].key);

		G.stats[idx].unreadable = read_counter(d->kvmfd, &d->c[f], &v) < 0;
	}
}
