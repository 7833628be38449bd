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
#include <sys/syscall.h>	/* SYS_bpf: not in libbb.h */

/* ---- include/uapi/linux/bpf.h, the values of its enums ---- */

enum {
	BPF_MAP_CREATE = 0,
	BPF_MAP_LOOKUP_ELEM = 1,
	BPF_MAP_DELETE_ELEM = 3,
	BPF_MAP_GET_NEXT_KEY = 4,
	BPF_PROG_LOAD = 5,
	BPF_RAW_TRACEPOINT_OPEN = 17,
};
#define BPF_MAP_TYPE_PERCPU_ARRAY	6
#define BPF_PROG_TYPE_TRACEPOINT	5
#define BPF_PROG_TYPE_RAW_TRACEPOINT	17
#define BPF_MAP_TYPE_HASH	1
#define BPF_F_NO_PREALLOC	1	/* map_flags: memory for the keys used only */
#define BPF_NOEXIST	1	/* update: only a new key */
#define BPF_FUNC_map_lookup_elem	1	/* __BPF_FUNC_MAPPER order */
#define BPF_FUNC_map_update_elem	2
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
#define BPF_JA	0x00
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

/*
 * bpf(2). Before Linux 5.11 maps and programs count against
 * RLIMIT_MEMLOCK, whose default (64 KiB) holds a few programs and small
 * maps: the rest fail with EPERM (seen on 5.10: -e's maps, and the
 * default screen's 93 programs). As bpftool and libbpf do, the limit is
 * then lifted, which root may do, and the request made once more. Since
 * 5.11 the memory cgroup pays and the limit is not read. (prlimit: see
 * raise_nofile().)
 */
static int sys_bpf(int cmd, void *attr, unsigned size)
{
	static const struct rlimit no_limit = { RLIM_INFINITY, RLIM_INFINITY };
	int fd = syscall(SYS_bpf, cmd, attr, size);

	if (fd < 0 && errno == EPERM
	 && prlimit(0, RLIMIT_MEMLOCK, &no_limit, NULL) == 0)
		fd = syscall(SYS_bpf, cmd, attr, size);
	return fd;
}

/* ---- maps ---- */

/*
 * BPF_MAP_CREATE; NAME (a constant, under 16 bytes) is what bpftool shows.
 * One request built out of line: built in place, each costs ~70 bytes.
 */
static NOINLINE int map_create(unsigned type, unsigned key_size,
		unsigned value_size, unsigned n, unsigned flags, const char *name)
{
	struct bpf_map_create_attr a = {
		.map_type = type,
		.key_size = key_size,
		.value_size = value_size,
		.max_entries = n,
		.map_flags = flags,
	};

	strcpy(a.map_name, name);
	return sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

/*
 * Per-CPU: each CPU adds to its own copy, no cache line bounces between
 * CPUs; user space sums the copies. u64: never wraps in practice.
 */
int bpf_count_map_create(unsigned nslots)
{
	return map_create(BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint32_t),
		sizeof(uint64_t), nslots, 0, "kvm_stat");
}

/* ---- programs ---- */

/*
 * The counting program; bpf_count_prog_load() leaves out the parts a spec
 * does not need, fills in its numbers (the ones written 0 here) and puts
 * a copy of ADD_ONE (the lookup and add) after the reason's key. In C:
 *	if (tgid && bpf_get_current_pid_tgid() >> 32 != tgid)
 *		return 0;
 *	map[slot] += 1;
 *	if (nreasons)
 *		map[base + min(reason, nreasons)] += 1;
 *	return 0;	(a perf-attached program: the perf event does nothing more)
 *
 * map[key] += 1 is a plain load, add and store, no atomic add: the value
 * is this CPU's own copy, and no second run of the same program can start
 * on this CPU in the middle of ours. A perf-attached program runs from
 * trace_call_bpf(), which runs nothing while the per-CPU bpf_prog_active
 * is taken (any kprobe/tracepoint program on this CPU); a raw tracepoint
 * program from __bpf_trace_run(), which skips a run while the program's
 * own per-CPU prog->active is taken (counted in recursion_misses). Both
 * guards are per CPU and held for the whole run, which cannot move to
 * another CPU: a hit on this CPU during our run is skipped, never
 * interleaved. So each slot sees one writer per CPU at a time, as long as
 * no two programs share a slot (they would need BPF_ATOMIC | BPF_ADD). An
 * atomic add would not bring back the hits the guards skip either.
 */
