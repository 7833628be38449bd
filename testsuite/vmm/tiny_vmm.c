/* vi: set sw=4 ts=4: */
/*
 * tiny_vmm: the smallest useful KVM VMM, a load generator with a known
 * exit pattern for testing and demonstrating kvm_stat.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 *
 * On x86 every vCPU runs the same real-mode guest at 0x1000:
 *	loop:	out 0x10, al	; KVM_EXIT_IO
 *		out 0x11, al	; KVM_EXIT_IO
 *		hlt		; KVM_EXIT_HLT (no in-kernel irqchip)
 *		jmp loop
 * The VMM ends a vCPU only right after a hlt exit, so one run of N loops
 * causes exactly 2N io exits, N hlt exits and 3N returns from KVM_RUN (the
 * kernel's kvm_userspace_exit tracepoint fires once per return).
 *
 * On arm64 (EL1, MMU off, code at 0x1000) a loop is one HVC that KVM
 * answers itself (ESR_EL2.EC 0x16 HVC64, never seen here) and two MMIO
 * writes to addresses outside guest memory (EC 0x24 DABT_LOW, each a
 * KVM_EXIT_MMIO). The guest counts its loops in x20 and writes the count:
 * the VMM checks it, so a loop is only counted if the guest went through
 * it, HVC included. N loops: 2N mmio exits, N hvc exits, 2N returns.
 *
 * Per-vCPU tests: -L 100,200,300 gives each vCPU its own loop count (so
 * each vCPU's counts are known apart); vCPU threads are named as QEMU's
 * ("CPU 1/KVM"); -G makes them wait for SIGHUP before their loops (they
 * exist, a tool can find them first), -H N creates the last N threads only
 * at SIGHUP (hot-added vCPUs), -k keeps threads after their loops until
 * SIGINT/SIGTERM (a halted vCPU). -T PREFIX names them PREFIX0, PREFIX1...
 * instead (a VMM may name its threads anything).
 *
 * With -s USEC each vCPU sleeps USEC microseconds after the loop's last
 * exit (x86: the HLT; arm64: the second MMIO write), before it enters the
 * guest again: a known handling time for kvm_stat -e. The time the sleeps
 * took, as measured (a loaded host wakes late), is printed as slept_us,
 * and the wall time from each vCPU's first KVM_RUN to its last return, as
 * ran_us (summed over vCPUs): every exit kvm_stat -e times lies inside it.
 *
 * With -w the process outlives its run: vCPU threads gone, VM and vCPU fds
 * still open, so the kernel keeps the VM's debugfs directory and its
 * counters hold still at the printed totals, to be read exactly.
 *
 * The few KVM ABI items used are defined below (x86_64 and arm64 values
 * of linux/kvm.h): musl-gcc has no kernel headers, and this way one source
 * builds with glibc and musl alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* ---- KVM ABI (linux/kvm.h; x86_64 unless said) ---- */

struct kvm_userspace_memory_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
};

struct kvm_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

struct kvm_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, present, dpl, db, s, l, g, avl, unusable, padding;
};

struct kvm_dtable {
	uint64_t base;
	uint16_t limit;
	uint16_t padding[3];
};

struct kvm_sregs {
	struct kvm_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct kvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint64_t interrupt_bitmap[4];
};

/* The head of the shared kvm_run page, up to the exit union's io and mmio */
struct kvm_run {
	uint8_t request_interrupt_window;
	uint8_t immediate_exit;
	uint8_t padding1[6];
	uint32_t exit_reason;
	uint8_t ready_for_interrupt_injection;
	uint8_t if_flag;
	uint16_t flags;
	uint64_t cr8;
	uint64_t apic_base;
	union {
		struct {
			uint8_t direction;
			uint8_t size;
			uint16_t port;
			uint32_t count;
			uint64_t data_offset;
		} io;
		struct {
			uint64_t phys_addr;
			uint8_t data[8];
			uint32_t len;
			uint8_t is_write;
		} mmio;
		uint32_t internal_suberror;
		uint64_t hardware_exit_reason;
	} u;
};

