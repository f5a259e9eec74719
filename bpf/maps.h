/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe's maps: the settings user space writes before attaching, the per-CPU scratch
 * buffers events are built in, the tables of tail-called programs, the per-CPU counters and
 * the ring buffers.
 */

/* Settings written by user space before the probe is attached. */
struct settings {
	u64 boot_time;  /* ns: bpf_ktime_get_boot_ns() + boot_time = ns since the epoch */
	u32 own_tgid;   /* Peregrine's own process, not captured (0: capture it) */
	u32 snaplen;    /* bytes of data buffers kept */
	u32 only_tgid;  /* capture this process only (0: every process) */
	u32 some_cpus;  /* capture only on the CPUs of cpu_mask (0: on every CPU) */
	u64 cpu_mask[4];
	u32 page_kb;    /* the page size in KiB */
	u32 pad;
};

/* Whether the current process, `pid_tgid` (bpf_get_current_pid_tgid()), is to be captured. */
static __always_inline bool wanted(struct settings *s, u64 pid_tgid)
{
	u32 tgid = pid_tgid >> 32;
	if (tgid == s->own_tgid)
		return false;
	if (s->some_cpus) {
		u32 cpu = bpf_get_smp_processor_id();
		u32 word = cpu / 64;
		/* clang drops the mask after the check below; 6.1's verifier loses the bound
		 * that check gives, and needs the mask. */
		barrier_var(word);
		if (cpu >= 256 || !((s->cpu_mask[word & 3] >> (cpu % 64)) & 1))
			return false;
	}
	return s->only_tgid == 0 || tgid == s->only_tgid;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct settings);
} settings_map SEC(".maps");

static __always_inline struct settings *settings(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&settings_map, &zero);
}

#define HDR_LEN 26
#define MAX_PARAMS 32
/* The scratch buffer an event is built in: writes start below HALF and are at most HALF
 * long, so every masked write stays inside the buffer, which is what the verifier needs. */
#define AUX_SIZE (128 * 1024)
#define HALF (64 * 1024)
#define SAFE(off) ((off) & (HALF - 1))
#define MAX_SNAPLEN (HALF - 1)
#define MAX_PATH 4096
#define SYSCALL_TABLE_SIZE 512

struct aux {
	u8 data[AUX_SIZE];
};

/* One scratch buffer per CPU (a per-CPU array cannot hold values this large); user space
 * sizes it to the number of CPUs. A program runs to its end on one CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct aux);
} aux_map SEC(".maps");

/* The schema's syscall code (ppm_sc) of each generic syscall to capture, by native number,
 * which the generic event carries; 0 for every other syscall. Written by user space from
 * the schema's syscall table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, u32);
	__type(value, u16);
} syscall_codes SEC(".maps");

/* The programs the dispatchers tail-call, by native syscall number: for each syscall with
 * a filler to capture, user space installs the program of its exit event (`NAME_x`, in
 * syscalls/); every other syscall has no entry, and the dispatcher goes on to the generic
 * event (syscall_codes). The process and CPU filters are checked after it, as the event
 * starts. The enter events' programs (`NAME_e`) have a table of their own. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, u32);
	__type(value, u32);
} exit_programs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, u32);
	__type(value, u32);
} enter_programs SEC(".maps");

/* Per-CPU counters, read by user space for Inspector::stats(). */
struct counters {
	u64 events;           /* events produced (delivered or dropped) */
	u64 drops_buffer;     /* dropped: the ring was full */
	u64 drops_size;       /* dropped: the event did not fit the scratch buffer */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct counters);
} counters_map SEC(".maps");

/* One ring buffer per CPU, created and inserted by user space. */
#include "rings.h"