enum {	/* the optional parts, and the instructions filled in */
	REASON_LOAD = 0, TGID_CMP = 3, SLOT_KEY = 4, ADD_ONE = 5, MAP_1 = 7,
	ADD_ONE_LEN = 9, REASON_FIRST = 14,
	REASON_CMP = 14, REASON_OVERFLOW = 15, REASON_BASE = 16,
	REASON_ADD = 18,	/* the copy of ADD_ONE, then "out" */
};
static const struct bpf_insn count_prog[] = {
	/*
	 * REASON_LOAD: r6 = the reason, read while r1 is the context (a
	 * call loses r1; r6 stays). A u32 (every reason is one): a load of
	 * 4 bytes, which zero-extends. In a perf record: the field itself,
	 * where the format file places it (the verifier allows aligned reads
	 * at 8 to 2047 only: the first 8 bytes of the record are hidden). A
	 * raw argument is a u64 slot holding the TP_PROTO value: the low
	 * half, at its offset 4 on a big-endian kernel.
	 */
	BPF_LDX_MEM(BPF_W, R6, R1, 0),
	/* the hits of one process only; the tgid is the upper half of
	 * bpf_get_current_pid_tgid() */
	BPF_EMIT_CALL(BPF_FUNC_get_current_pid_tgid),
	BPF_ALU64_IMM(BPF_RSH, R0, 32),
	BPF_JMP_IMM(BPF_JNE, R0, 0, 0),	/* TGID_CMP: != tgid goto out */
	/* SLOT_KEY: the key lives on the stack, at r10 - 4 */
	BPF_ST_MEM(BPF_W, R10, -4, 0),
	/* ADD_ONE: r0 = bpf_map_lookup_elem(map, &key): this CPU's value,
	 * or NULL for a key past max_entries; the verifier insists on the
	 * check */
	BPF_MOV64_REG(R2, R10),
	BPF_ALU64_IMM(BPF_ADD, R2, -4),
	BPF_LD_MAP_FD(R1, 0),	/* MAP_1 */
	BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem),
	BPF_JMP_IMM(BPF_JEQ, R0, 0, 3),
	/* *r0 += 1 */
	BPF_LDX_MEM(BPF_DW, R1, R0, 0),
	BPF_ALU64_IMM(BPF_ADD, R1, 1),
	BPF_STX_MEM(BPF_DW, R0, R1, 0),
	/* REASON_CMP: past the table, the overflow slot; this bound keeps
	 * a reason out of the other events' slots */
	BPF_JMP_IMM(BPF_JLT, R6, 0, 1),
	BPF_MOV64_IMM(R6, 0),	/* REASON_OVERFLOW */
	BPF_ALU64_IMM(BPF_ADD, R6, 0),	/* REASON_BASE */
	BPF_STX_MEM(BPF_W, R10, R6, -4),
	/* REASON_ADD: ADD_ONE again, put here by build_count_prog() */
	/* out: return 0 */
	BPF_MOV64_IMM(R0, 0),
	BPF_EXIT_INSN(),
};

#if ENABLE_FEATURE_KVM_STAT_VCPU
/*
 * The per-thread part (spec->per_thread, -v), put in before "out":
 *	thread_map[{ tid, the last slot added }] += 1;
 * The last slot is the reason's when there is one, else the event's own:
 * an event with reasons has a hit in one of its reasons' slots each time,
 * so its count per thread is their sum (read so), and one part is enough.
 * The key is at r10 - 8: the tid (the lower half of
 * bpf_get_current_pid_tgid()), then that slot, which the count part left
 * at r10 - 4. A plain hash, not a per-CPU one, and still no atomic add: a
 * key's one writer is its thread, which runs on one CPU at a time, its
 * program on that CPU to the end (see count_prog). A new key is added
 * with the value 1; a thread only adds its own keys, so no other program
 * can add the same key in between.
 */
