/* vi: set sw=4 ts=4: */
//kbuild:lib-$(CONFIG_FEATURE_KVM_STAT_BPF) += kvm_stat_bpf.o
/*
 * kvm_stat: the bpf(2) ABI (no library, no kernel headers) for counting
 * KVM tracepoints in the kernel. One BPF_MAP_TYPE_PERCPU_ARRAY of u64
 * counters; per tracepoint one small program, built here instruction by
 * instruction, that adds 1 to its slot and to the slot of the hit's exit
 * reason. Counting in the kernel builds no perf record per hit and wakes
 * nobody: user space reads the sums when it draws.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 *
 * Everything dies with its descriptors (nothing is pinned), and bpf(2)
 * makes every descriptor O_CLOEXEC itself: maps and programs through
 * anon_inode_getfd(..., O_RDWR | O_CLOEXEC), links (BPF_RAW_TRACEPOINT_OPEN)
 * through bpf_link_prime()'s get_unused_fd_flags(O_CLOEXEC).
 */
#include "libbb.h"
#include "kvm_stat_bpf.h"
#include <sys/mman.h>
#include <sys/syscall.h>	/* SYS_bpf: not in libbb.h */

/* ---- include/uapi/linux/bpf.h, the values of its enums ---- */

enum {
	BPF_MAP_CREATE = 0,
	BPF_MAP_LOOKUP_ELEM = 1,
	BPF_PROG_LOAD = 5,
	BPF_RAW_TRACEPOINT_OPEN = 17,
};
#define BPF_MAP_TYPE_PERCPU_ARRAY	6
#define BPF_PROG_TYPE_TRACEPOINT	5
#define BPF_PROG_TYPE_RAW_TRACEPOINT	17
#define BPF_FUNC_map_lookup_elem	1	/* __BPF_FUNC_MAPPER order */
#define BPF_FUNC_get_current_pid_tgid	14
#define BPF_PSEUDO_MAP_FD	1	/* ld_imm64's src_reg: imm is a map fd */

/* include/uapi/linux/perf_event.h */
#define PERF_EVENT_IOC_SET_BPF	_IOW('$', 8, uint32_t)

/*
 * The members of union bpf_attr we use, each command's struct on its own.
 * The kernel copies the size we pass and zeroes the rest, so a prefix of
 * the union is a complete request; what we leave 0 is "unused".
 */
struct bpf_map_create_attr {
	uint32_t map_type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t inner_map_fd;
	uint32_t numa_node;
	char map_name[16];	/* BPF_OBJ_NAME_LEN, Linux 4.15 */
};

struct bpf_map_elem_attr {
	uint32_t map_fd;
	uint32_t pad;
	uint64_t key;	/* pointers as __aligned_u64 */
	uint64_t value;
	uint64_t flags;
};

struct bpf_prog_load_attr {
	uint32_t prog_type;
	uint32_t insn_cnt;
	uint64_t insns;
	uint64_t license;
	uint32_t log_level;
	uint32_t log_size;
	uint64_t log_buf;
	uint32_t kern_version;	/* kprobes of old kernels only */
	uint32_t prog_flags;
	char prog_name[16];	/* shown by bpftool prog */
};

struct bpf_raw_tp_attr {
	uint64_t name;
	uint32_t prog_fd;
	uint32_t pad;	/* Linux 6.10 adds a u64 cookie after it */
};

/* ---- instructions: Documentation/bpf/standardization/instruction-set.rst ---- */

/* include/uapi/linux/bpf.h: the same bitfields give each byte order the
 * kernel's layout */
struct bpf_insn {
	uint8_t code;	/* class | size/op | mode/source */
	uint8_t dst_reg:4;
	uint8_t src_reg:4;
	int16_t off;
	int32_t imm;
};