_Static_assert(sizeof(struct kvm_userspace_memory_region) == 32, "kvm ABI");
_Static_assert(sizeof(struct kvm_regs) == 144, "kvm ABI");
_Static_assert(sizeof(struct kvm_sregs) == 312, "kvm ABI");
_Static_assert(__builtin_offsetof(struct kvm_run, u) == 32, "kvm ABI");
_Static_assert(__builtin_offsetof(struct kvm_run, u.mmio.is_write) == 52, "kvm ABI");

#define KVMIO	0xAE
#define KVM_API_VERSION	12
#define KVM_GET_API_VERSION	_IO(KVMIO, 0x00)
#define KVM_CREATE_VM	_IO(KVMIO, 0x01)
#define KVM_GET_VCPU_MMAP_SIZE	_IO(KVMIO, 0x04)
#define KVM_CREATE_VCPU	_IO(KVMIO, 0x41)
#define KVM_SET_USER_MEMORY_REGION	_IOW(KVMIO, 0x46, struct kvm_userspace_memory_region)
#define KVM_RUN	_IO(KVMIO, 0x80)
#define KVM_SET_REGS	_IOW(KVMIO, 0x82, struct kvm_regs)
#define KVM_GET_SREGS	_IOR(KVMIO, 0x83, struct kvm_sregs)
#define KVM_SET_SREGS	_IOW(KVMIO, 0x84, struct kvm_sregs)

#define KVM_EXIT_IO	2
#define KVM_EXIT_HLT	5
#define KVM_EXIT_MMIO	6

#ifdef __aarch64__
/* linux/kvm.h and arm64's asm/kvm.h */
struct kvm_vcpu_init {
	uint32_t target;
	uint32_t features[7];
};

struct kvm_one_reg {
	uint64_t id;
	uint64_t addr;
};

_Static_assert(sizeof(struct kvm_vcpu_init) == 32, "kvm ABI");

#define KVM_SET_ONE_REG	_IOW(KVMIO, 0xac, struct kvm_one_reg)
#define KVM_ARM_VCPU_INIT	_IOW(KVMIO, 0xae, struct kvm_vcpu_init)
#define KVM_ARM_PREFERRED_TARGET	_IOR(KVMIO, 0xaf, struct kvm_vcpu_init)

/*
 * A core register's id: KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE
 * | its offset in arm64's struct kvm_regs in 32-bit words. That struct
 * begins with user_pt_regs: x0..x30, sp, pc, pstate (8 bytes each).
 */
#define ARM64_CORE_REG(word)	(0x6030000000100000ULL | (word))
#define ARM64_REG_PC	ARM64_CORE_REG(32 * 2)
#define ARM64_REG_PSTATE	ARM64_CORE_REG(33 * 2)
/* EL1 using SP_EL1, debug, SError, IRQ and FIQ masked: as after reset */
#define PSTATE_EL1H_MASKED	0x3c5
#endif

/* ---- the guest ---- */

#define GUEST_MEM_SIZE	0x10000
#define GUEST_CODE	0x1000

#ifdef __aarch64__
/* Not in guest memory: each write is a KVM_EXIT_MMIO */
#define MMIO_A	0x20000000
#define MMIO_B	(MMIO_A + 8)
#define PAIR_NAME	"mmio_exits"	/* two per loop */
#define ONCE_NAME	"hvc_exits"	/* one per loop */

/*
 * KVM's answer to the HVC overwrites x0-x3, so the addresses and the loop
 * count live in x19-x21. The call is SMCCC_VERSION, which KVM answers in
 * the kernel on every version (an unknown call would be too).
 */
static const uint32_t guest_code[] = {
	0xd2a40013,	/* movz x19, #0x2000, lsl #16	; MMIO_A */
	0x91002275,	/* add x21, x19, #8	; MMIO_B */
	0xd2800014,	/* movz x20, #0	; loops begun */
	0x52b00000,	/* loop: movz w0, #0x8000, lsl #16	; SMCCC_VERSION */
	0xd4000002,	/* hvc #0	; HVC64, KVM answers */
	0x91000694,	/* add x20, x20, #1 */
	0xf9000274,	/* str x20, [x19]	; KVM_EXIT_MMIO */
	0xf90002b4,	/* str x20, [x21]	; KVM_EXIT_MMIO, the loop's end */
	0x17fffffb,	/* b loop	; back 5 instructions */
};
#else
#define PORT_A	0x10
#define PORT_B	0x11
#define PAIR_NAME	"io_exits"
#define ONCE_NAME	"hlt_exits"

