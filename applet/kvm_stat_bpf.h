/* vi: set sw=4 ts=4: */
/*
 * kvm_stat: the bpf(2) ABI for counting KVM tracepoints in the kernel,
 * with no library and no kernel headers: one per-CPU array of u64
 * counters, and small programs that add 1 to slots of it at each hit of
 * their tracepoint.
 *
 * Licensed under GPLv2, see file LICENSE in this source tree.
 */
#ifndef KVM_STAT_BPF_H
#define KVM_STAT_BPF_H 1

PUSH_AND_SET_FUNCTION_VISIBILITY_TO_HIDDEN

/* What one counting program does at each hit of its tracepoint */
struct bpf_count_spec {
	unsigned slot;	/* this slot of the map += 1 at every hit */
	int tgid;	/* > 0: count only hits in this process
			 * (bpf_get_current_pid_tgid() >> 32); 0: all */
	unsigned nreasons;	/* 0: no reason; else slot reason_base + reason
			 * += 1 too, where reason >= nreasons counts in slot
			 * reason_base + nreasons (the overflow slot) */
	unsigned reason_base;
	unsigned reason_offset;	/* perf program: byte offset of the field in
			 * the record (events/kvm/NAME/format); raw program:
			 * 8 * argument index */
	unsigned reason_size;	/* 4 (event_field's): the programs read
			 * a u32, as every reason is (raw: the argument's
			 * low half); not read here */
	smallint invalid;	/* tests: read a register never set, for
			 * the verifier to refuse the program */
	smallint per_thread;	/* -v: the reason's slot (else slot) += 1
			 * in THREAD_MAP too, under the hit's thread id */
	int thread_map;
	unsigned gap_at, gap_end;	/* exit times: reasons in [gap_at,
			 * gap_end) count in the overflow slot, those from
			 * gap_end on in slot reason - (gap_end - gap_at) */
};

/* BPF_MAP_TYPE_PERCPU_ARRAY of u64, key u32; fd, or -1 with errno */
int bpf_count_map_create(unsigned nslots);
/*
 * Load one counting program. RAW: BPF_PROG_TYPE_RAW_TRACEPOINT (ctx = u64
 * args[]), else BPF_PROG_TYPE_TRACEPOINT (ctx = the perf record). LOG,
 * LOG_SIZE: a buffer for the verifier's log (log_level 1), or NULL/0.
 * fd, or -1 with errno. The caller checks the reason's place: a u32 at
 * an offset that is a multiple of 4 (perf: 8 to 2044).
 * A LOG too small for the log fails the load with ENOSPC even for a good
 * program: pass one only to explain a failure (a retry), or >= 64 KiB.
 */
int bpf_count_prog_load(int map_fd, const struct bpf_count_spec *s, int raw,
		char *log, unsigned log_size);
/* BPF_RAW_TRACEPOINT_OPEN: fd (the attachment: close it to detach), or -1 */
int bpf_raw_tracepoint_open(const char *name, int prog_fd);
/* ioctl PERF_EVENT_IOC_SET_BPF: 0 or -1. One perf event of a tracepoint
 * (any cpu, pid -1) runs the program for the hits on every cpu. */
int perf_attach_bpf(int perf_fd, int prog_fd);
/*
 * A per-CPU lookup writes 8 bytes for each CPU the kernel counts as
 * possible, with no size from us. No kernel configures more than 8192
 * (CONFIG_NR_CPUS: x86 MAXSMP and ppc 8192, arm64 4096, s390 512): a
 * buffer of BPF_CPUS_MAX values is never overrun.
 */
#define BPF_CPUS_MAX	8192
/*
 * The number of values a per-CPU lookup writes (the running kernel's
 * num_possible_cpus()), counted in one lookup; 0 with errno if BPF refuses
 * us a map
 */
unsigned bpf_possible_cpus(void);
/*
 * The sum of SLOT over the first NCPUS values (from bpf_possible_cpus())
 * into *sum: 0, or -1 with errno. VALUES: room for BPF_CPUS_MAX.
 */
int bpf_count_read(int map_fd, unsigned slot, unsigned long long *values,
		unsigned ncpus, unsigned long long *sum);

/* -v: the per-thread map, of { tid, slot } -> u64; an event with
 * reasons has none of its own slot: its count is the sum of its reasons' */
struct bpf_thread_key {
	uint32_t tid;
	uint32_t slot;
};
int bpf_thread_map_create(void);
/* CMD (bpf.h's numbers): */
enum {
	BPF_THREAD_LOOKUP = 1,	/* OUT: the u64 value of KEY */
	BPF_THREAD_DELETE = 3,	/* OUT: unused */
	BPF_THREAD_NEXT = 4,	/* OUT: the key after KEY (NULL: the first) */
};
int bpf_thread_op(int cmd, int map_fd, const struct bpf_thread_key *key,
		void *out);
/*
 * Exit handling times (-e, kvm_stat_exittime.c): kvm_exit's program keeps
 * (time, reason) per thread in a hash map, kvm_entry's adds the time since
 * to the reason's slot of a per-CPU array of these:
 */
#define EXIT_BUCKETS	32	/* hist[0]: < 1 us; hist[b]: [2^(b-1), 2^b) us */
struct bpf_exit_time {
	unsigned long long min, max;	/* ns; min 0: none */
	/* the sums: bpf_exit_read() adds them up as one run of words */
	unsigned long long count, sum;	/* sum: ns */
	unsigned long long hist[EXIT_BUCKETS];
};
/*
 * The maps: a hash map of NTHREADS, the array of S->nreasons + 1 slots
 * into *ARRAY; the programs, for S: tgid, nreasons (a reason whose slot
 * would be >= it goes to slot nreasons), gap_at and gap_end, the offset
 * of the reason, a u32 (reason_size 4), in kvm_exit's record. The
 * kvm_exit program returned, kvm_entry's (raw) in *ENTRY; -1 with errno
 */
int bpf_exit_load(unsigned nthreads, const struct bpf_count_spec *s,
		int *array, int *entry);
/* SLOT summed over NCPUS into *SUM; V: room for BPF_CPUS_MAX values */
int bpf_exit_read(int array, unsigned slot, struct bpf_exit_time *v,
		unsigned ncpus, struct bpf_exit_time *sum);

POP_SAVED_FUNCTION_VISIBILITY

#endif