/* classes */
#define BPF_LD	0x00
#define BPF_LDX	0x01
#define BPF_ST	0x02
#define BPF_STX	0x03
#define BPF_ALU	0x04	/* 32-bit: the result is zero-extended */
#define BPF_JMP	0x05
#define BPF_ALU64	0x07
/* load/store size and mode */
#define BPF_W	0x00
#define BPF_H	0x08
#define BPF_B	0x10
#define BPF_DW	0x18
#define BPF_IMM	0x00
#define BPF_MEM	0x60
/* ALU and jump operations, source */
#define BPF_ADD	0x00
#define BPF_AND	0x50
#define BPF_RSH	0x70
#define BPF_MOV	0xb0
#define BPF_JEQ	0x10
#define BPF_JNE	0x50
#define BPF_JLT	0xa0	/* unsigned, Linux 4.14 */
#define BPF_CALL	0x80
#define BPF_EXIT	0x90
#define BPF_K	0x00
#define BPF_X	0x08

/* registers: r0 return value, r1-r5 arguments (lost at a call), r6-r9
 * kept across calls, r10 the frame pointer (read only) */
enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

/* Named after include/linux/filter.h's, written here */
#define BPF_RAW_INSN(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), \
		.src_reg = (SRC), .off = (OFF), .imm = (IMM) })
/* dst = src, dst = imm (64 bits) */
#define BPF_MOV64_REG(DST, SRC)	BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define BPF_MOV64_IMM(DST, IMM)	BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
/* dst OP= imm, 64 and 32 bits */
#define BPF_ALU64_IMM(OP, DST, IMM)	BPF_RAW_INSN(BPF_ALU64 | (OP) | BPF_K, DST, 0, 0, IMM)
#define BPF_ALU32_IMM(OP, DST, IMM)	BPF_RAW_INSN(BPF_ALU | (OP) | BPF_K, DST, 0, 0, IMM)
/* dst = *(SIZE *)(src + off) */
#define BPF_LDX_MEM(SIZE, DST, SRC, OFF)	BPF_RAW_INSN(BPF_LDX | (SIZE) | BPF_MEM, DST, SRC, OFF, 0)
/* *(SIZE *)(dst + off) = src */
#define BPF_STX_MEM(SIZE, DST, SRC, OFF)	BPF_RAW_INSN(BPF_STX | (SIZE) | BPF_MEM, DST, SRC, OFF, 0)
/* *(SIZE *)(dst + off) = imm */
#define BPF_ST_MEM(SIZE, DST, OFF, IMM)	BPF_RAW_INSN(BPF_ST | (SIZE) | BPF_MEM, DST, 0, OFF, IMM)
/* if (dst OP imm) goto pc + 1 + off */
#define BPF_JMP_IMM(OP, DST, IMM, OFF)	BPF_RAW_INSN(BPF_JMP | (OP) | BPF_K, DST, 0, OFF, IMM)
/* r0 = helper number ID (r1-r5), its uapi BPF_FUNC_ number; filter.h's
 * takes the kernel function instead */
#define BPF_EMIT_CALL(ID)	BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, ID)
#define BPF_EXIT_INSN()	BPF_RAW_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* dst = the map of fd FD: a 16-byte ld_imm64, its second half holds the
 * upper 32 bits (0); the verifier puts the map's address there */
#define BPF_LD_MAP_FD(DST, FD) \
	BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, DST, BPF_PSEUDO_MAP_FD, 0, FD), \
	BPF_RAW_INSN(0, 0, 0, 0, 0)

/* The longest program (raw, tgid, reasons): 31 instructions */
#define MAX_INSNS	40

struct prog {
	struct bpf_insn insn[MAX_INSNS];
	unsigned n;
};

static void emit(struct prog *p, struct bpf_insn insn)
{
	p->insn[p->n++] = insn;
}

/* BPF_LD_MAP_FD is two instructions */
static void emit_ld_map_fd(struct prog *p, int reg, int map_fd)
{
	struct bpf_insn ld[] = { BPF_LD_MAP_FD(reg, map_fd) };

	emit(p, ld[0]);
	emit(p, ld[1]);
}

static int sys_bpf(int cmd, void *attr, unsigned size)
{
	return syscall(SYS_bpf, cmd, attr, size);
}

/* ---- maps ---- */

/*
 * Per-CPU: each CPU adds to its own copy, no cache line bounces between
 * CPUs; user space sums the copies. u64: never wraps in practice.
 */