enum { THREAD_MAP_1 = 4, THREAD_MAP_2 = 15 };
static const struct bpf_insn thread_part[] = {
	BPF_EMIT_CALL(BPF_FUNC_get_current_pid_tgid),
	BPF_STX_MEM(BPF_W, R10, R0, -8),	/* the lower 32 bits */
	BPF_MOV64_REG(R2, R10),
	BPF_ALU64_IMM(BPF_ADD, R2, -8),
	BPF_LD_MAP_FD(R1, 0),	/* THREAD_MAP_1 */
	BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem),
	BPF_JMP_IMM(BPF_JEQ, R0, 0, 4),
	BPF_LDX_MEM(BPF_DW, R1, R0, 0),
	BPF_ALU64_IMM(BPF_ADD, R1, 1),
	BPF_STX_MEM(BPF_DW, R0, R1, 0),
	BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, 9, 0),	/* done */
	/* a new key: bpf_map_update_elem(map, &key, &one, BPF_NOEXIST) */
	BPF_ST_MEM(BPF_DW, R10, -16, 1),
	BPF_MOV64_REG(R2, R10),
	BPF_ALU64_IMM(BPF_ADD, R2, -8),
	BPF_LD_MAP_FD(R1, 0),	/* THREAD_MAP_2 */
	BPF_MOV64_REG(R3, R10),
	BPF_ALU64_IMM(BPF_ADD, R3, -16),
	BPF_MOV64_IMM(R4, BPF_NOEXIST),
	BPF_EMIT_CALL(BPF_FUNC_map_update_elem),
};
#define THREAD_PART_MAX	ARRAY_SIZE(thread_part)

/* The per-thread part in before the last two instructions ("out") of
 * the N in INSN, the jump to "out" over it; returns the new N */
static unsigned add_thread_part(struct bpf_insn *insn, unsigned n,
		const struct bpf_count_spec *s)
{
	struct bpf_insn *at = insn + n - 2;

	memmove(at + THREAD_PART_MAX, at, 2 * sizeof(*at));
	memcpy(at, thread_part, sizeof(thread_part));
	at[THREAD_MAP_1].imm = at[THREAD_MAP_2].imm = s->thread_map;
	if (s->tgid)	/* the only jump to "out" from before the part */
		insn[TGID_CMP].off += THREAD_PART_MAX;
	return n + THREAD_PART_MAX;
}
#else
#define THREAD_PART_MAX	0
#define add_thread_part(insn, n, s)	(n)
#endif

/* count_prog with its copy of ADD_ONE */
#define COUNT_PROG_MAX	(ARRAY_SIZE(count_prog) + ADD_ONE_LEN)

/*
 * The instructions of the program for S into INSN (room for
 * COUNT_PROG_MAX and THREAD_PART_MAX); returns how many, from
 * INSN[*FIRST]. Nothing moves: "out" is copied where the parts the spec
 * needs end, a program without reasons starts after REASON_LOAD, and
 * without a tgid at TGID_CMP, made the load the skipped instructions
 * began with (or at SLOT_KEY, without reasons either).
 */
static unsigned build_count_prog(struct bpf_insn *insn, int map_fd,
		const struct bpf_count_spec *s, int raw, unsigned *first)
{
	unsigned n = s->nreasons ? COUNT_PROG_MAX : REASON_FIRST + 2;

	/* ADD_ONE ends where the reason part starts, which ends with "out" */
	BUILD_BUG_ON(ADD_ONE + ADD_ONE_LEN != REASON_FIRST
		|| REASON_ADD + 2 != ARRAY_SIZE(count_prog));
	memcpy(insn, count_prog, sizeof(count_prog));
	insn[TGID_CMP].imm = s->tgid;
	insn[TGID_CMP].off = n - 2 - (TGID_CMP + 1);	/* to "out" */
	insn[SLOT_KEY].imm = s->slot;
	insn[MAP_1].imm = map_fd;
	insn[REASON_LOAD].off = s->reason_offset
		+ (raw && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0);
	insn[REASON_CMP].imm = insn[REASON_OVERFLOW].imm = s->nreasons;
	insn[REASON_BASE].imm = s->reason_base;
	/* the reason's lookup and add, the slot's with its map fd */
	memcpy(&insn[REASON_ADD], &insn[ADD_ONE], ADD_ONE_LEN * sizeof(*insn));
	/* "out", the last two, where the parts the spec needs end */
	memcpy(&insn[n - 2], &count_prog[ARRAY_SIZE(count_prog) - 2],
		2 * sizeof(*insn));
	*first = !s->nreasons;	/* no load */
	if (!s->tgid) {
		insn[TGID_CMP] = insn[REASON_LOAD];
		*first += TGID_CMP;
	}
	if (s->per_thread)
		n = add_thread_part(insn, n, s);
	if (s->invalid)	/* r7 was never set: "R7 !read_ok" */
		insn[n - 2] = BPF_MOV64_REG(R0, R7);
	return n - *first;
}