static const uint8_t guest_code[] = {
	0xe6, PORT_A,	/* out PORT_A, al */
	0xe6, PORT_B,	/* out PORT_B, al */
	0xf4,	/* hlt */
	0xeb, 0xf9,	/* jmp back 7 bytes, to the first out */
};
#endif

/* ---- state ---- */

#define MAX_VCPUS	64
#define USAGE	"usage: tiny_vmm [-l LOOPS] [-L LOOPS,LOOPS...] [-r LOOPS_PER_SEC] [-t SECONDS] [-c VCPUS] [-G] [-H N] [-k] [-w SECONDS] [-s USEC] [-T PREFIX] [-name NAME] [-q]"

struct vcpu {
	pthread_t thread;
	int fd;
	int id;
	unsigned long long loops;	/* -L: this vCPU's; 0: G.loops */
	struct kvm_run *run;
	unsigned long long io_exits;	/* x86 io, arm64 mmio: two a loop */
	unsigned long long hlt_exits;	/* x86 hlt, arm64 hvc: one a loop */
	unsigned long long exits;	/* every return from KVM_RUN */
	double slept;	/* -s: the seconds its sleeps took, as measured */
	double ran;	/* seconds from its first KVM_RUN to its last return
			 * (printed with -s) */
	char error[96];	/* why this vCPU stopped early, "" if it did not */
	int named;	/* set by start_vcpu(): the thread may run */
};

struct globals {
	const char *dev;	/* $TINY_VMM_DEV, else /dev/kvm */
	unsigned long long loops;	/* per vCPU; 0: until -t or a signal */
	unsigned rate;	/* loops per second per vCPU; 0: as fast as possible */
	double seconds;	/* run time limit; 0: none */
	double linger;	/* -w: stay alive this long after the run; 0: exit */
	unsigned hlt_sleep_us;	/* -s: a known handling time of the loop's last exit */
	int nr_vcpus;
	int quiet;
	int hold;	/* -H: the last HOLD vCPUs' threads start at SIGHUP */
	int keep;	/* -k: vCPU threads stay until SIGINT/SIGTERM */
	int gate;	/* -G: vCPU threads wait for SIGHUP to run */
	const char *thread_prefix;	/* -T: vCPU threads named PREFIX<n> */
	int go;	/* SIGHUP came */
	int vm_fd;
	int run_size;
	int stop;	/* main asks the vCPU threads to finish */
	int running;	/* vCPU threads not finished yet */
	pthread_t main_thread;
	struct vcpu vcpus[MAX_VCPUS];
};
static struct globals G;

/* ---- helpers ---- */

static void die(const char *what, const char *why)
{
	fprintf(stderr, "tiny_vmm: %s: %s\n", what, why);
	exit(1);
}

static void die_errno(const char *what)
{
	die(what, strerror(errno));
}

static void die_usage(const char *fmt, const char *arg)
{
	fputs("tiny_vmm: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("; " USAGE "\n", stderr);
	exit(2);
}

static int kvm_ioctl(int fd, unsigned long request, void *arg)
{
	int r;

	do
		r = ioctl(fd, request, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec to_timespec(double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - ts.tv_sec) * 1e9);
	return ts;
}

/* ---- options ---- */

static unsigned long long parse_count(const char *opt, const char *arg,
		unsigned long long max)
{
	char *end;
	unsigned long long n;

	if (!arg)
		die_usage("option %s needs a value", opt);
	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n < 1 || n > max)
		die_usage("bad number '%s'", arg);
	return n;
}

/* -t needs a positive time; -w takes 0 as "do not linger" */
static double parse_seconds(const char *opt, const char *arg, int zero_ok)
{
	char *end;
	double s;

	if (!arg)
		die_usage("option %s needs a value", opt);
	s = strtod(arg, &end);
	if (end == arg || *end || !(s >= 0 && s < 1e9) || (s == 0 && !zero_ok))
		die_usage("bad number of seconds '%s'", arg);
	return s;
}

/*
 * -L 100,200,300: each vCPU's own number of loops, and as many vCPUs
 * (-c, if given too, must agree): the per-vCPU counts a tool reports can
 * then be told apart and checked one by one
 */
static int nr_listed;