int bpf_count_map_create(unsigned nslots)
{
	struct bpf_map_create_attr a = {
		.map_type = BPF_MAP_TYPE_PERCPU_ARRAY,
		.key_size = sizeof(uint32_t),
		.value_size = sizeof(uint64_t),
		.max_entries = nslots,
		.map_name = "kvm_stat",
	};

	return sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

/* ---- programs ---- */

/*
 * *(u64 *)map[key at r10 - 4] += 1. Clobbers r0-r5.
 *
 * A plain load, add and store, no atomic add: the value is this CPU's own
 * copy, and no second run of the same program can start on this CPU in
 * the middle of ours. A perf-attached program runs from trace_call_bpf(),
 * which runs nothing while the per-CPU bpf_prog_active is taken (any
 * kprobe/tracepoint program on this CPU); a raw tracepoint program from
 * __bpf_trace_run(), which skips a run while the program's own per-CPU
 * prog->active is taken (counted in bpf_prog_info.recursion_misses). Both
 * guards are per CPU and held for the whole run, which cannot move to
 * another CPU (preemption, or at least migration, is disabled): a hit on
 * this CPU during our run, from an interrupt or a task preempting ours,
 * is skipped, never interleaved. So each program's slots see one writer
 * per CPU at a time, as long as no two programs share a slot (two raw
 * programs, or a raw and a perf one, can interleave: they would need
 * BPF_STX | BPF_ATOMIC | BPF_DW, imm BPF_ADD). An atomic add would not
 * bring back the hits the guards skip: they never reach the program.
 * The kernel's samples count in per-CPU arrays the same way.
 */
static void emit_add_one(struct prog *p, int map_fd)
{
	/* r2 = &key: the helper reads key_size (4) bytes there */
	emit(p, BPF_MOV64_REG(R2, R10));
	emit(p, BPF_ALU64_IMM(BPF_ADD, R2, -4));
	/* r0 = bpf_map_lookup_elem(map, &key): this CPU's value, or NULL
	 * for a key past max_entries; the verifier insists on the check */
	emit_ld_map_fd(p, R1, map_fd);
	emit(p, BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem));
	emit(p, BPF_JMP_IMM(BPF_JEQ, R0, 0, 3));
	/* *r0 += 1 */
	emit(p, BPF_LDX_MEM(BPF_DW, R1, R0, 0));
	emit(p, BPF_ALU64_IMM(BPF_ADD, R1, 1));
	emit(p, BPF_STX_MEM(BPF_DW, R0, R1, 0));
}

/*
 * r1 = the reason, zero-extended to 64 bits.
 * Perf record: the field itself, as the format file places it. The
 * verifier allows aligned reads at 8 to 2047 only: trace_call_bpf()'s
 * caller has overwritten the first 8 bytes (common_type ... common_pid)
 * with a pt_regs pointer.
 * Raw arguments are u64 slots holding the TP_PROTO values converted to
 * u64: the low SIZE bytes of the whole slot are the value on either byte
 * order. A 32-bit AND zero-extends (w1 &= 0xffffffff clears the top half).
 */
static void emit_load_reason(struct prog *p, const struct bpf_count_spec *s,
		int raw)
{
	static const uint8_t ldx_size[9] = {
		[1] = BPF_B, [2] = BPF_H, [4] = BPF_W, [8] = BPF_DW,
	};
	unsigned size = s->reason_size;

	emit(p, BPF_LDX_MEM(raw ? BPF_DW : ldx_size[size], R1, R6,
		s->reason_offset));
	if (raw && size < 8)
		emit(p, BPF_ALU32_IMM(BPF_AND, R1,
			(int32_t)(uint32_t)((1ULL << (8 * size)) - 1)));
}

/* A spec no program can do: EINVAL before the verifier says it obscurely */
static int spec_ok(const struct bpf_count_spec *s, int raw)
{
	unsigned size = s->reason_size, off = s->reason_offset;

	if (s->tgid < 0)
		return 0;
	if (!s->nreasons)
		return 1;
	/* the comparison's immediate is signed 32 bits; keys are u32 */
	if (s->nreasons > INT32_MAX || s->reason_base > UINT32_MAX - s->nreasons)
		return 0;
	if (size > 8 || (size & (size - 1)) || !size)
		return 0;
	if (raw)	/* MAX_BPF_FUNC_ARGS: 12 u64 slots */
		return off % 8 == 0 && off < 12 * 8;
	/* PERF_MAX_TRACE_SIZE 2048, the first 8 bytes hidden, aligned */
	return off >= 8 && off + size <= 2048 && off % size == 0;
}