/*
 * Load the N instructions at INSN as the program NAME (shown by bpftool
 * prog; < 16 bytes); LOG: as bpf_count_prog_load's. fd, or -1 with errno.
 * The verifier stops at a pending signal with EAGAIN; libbpf retries too.
 * log_level 1 logs the paths it walks: a small buffer makes even a good
 * program fail, with ENOSPC.
 */
static int prog_load(const struct bpf_insn *insn, unsigned n, int raw,
		const char *name, char *log, unsigned log_size)
{
	struct bpf_prog_load_attr a = {
		.prog_type = raw ? BPF_PROG_TYPE_RAW_TRACEPOINT
			: BPF_PROG_TYPE_TRACEPOINT,
		.insn_cnt = n,
		.insns = (uintptr_t)insn,
		.license = (uintptr_t)"GPL",
	};
	int fd, tries = 5;

	strcpy(a.prog_name, name);
	if (log && log_size) {
		log[0] = '\0';
		a.log_level = 1;
		a.log_size = log_size;
		a.log_buf = (uintptr_t)log;
	}
	do
		fd = sys_bpf(BPF_PROG_LOAD, &a, sizeof(a));
	while (fd < 0 && errno == EAGAIN && --tries);
	return fd;
}

int bpf_count_prog_load(int map_fd, const struct bpf_count_spec *s, int raw,
		char *log, unsigned log_size)
{
	struct bpf_insn insn[COUNT_PROG_MAX + THREAD_PART_MAX];
	unsigned first, n = build_count_prog(insn, map_fd, s, raw, &first);

	return prog_load(insn + first, n, raw, "kvm_stat", log, log_size);
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

/* BPF_MAP_LOOKUP_ELEM and friends on one key: 0, or -1 with errno. One
 * request built out of line, as map_create()'s. */
static NOINLINE int map_elem(int cmd, int map_fd, const void *key,
		void *value)
{
	struct bpf_map_elem_attr a = {
		.map_fd = map_fd,
		.key = (uintptr_t)key,
		.value = (uintptr_t)value,
	};

	return sys_bpf(cmd, &a, sizeof(a));
}

/* SLOT of a per-CPU array: its value on each possible CPU into VALUES */
static int lookup_slot(int map_fd, unsigned slot, void *values)
{
	uint32_t key = slot;

	return map_elem(BPF_MAP_LOOKUP_ELEM, map_fd, &key, values);
}

/*
 * Asked of the kernel itself (its num_possible_cpus(), which no /sys can
 * misstate): a new map's slot is 0 on every CPU, and its lookup writes one
 * value per possible CPU over values that are not 0.
 */
unsigned bpf_possible_cpus(void)
{
	int map = bpf_count_map_create(1);
	unsigned long long *v;
	unsigned n = 0;

	if (map < 0)
		return 0;	/* errno says why */
	v = xmalloc(BPF_CPUS_MAX * sizeof(*v));
	memset(v, 0xff, BPF_CPUS_MAX * sizeof(*v));
	if (lookup_slot(map, 0, v) == 0)
		while (n < BPF_CPUS_MAX && v[n] == 0)
			n++;
	free(v);
	close(map);
	return n;
}

int bpf_count_read(int map_fd, unsigned slot, unsigned long long *values,
		unsigned ncpus, unsigned long long *sum)
{
	unsigned i;

	if (lookup_slot(map_fd, slot, values) != 0)
		return -1;
	*sum = 0;
	for (i = 0; i < ncpus; i++)
		*sum += values[i];
	return 0;
}

#if ENABLE_FEATURE_KVM_STAT_VCPU
/* ---- per-thread counts (-v) ---- */

/*
 * Keys { tid, slot }, u64 values, memory only for the keys used (a
 * preallocated map would take every entry at once): 64 vCPUs with every
 * slot of kvm_exit's reasons are ~5000 keys. A full map takes no new
 * keys: their counts are lost, the guest's sums are not.
 */
int bpf_thread_map_create(void)
{
	return map_create(BPF_MAP_TYPE_HASH, sizeof(struct bpf_thread_key),
		sizeof(uint64_t), 65536, BPF_F_NO_PREALLOC, "kvm_stat_vcpu");
}

/* BPF_MAP_GET_NEXT_KEY, BPF_MAP_LOOKUP_ELEM, BPF_MAP_DELETE_ELEM on one
 * key, OUT the next key or the value: 0, or -1 with errno (ENOENT: no
 * next key, or no such key) */
int bpf_thread_op(int cmd, int map_fd, const struct bpf_thread_key *key,
		void *out)
{
	BUILD_BUG_ON((int)BPF_THREAD_LOOKUP != BPF_MAP_LOOKUP_ELEM
		|| (int)BPF_THREAD_DELETE != BPF_MAP_DELETE_ELEM
		|| (int)BPF_THREAD_NEXT != BPF_MAP_GET_NEXT_KEY);
	return map_elem(cmd, map_fd, key, out);
}
#endif

/* ---- exit handling times (-e): two programs, a hash map, an array ---- */
#if ENABLE_FEATURE_KVM_STAT_EXIT_TIMES

#define BPF_MAP_TYPE_LRU_HASH	9
#define BPF_FUNC_ktime_get_ns	5
#define BPF_SUB	0x10
#define BPF_DIV	0x30
#define BPF_LSH	0x60
#define BPF_JGE	0x30
#define BPF_ALU64_REG(OP, DST, SRC)	BPF_RAW_INSN(BPF_ALU64 | (OP) | BPF_X, DST, SRC, 0, 0)
#define BPF_JMP_REG(OP, DST, SRC, OFF)	BPF_RAW_INSN(BPF_JMP | (OP) | BPF_X, DST, SRC, OFF, 0)
/* One halving of fls(r6) into r2: if (r6 >= 1 << BITS) { r6 >>= BITS;
 * r2 += BITS; } (three instructions: the jump skips two) */
#define FLS_STEP(BITS) \
	BPF_JMP_IMM(BPF_JLT, R6, 1 << (BITS), 2), \
	BPF_ALU64_IMM(BPF_RSH, R6, BITS), \
	BPF_ALU64_IMM(BPF_ADD, R2, BITS)

static int load_prog(const struct bpf_insn *insn, unsigned n, int raw)
{
	return prog_load(insn, n, raw, "kvm_stat_exit", NULL, 0);
}

/*
 * On kvm_exit (perf-attached: the reason is in the record, not in the
 * raw arguments):
 *	id = bpf_get_current_pid_tgid();
 *	if (tgid && id >> 32 != tgid) return 0;
 *	t = hash[(u32)id]: *t = { now, reason }, or inserted if missing
 * Written in place: a thread's entry stays (kvm_entry's program marks it
 * used with time 0), so the hot path takes no lock and allocates nothing;
 * the LRU map drops the entries of threads gone when it is full.
 */
enum { X_LOAD = 0, X_TGID_CMP = 4, X_HASH1 = 9, X_HASH2 = 20, X_OUT = 26 };
static const struct bpf_insn exit_prog[] = {
	/* X_LOAD: the reason, a u32, while r1 is the record (a call
	 * loses it) */
	BPF_LDX_MEM(BPF_W, R7, R1, 0),
	BPF_EMIT_CALL(BPF_FUNC_get_current_pid_tgid),
	BPF_STX_MEM(BPF_W, R10, R0, -4),	/* key: the thread id */
	BPF_ALU64_IMM(BPF_RSH, R0, 32),
	BPF_JMP_IMM(BPF_JNE, R0, 0, X_OUT - X_TGID_CMP - 1),	/* X_TGID_CMP */
	BPF_EMIT_CALL(BPF_FUNC_ktime_get_ns),
	BPF_MOV64_REG(R8, R0),
	BPF_MOV64_REG(R2, R10),
	BPF_ALU64_IMM(BPF_ADD, R2, -4),
	BPF_LD_MAP_FD(R1, 0),	/* X_HASH1 */
	BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem),
	BPF_JMP_IMM(BPF_JEQ, R0, 0, 3),
	BPF_STX_MEM(BPF_DW, R0, R8, 0),
	BPF_STX_MEM(BPF_DW, R0, R7, 8),
	BPF_JMP_IMM(BPF_JA, 0, 0, 10),	/* to out */
	/* the thread's first exit */
	BPF_STX_MEM(BPF_DW, R10, R8, -24),
	BPF_STX_MEM(BPF_DW, R10, R7, -16),
	BPF_MOV64_REG(R2, R10),
	BPF_ALU64_IMM(BPF_ADD, R2, -4),
	BPF_LD_MAP_FD(R1, 0),	/* X_HASH2 */
	BPF_MOV64_REG(R3, R10),
	BPF_ALU64_IMM(BPF_ADD, R3, -24),
	BPF_MOV64_IMM(R4, 0),	/* BPF_ANY */
	BPF_EMIT_CALL(BPF_FUNC_map_update_elem),
	/* X_OUT: */
	BPF_MOV64_IMM(R0, 0),
	BPF_EXIT_INSN(),
};