static void parse_loop_list(const char *opt, const char *arg)
{
	char buf[32];
	const char *s = arg, *comma;

	if (!arg)
		die_usage("option %s needs a value", opt);
	nr_listed = 0;
	do {
		comma = strchrnul(s, ',');
		if (nr_listed == MAX_VCPUS || comma - s >= (int)sizeof(buf))
			die_usage("bad loop list '%s'", arg);
		memcpy(buf, s, comma - s);
		buf[comma - s] = '\0';
		G.vcpus[nr_listed++].loops = parse_count(opt, buf, ~0ULL >> 2);
		s = comma + 1;
	} while (*comma);
}

/* QEMU-style: "-name" as one word, so that kvm_stat -g finds us */
static void parse_args(char **argv)
{
	const char *opt, *arg;

	while ((opt = *++argv) != NULL) {
		arg = argv[1];
		if (strcmp(opt, "-q") == 0) {
			G.quiet = 1;
			continue;
		}
		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			puts(USAGE);
			exit(0);
		}
		if (strcmp(opt, "-l") == 0)
			G.loops = parse_count(opt, arg, ~0ULL >> 2);
		else if (strcmp(opt, "-r") == 0)
			G.rate = parse_count(opt, arg, 10000000);
		else if (strcmp(opt, "-t") == 0)
			G.seconds = parse_seconds(opt, arg, 0);
		else if (strcmp(opt, "-w") == 0)
			G.linger = parse_seconds(opt, arg, 1);
		else if (strcmp(opt, "-s") == 0)
			G.hlt_sleep_us = parse_count(opt, arg, 10000000);
		else if (strcmp(opt, "-c") == 0)
			G.nr_vcpus = parse_count(opt, arg, MAX_VCPUS);
		else if (strcmp(opt, "-L") == 0)
			parse_loop_list(opt, arg);
		else if (strcmp(opt, "-H") == 0)
			G.hold = parse_count(opt, arg, MAX_VCPUS);
		else if (strcmp(opt, "-k") == 0 || strcmp(opt, "-G") == 0) {
			*(opt[1] == 'k' ? &G.keep : &G.gate) = 1;
			continue;
		}
		else if (strcmp(opt, "-T") == 0) {
			if (!arg)
				die_usage("option %s needs a value", opt);
			G.thread_prefix = arg;
		} else if (strcmp(opt, "-name") == 0) {
			if (!arg)
				die_usage("option %s needs a value", opt);
		} else
			die_usage("unknown option '%s'", opt);
		argv++;
	}
	if (nr_listed && G.nr_vcpus && nr_listed != G.nr_vcpus)
		die_usage("-L gives %s loop counts than -c vCPUs",
			nr_listed < G.nr_vcpus ? "fewer" : "more");
	if (nr_listed)
		G.nr_vcpus = nr_listed;
	if (!G.nr_vcpus)
		G.nr_vcpus = 1;
	if (G.hold > G.nr_vcpus)
		die_usage("-H holds more vCPUs than %s", "there are");
	if (!G.loops && !G.seconds)
		G.loops = 1000;
}

/* ---- signals ---- */

static void note_signal(int sig)
{
	(void)sig;
}

/*
 * INT and TERM end the run, HUP starts the vCPU held by -H, USR2 says a
 * vCPU thread finished, USR1 wakes a vCPU thread from its pacing sleep
 * or from waiting for its name, -G or -k. All stay blocked (threads
 * inherit the mask) and are taken synchronously: main by sigtimedwait,
 * vCPUs by ppoll.
 * Real handlers, not SIG_IGN, because a shell starts background jobs with
 * SIGINT ignored.
 */
static void block_signals(sigset_t *set)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP };
	struct sigaction sa;
	unsigned i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note_signal;
	sigemptyset(set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(set, sigs[i]);
	}
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* ---- VM setup ---- */