/*
 * The program, for a spec with tgid and reasons (the listing of the
 * selftest prints it); the jumps to out are patched at the end.
 *	r6 = r1				ctx, kept across calls
 *	call get_current_pid_tgid	only with tgid:
 *	r0 >>= 32			the tgid is the upper half
 *	if r0 != TGID goto out
 *	*(u32 *)(r10 - 4) = SLOT
 *	emit_add_one			map[SLOT] += 1
 *	r1 = reason			only with reasons
 *	if r1 < NREASONS goto +1
 *	r1 = NREASONS			the overflow slot
 *	r1 += BASE
 *	*(u32 *)(r10 - 4) = w1
 *	emit_add_one			map[BASE + reason] += 1
 * out:	r0 = 0; exit			0: perf records nothing more
 */
static void build_count_prog(struct prog *p, int map_fd,
		const struct bpf_count_spec *s, int raw)
{
	int jmp_out = -1;

	p->n = 0;
	/* the context (perf record or args[]): r1 is lost at calls */
	emit(p, BPF_MOV64_REG(R6, R1));

	/* only the hits of one process */
	if (s->tgid) {
		emit(p, BPF_EMIT_CALL(BPF_FUNC_get_current_pid_tgid));
		emit(p, BPF_ALU64_IMM(BPF_RSH, R0, 32));
		jmp_out = p->n;
		emit(p, BPF_JMP_IMM(BPF_JNE, R0, s->tgid, 0));
	}

	/* the event's slot: the key lives on the stack */
	emit(p, BPF_ST_MEM(BPF_W, R10, -4, s->slot));
	emit_add_one(p, map_fd);

	/*
	 * The reason's slot. The clamp is what keeps a reason out of the
	 * other events' slots (and a u64 reason from wrapping the u32 key);
	 * the verifier needs no bound here: the key is plain data on the
	 * stack and the array lookup checks it against max_entries.
	 */
	if (s->nreasons) {
		emit_load_reason(p, s, raw);
		emit(p, BPF_JMP_IMM(BPF_JLT, R1, s->nreasons, 1));
		emit(p, BPF_MOV64_IMM(R1, s->nreasons));
		if (s->reason_base)
			emit(p, BPF_ALU64_IMM(BPF_ADD, R1, s->reason_base));
		emit(p, BPF_STX_MEM(BPF_W, R10, R1, -4));
		emit_add_one(p, map_fd);
	}

	/* a perf-attached program's 0 spares the perf event's own work */
	if (jmp_out >= 0)
		p->insn[jmp_out].off = p->n - jmp_out - 1;
	emit(p, BPF_MOV64_IMM(R0, 0));
	if (s->invalid)	/* r7 was never set: "R7 !read_ok" */
		emit(p, BPF_MOV64_REG(R0, R7));
	emit(p, BPF_EXIT_INSN());
}

/*
 * The verifier stops at a pending signal with EAGAIN; libbpf retries too.
 * log_level 1 logs the paths it walks: a small buffer makes even a good
 * program fail, with ENOSPC.
 */
int bpf_count_prog_load(int map_fd, const struct bpf_count_spec *s, int raw,
		char *log, unsigned log_size)
{
	struct prog p;
	struct bpf_prog_load_attr a;
	int fd, tries = 5;

	if (!spec_ok(s, raw)) {
		errno = EINVAL;
		return -1;
	}
	build_count_prog(&p, map_fd, s, raw);
	memset(&a, 0, sizeof(a));
	a.prog_type = raw ? BPF_PROG_TYPE_RAW_TRACEPOINT : BPF_PROG_TYPE_TRACEPOINT;
	a.insn_cnt = p.n;
	a.insns = (uintptr_t)p.insn;
	a.license = (uintptr_t)"GPL";
	if (log && log_size) {
		log[0] = '\0';
		a.log_level = 1;
		a.log_size = log_size;
		a.log_buf = (uintptr_t)log;
	}
	strcpy(a.prog_name, "kvm_stat");
	do
		fd = sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
	while (fd < 0 && errno == EAGAIN && --tries);
	return fd;
}