/*
 * On kvm_entry (raw: its arguments are not read):
 *	t = hash[tid]; if (!t || !t->time) return 0;	(an exit we did not see)
 *	d = now - t->time; t->time = 0;
 *	r = t->reason, past the table's gap moved down, in it: nreasons;
 *	r = min(r, nreasons);
 *	v = array[r]: count++, sum += d, min, max, hist[fls(d / 1000)]++
 */
enum {
	N_HASH = 4, N_NO_EXIT = 7, N_USED = 9, N_GAP_AT = 15, N_GAP_END = 16,
	N_GAP_SHIFT = 17, N_CMP = 18, N_OVERFLOW = 19, N_ARRAY = 23,
	N_NO_SLOT = 26, N_OUT = 65
};
static const struct bpf_insn entry_prog[] = {
	BPF_EMIT_CALL(BPF_FUNC_get_current_pid_tgid),
	BPF_STX_MEM(BPF_W, R10, R0, -4),
	BPF_MOV64_REG(R2, R10),
	BPF_ALU64_IMM(BPF_ADD, R2, -4),
	BPF_LD_MAP_FD(R1, 0),	/* N_HASH */
	BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem),
	BPF_JMP_IMM(BPF_JEQ, R0, 0, N_OUT - N_NO_EXIT - 1),	/* N_NO_EXIT */
	BPF_LDX_MEM(BPF_DW, R6, R0, 0),
	BPF_JMP_IMM(BPF_JEQ, R6, 0, N_OUT - N_USED - 1),	/* N_USED */
	BPF_LDX_MEM(BPF_DW, R7, R0, 8),
	BPF_ST_MEM(BPF_DW, R0, 0, 0),
	BPF_EMIT_CALL(BPF_FUNC_ktime_get_ns),
	BPF_ALU64_REG(BPF_SUB, R0, R6),
	BPF_MOV64_REG(R6, R0),	/* r6 = the handling time, ns */
	/* N_GAP_AT: codes before the table's gap keep their slot, codes in
	 * it go to the overflow slot, codes after it move down */
	BPF_JMP_IMM(BPF_JLT, R7, 0, N_CMP - N_GAP_AT - 1),
	BPF_JMP_IMM(BPF_JLT, R7, 0, N_OVERFLOW - N_GAP_END - 1),	/* N_GAP_END */
	BPF_ALU64_IMM(BPF_ADD, R7, 0),	/* N_GAP_SHIFT: gap_at - gap_end */
	/* N_CMP: codes past the table share the overflow slot */
	BPF_JMP_IMM(BPF_JLT, R7, 0, 1),
	BPF_MOV64_IMM(R7, 0),	/* N_OVERFLOW */
	BPF_STX_MEM(BPF_W, R10, R7, -8),
	BPF_MOV64_REG(R2, R10),
	BPF_ALU64_IMM(BPF_ADD, R2, -8),
	BPF_LD_MAP_FD(R1, 0),	/* N_ARRAY */
	BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem),
	BPF_JMP_IMM(BPF_JEQ, R0, 0, N_OUT - N_NO_SLOT - 1),	/* N_NO_SLOT */
	/* this CPU's copy: plain adds, as in count_prog */
	BPF_LDX_MEM(BPF_DW, R1, R0, 16),
	BPF_ALU64_IMM(BPF_ADD, R1, 1),
	BPF_STX_MEM(BPF_DW, R0, R1, 16),
	BPF_LDX_MEM(BPF_DW, R1, R0, 24),
	BPF_ALU64_REG(BPF_ADD, R1, R6),
	BPF_STX_MEM(BPF_DW, R0, R1, 24),
	/* min: 0 is "none yet" */
	BPF_LDX_MEM(BPF_DW, R1, R0, 0),
	BPF_JMP_IMM(BPF_JEQ, R1, 0, 1),
	BPF_JMP_REG(BPF_JLT, R1, R6, 1),
	BPF_STX_MEM(BPF_DW, R0, R6, 0),
	BPF_LDX_MEM(BPF_DW, R1, R0, 8),
	BPF_JMP_REG(BPF_JGE, R1, R6, 1),
	BPF_STX_MEM(BPF_DW, R0, R6, 8),
	/* r2 = fls(d in microseconds), by halves, in r6 (d is not needed
	 * after): bucket 0 is < 1 us, bucket b >= 1 is [2^(b-1), 2^b) us */
	BPF_ALU64_IMM(BPF_DIV, R6, 1000),
	BPF_MOV64_IMM(R2, 0),
	FLS_STEP(16),
	FLS_STEP(8),
	FLS_STEP(4),
	FLS_STEP(2),
	FLS_STEP(1),
	BPF_ALU64_REG(BPF_ADD, R2, R6),
	/* the verifier wants the index bounded: the last bucket takes
	 * all longer (> 17 minutes) */
	BPF_JMP_IMM(BPF_JLT, R2, EXIT_BUCKETS, 1),
	BPF_MOV64_IMM(R2, EXIT_BUCKETS - 1),
	BPF_ALU64_IMM(BPF_LSH, R2, 3),
	BPF_ALU64_REG(BPF_ADD, R0, R2),
	BPF_LDX_MEM(BPF_DW, R1, R0, 32),
	BPF_ALU64_IMM(BPF_ADD, R1, 1),
	BPF_STX_MEM(BPF_DW, R0, R1, 32),
	/* N_OUT: */
	BPF_MOV64_IMM(R0, 0),
	BPF_EXIT_INSN(),
};