static int open_kvm(void)
{
	int fd, version;

	G.dev = getenv("TINY_VMM_DEV");
	if (!G.dev || !G.dev[0])
		G.dev = "/dev/kvm";
	fd = open(G.dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die_errno(G.dev);
	version = kvm_ioctl(fd, KVM_GET_API_VERSION, NULL);
	if (version != KVM_API_VERSION)
		die(G.dev, "not a KVM device with API version 12");
	return fd;
}

static void create_vm(void)
{
	struct kvm_userspace_memory_region region;
	int kvm_fd;
	uint8_t *mem;

	kvm_fd = open_kvm();
	G.vm_fd = kvm_ioctl(kvm_fd, KVM_CREATE_VM, NULL);
	if (G.vm_fd < 0)
		die_errno("KVM_CREATE_VM");
	G.run_size = kvm_ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (G.run_size < (int)sizeof(struct kvm_run))
		die_errno("KVM_GET_VCPU_MMAP_SIZE");
	close(kvm_fd);

	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die_errno("mmap guest memory");
	memcpy(mem + GUEST_CODE, guest_code, sizeof(guest_code));

	memset(&region, 0, sizeof(region));
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (kvm_ioctl(G.vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die_errno("KVM_SET_USER_MEMORY_REGION");
}

#ifdef __aarch64__
static void set_reg(struct vcpu *v, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg;

	reg.id = id;
	reg.addr = (uintptr_t)&value;
	if (kvm_ioctl(v->fd, KVM_SET_ONE_REG, &reg) < 0)
		die_errno("KVM_SET_ONE_REG");
}

/* The CPU type KVM prefers on this host, reset state, PC at the code */
static void init_regs(struct vcpu *v)
{
	struct kvm_vcpu_init init;

	memset(&init, 0, sizeof(init));
	if (kvm_ioctl(G.vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die_errno("KVM_ARM_PREFERRED_TARGET");
	if (kvm_ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		die_errno("KVM_ARM_VCPU_INIT");
	set_reg(v, ARM64_REG_PC, GUEST_CODE);
	set_reg(v, ARM64_REG_PSTATE, PSTATE_EL1H_MASKED);
}
#else
/* Real mode as after reset, but with CS:IP = 0000:1000 */
static void init_regs(struct vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (kvm_ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		die_errno("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (kvm_ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		die_errno("KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 2;	/* bit 1 is reserved and always set */
	if (kvm_ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		die_errno("KVM_SET_REGS");
}
#endif

static void create_vcpu(struct vcpu *v)
{
	v->fd = kvm_ioctl(G.vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)v->id);
	if (v->fd < 0)
		die_errno("KVM_CREATE_VCPU");
	v->run = mmap(NULL, G.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			v->fd, 0);
	if (v->run == MAP_FAILED)
		die_errno("mmap kvm_run");
	init_regs(v);
}

/* ---- vCPU threads ---- */

static int stop_requested(void)
{
	return __atomic_load_n(&G.stop, __ATOMIC_ACQUIRE);
}

#ifdef __aarch64__
/*
 * One of the loop's MMIO writes: 1 if it ends the loop (MMIO_B), 0 if not,
 * -1 if it is not ours or the guest's loop count is not the next loop.
 */
static int loop_exit(struct vcpu *v)
{
	uint64_t count;

	if (v->run->exit_reason != KVM_EXIT_MMIO || !v->run->u.mmio.is_write
	 || v->run->u.mmio.len != 8
	 || (v->run->u.mmio.phys_addr != MMIO_A
	  && v->run->u.mmio.phys_addr != MMIO_B))
		return -1;
	memcpy(&count, v->run->u.mmio.data, sizeof(count));
	if (count != v->hlt_exits + 1) {
		snprintf(v->error, sizeof(v->error),
				"vcpu %d: guest says loop %llu, VMM counted %llu",
				v->id, (unsigned long long)count, v->hlt_exits);
		return -1;
	}
	v->io_exits++;
	if (v->run->u.mmio.phys_addr != MMIO_B)
		return 0;
	v->hlt_exits++;
	return 1;
}
#else
/* An exit of the loop: 1 if it ends the loop (hlt), 0 if not, -1 if not ours */
static int loop_exit(struct vcpu *v)
{
	if (v->run->exit_reason == KVM_EXIT_HLT) {
		v->hlt_exits++;
		return 1;
	}
	if (v->run->exit_reason == KVM_EXIT_IO
	 && (v->run->u.io.port == PORT_A || v->run->u.io.port == PORT_B)) {
		v->io_exits++;
		return 0;
	}
	return -1;
}
#endif

/* Enter the guest until the loop's last exit. 0 on failure. */
static int run_loop(struct vcpu *v)
{
	for (;;) {
		int r = ioctl(v->fd, KVM_RUN, NULL);

		v->exits++;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(v->error, sizeof(v->error), "KVM_RUN: %s",
					strerror(errno));
			return 0;
		}
		switch (loop_exit(v)) {
		case 1:
			return 1;
		case 0:
			continue;
		}
		if (!v->error[0])
			snprintf(v->error, sizeof(v->error),
					"vcpu %d: unexpected exit reason %u", v->id,
					v->run->exit_reason);
		return 0;
	}
}

/*
 * Sleep until loop number 'done' is due, by an absolute schedule so that
 * the rate does not drift. SIGUSR1 is unblocked only inside ppoll, so a
 * stop request cannot slip in between the check and the sleep. A wake-up
 * that is not a stop (start_vcpu()'s SIGUSR1, still pending when the
 * thread did not need it) sleeps again: a loop never runs ahead of its
 * schedule.
 */
static void pace(double start, unsigned long long done)
{
	sigset_t wake;
	struct timespec ts;
	double wait;

	pthread_sigmask(SIG_SETMASK, NULL, &wake);
	sigdelset(&wake, SIGUSR1);
	while ((wait = start + (double)done / G.rate - now_seconds()) > 0
	    && !stop_requested()) {
		ts = to_timespec(wait);
		ppoll(NULL, 0, &ts, &wake);
	}
}

/* Until *FLAG is set or stop_vcpus(): the SIGUSR1 that follows either,
 * blocked but inside ppoll, cannot be missed */
static void wait_for_flag(int *flag)
{
	sigset_t wake;

	pthread_sigmask(SIG_SETMASK, NULL, &wake);
	sigdelset(&wake, SIGUSR1);
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) && !stop_requested())
		ppoll(NULL, 0, NULL, &wake);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	unsigned long long done = 0, loops = v->loops ? v->loops : G.loops;
	double start;

	/* Not before start_vcpu() named us: a thread that ran its few
	 * loops and ended first could not be named (ESRCH), and a tool
	 * would see it counting under the process's name */
	wait_for_flag(&v->named);
	/* -G: the thread is there (a tool can find it) before it runs */
	if (G.gate)
		wait_for_flag(&G.go);
	start = now_seconds();
	while (!stop_requested() && (!loops || done < loops)) {
		if (!run_loop(v))
			break;
		done++;
		/* -s: between the loop's last exit (x86: HLT) and the next
		 * KVM_RUN, so kvm_stat -e sees it as that exit's handling */
		if (G.hlt_sleep_us) {
			struct timespec ts = to_timespec(G.hlt_sleep_us / 1e6);
			double before = now_seconds();

			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				continue;
			/* a loaded host wakes us late: the handling time
			 * kvm_stat -e sees is this, not USEC */
			v->slept += now_seconds() - before;
		}
		if (G.rate && done != loops)
			pace(start, done);
	}
	v->ran = now_seconds() - start;
	if (__atomic_sub_fetch(&G.running, 1, __ATOMIC_ACQ_REL) == 0)
		pthread_kill(G.main_thread, SIGUSR2);
	/* -k: the thread stays, as a vCPU that halts does: a tool can read
	 * its name at any time until the end */
	if (G.keep)
		wait_for_flag(&G.stop);
	return NULL;
}

/* The thread of vCPU I, named as QEMU names it with debug-threads=on, so
 * per-thread views read alike. Named here, not by the thread itself: once
 * "pid N" is out, tests find every vCPU thread under its name. */
static void start_vcpu(int i)
{
	char name[16];
	int err = pthread_create(&G.vcpus[i].thread, NULL, vcpu_thread,
			&G.vcpus[i]);

	if (err)
		die("pthread_create", strerror(err));
	if (G.thread_prefix)
		snprintf(name, sizeof(name), "%s%d", G.thread_prefix, i);
	else
		snprintf(name, sizeof(name), "CPU %d/KVM", i);
	err = pthread_setname_np(G.vcpus[i].thread, name);
	if (err)
		die("pthread_setname_np", strerror(err));
	__atomic_store_n(&G.vcpus[i].named, 1, __ATOMIC_RELEASE);
	pthread_kill(G.vcpus[i].thread, SIGUSR1);
}

/* -H: vCPU threads that come late, as hot-added vCPUs' do; SIGHUP (or
 * the end of the run) lets them go */
static void release_held(void)
{
	int i;

	while (G.hold)
		start_vcpu(G.nr_vcpus - G.hold--);
	/* -G: the gate opens */
	__atomic_store_n(&G.go, 1, __ATOMIC_RELEASE);
	for (i = 0; G.gate && i < G.nr_vcpus; i++)
		pthread_kill(G.vcpus[i].thread, SIGUSR1);
}

static void start_vcpus(void)
{
	int i;

	G.main_thread = pthread_self();
	G.running = G.nr_vcpus;
	for (i = 0; i < G.nr_vcpus - G.hold; i++)
		start_vcpu(i);
}

/*
 * Waits for SIGINT/SIGTERM (returns 1), or until 'deadline' (0: none) or
 * 'still_running' says the wait is over (returns 0). USR1 and USR2 only
 * wake it up; a USR2 left pending by wait_for_end does no harm here.
 */
static int wait_for_signal(const sigset_t *set, double deadline,
		int (*still_running)(void))
{
	while (still_running()) {
		int sig;

		if (deadline) {
			double left = deadline - now_seconds();
			struct timespec ts;

			if (left <= 0)
				return 0;
			ts = to_timespec(left);
			sig = sigtimedwait(set, NULL, &ts);
		} else
			sig = sigwaitinfo(set, NULL);
		if (sig == SIGINT || sig == SIGTERM)
			return 1;
		if (sig == SIGHUP)
			release_held();
	}
	return 0;
}

static int vcpus_running(void)
{
	return __atomic_load_n(&G.running, __ATOMIC_ACQUIRE) > 0;
}

static int always(void)
{
	return 1;
}

/* Until every vCPU finished its loops, -t ran out (0), or SIGINT/SIGTERM (1) */
static int wait_for_end(const sigset_t *set)
{
	return wait_for_signal(set, G.seconds ? now_seconds() + G.seconds : 0,
			vcpus_running);
}

static void stop_vcpus(void)
{
	int i;

	__atomic_store_n(&G.stop, 1, __ATOMIC_RELEASE);
	release_held();	/* it sees the stop at once: joined like the others */
	for (i = 0; i < G.nr_vcpus; i++)
		pthread_kill(G.vcpus[i].thread, SIGUSR1);
	for (i = 0; i < G.nr_vcpus; i++)
		pthread_join(G.vcpus[i].thread, NULL);
}

/* Totals on stdout; the first vCPU error, if any, on stderr. 1 on error. */
static int report(void)
{
	unsigned long long io = 0, hlt = 0, exits = 0;
	double slept = 0, ran = 0;
	const char *error = NULL;
	int i;

	for (i = 0; i < G.nr_vcpus; i++) {
		io += G.vcpus[i].io_exits;
		hlt += G.vcpus[i].hlt_exits;
		exits += G.vcpus[i].exits;
		slept += G.vcpus[i].slept;
		ran += G.vcpus[i].ran;
		if (!error && G.vcpus[i].error[0])
			error = G.vcpus[i].error;
	}
	if (!G.quiet)
		printf(PAIR_NAME " %llu\n" ONCE_NAME " %llu\nexits %llu\n",
				io, hlt, exits);
	if (!G.quiet && G.hlt_sleep_us)	/* -s */
		printf("slept_us %.0f\nran_us %.0f\n", slept * 1e6, ran * 1e6);
	fflush(stdout);
	if (error)
		fprintf(stderr, "tiny_vmm: %s\n", error);
	return error != NULL;
}

int main(int argc, char **argv)
{
	sigset_t set;
	int i, signalled, failed;

	(void)argc;
	parse_args(argv);
	block_signals(&set);
	create_vm();
	for (i = 0; i < G.nr_vcpus; i++) {
		G.vcpus[i].id = i;
		create_vcpu(&G.vcpus[i]);
	}
	start_vcpus();
	if (!G.quiet) {
		printf("pid %d\n", (int)getpid());
		fflush(stdout);
	}
	signalled = wait_for_end(&set);
	if (G.keep && !signalled)
		signalled = wait_for_signal(&set, 0, always);
	stop_vcpus();
	failed = report();
	/* -w: a run that ended by itself keeps its VM open, totals printed */
	if (G.linger && !signalled && !failed)
		wait_for_signal(&set, now_seconds() + G.linger, always);
	return failed;
}