/* ---- attaching ---- */

/*
 * The program runs at every hit of tracepoint NAME (no "kvm:" prefix) on
 * every CPU, until the returned descriptor closes. Module tracepoints
 * (kvm's) are found by name too. A program reading past the tracepoint's
 * arguments is refused here, with EINVAL, not at load.
 */
int bpf_raw_tracepoint_open(const char *name, int prog_fd)
{
	struct bpf_raw_tp_attr a = {
		.name = (uintptr_t)name,
		.prog_fd = prog_fd,
	};

	return sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
}

/*
 * The perf event holds its own reference: PROG_FD may be closed after.
 * EEXIST: a program is attached to this event already.
 */
int perf_attach_bpf(int perf_fd, int prog_fd)
{
	return ioctl(perf_fd, PERF_EVENT_IOC_SET_BPF, prog_fd);
}

/* ---- reading ---- */

/*
 * "0-1\n", "0-3,8-11\n": the kernel's cpu_possible_mask, fixed at boot.
 * The highest cpu + 1, not the number listed: a per-CPU lookup copies one
 * value per possible CPU (num_possible_cpus(), the weight), and the
 * highest + 1 is never less than that, on a sparse mask too.
 */
unsigned bpf_possible_cpus(void)
{
	char buf[512], *s = buf;
	unsigned n, high = 0;
	ssize_t len = open_read_close("/sys/devices/system/cpu/possible",
			buf, sizeof(buf) - 1);

	/* a list as long as the buffer may be cut: its end is the answer */
	if (len <= 0 || len >= (ssize_t)sizeof(buf) - 1)
		return 0;
	buf[len] = '\0';
	for (;;) {
		if (!isdigit(*s))
			return 0;
		n = strtoul(s, &s, 10);
		if (n >= high)
			high = n + 1;
		if (*s != ',' && *s != '-')
			break;
		s++;
	}
	return (*s == '\n' || *s == '\0') && high < (1U << 20) ? high : 0;
}

/*
 * A buffer of NCPUS values that ends where a PROT_NONE page begins, made
 * once. Why: BPF_MAP_LOOKUP_ELEM on a per-CPU map writes
 * round_up(value_size, 8) * num_possible_cpus() bytes with no size from
 * us. Sizing by the file is right on every sane system, but the file can
 * be wrong (a container's fake /sys, a sandbox); a kernel with more CPUs
 * than NCPUS would then write past any buffer sized from it. With the
 * guard page right after the last value, its copy_to_user() stops at the
 * guard page and the call fails with EFAULT: no overflow is possible
 * whatever the kernel's CPU count, and the caller learns NCPUS is wrong.
 */
static uint64_t *percpu_buffer(unsigned ncpus)
{
	static struct {
		uint64_t *values;
		void *map;
		size_t len;
		unsigned ncpus;
	} b;
	size_t page = sysconf(_SC_PAGESIZE);
	size_t len = ((size_t)ncpus * 8 + page - 1) / page * page;
	char *m;

	if (b.ncpus == ncpus)
		return b.values;
	if (ncpus == 0 || ncpus >= (1U << 20)) {
		errno = EINVAL;
		return NULL;
	}
	m = mmap(NULL, len + page, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m + len, page, PROT_NONE) != 0) {
		munmap(m, len + page);
		return NULL;
	}
	if (b.map)
		munmap(b.map, b.len);
	b.map = m;
	b.len = len + page;
	b.ncpus = ncpus;
	b.values = (uint64_t *)(m + len) - ncpus;
	return b.values;
}

int bpf_count_read(int map_fd, unsigned slot, unsigned ncpus,
		unsigned long long *sum)
{
	uint64_t *v = percpu_buffer(ncpus);
	uint32_t key = slot;
	struct bpf_map_elem_attr a = {
		.map_fd = map_fd,
		.key = (uintptr_t)&key,
	};
	unsigned i;

	if (!v)
		return -1;
	/* a kernel with fewer CPUs than NCPUS leaves the rest as it is */
	memset(v, 0, ncpus * sizeof(*v));
	a.value = (uintptr_t)v;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)) != 0)
		return -1;
	*sum = 0;
	for (i = 0; i < ncpus; i++)
		*sum += v[i];
	return 0;
}