/* The maps, then the programs that use them: one request, nothing to
 * pass between two */
int bpf_exit_load(unsigned nthreads, const struct bpf_count_spec *s,
		int *array, int *entry)
{
	struct bpf_insn x[ARRAY_SIZE(exit_prog)], n[ARRAY_SIZE(entry_prog)];
	/* tid -> (exit time, reason) */
	int hash = map_create(BPF_MAP_TYPE_LRU_HASH, sizeof(uint32_t), 16,
		nthreads, 0, "kvm_stat_exit");

	*array = map_create(BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint32_t),
		sizeof(struct bpf_exit_time), s->nreasons + 1, 0, "kvm_stat_exit");
	if (hash < 0 || *array < 0)
		return -1;
	BUILD_BUG_ON(X_OUT != ARRAY_SIZE(exit_prog) - 2
		|| N_OUT != ARRAY_SIZE(entry_prog) - 2);
	memcpy(x, exit_prog, sizeof(x));
	memcpy(n, entry_prog, sizeof(n));
	x[X_TGID_CMP].imm = s->tgid;
	if (!s->tgid)	/* a jump over nothing */
		x[X_TGID_CMP] = BPF_MOV64_REG(R0, R0);
	x[X_LOAD].off = s->reason_offset;
	x[X_HASH1].imm = x[X_HASH2].imm = n[N_HASH].imm = hash;
	n[N_ARRAY].imm = *array;
	n[N_CMP].imm = n[N_OVERFLOW].imm = s->nreasons;
	n[N_GAP_AT].imm = s->gap_at;
	n[N_GAP_END].imm = s->gap_end;
	n[N_GAP_SHIFT].imm = s->gap_at - s->gap_end;
	*entry = load_prog(n, ARRAY_SIZE(n), 1);
	if (*entry < 0)
		return -1;
	return load_prog(x, ARRAY_SIZE(x), 0);
}

int bpf_exit_read(int array, unsigned slot, struct bpf_exit_time *v,
		unsigned ncpus, struct bpf_exit_time *sum)
{
	/* the sums: the words from count on */
	unsigned long long *s = (unsigned long long *)sum, *w;
	unsigned i;

	BUILD_BUG_ON(offsetof(struct bpf_exit_time, count) != 2 * sizeof(*s));
	if (lookup_slot(array, slot, v) != 0)
		return -1;
	memset(sum, 0, sizeof(*sum));
	for (; ncpus--; v++) {
		w = (unsigned long long *)v;
		for (i = 2; i < sizeof(*sum) / sizeof(*s); i++)
			s[i] += w[i];
		if (v->min - 1 < sum->min - 1)	/* none (0) - 1: the largest */
			sum->min = v->min;
		if (v->max > sum->max)
			sum->max = v->max;
	}
	return 0;
}
#endif
