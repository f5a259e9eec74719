// SPDX-License-Identifier: GPL-2.0
/*
 * Peregrine's probe: one program on the sys_exit tracepoint (BTF-typed) turns each syscall
 * exit into one event in the Falco layout, written into the ring buffer of the CPU it ran
 * on. Syscalls without a filler of their own yet go out as the generic syscall event. A
 * program on sys_enter sends the enter events of open, openat, openat2, creat and connect,
 * when asked for.
 *
 * The syscall's registers come as a BTF-typed pointer, read directly (no helper call).
 *
 * Event layout (the scap layout the user-space side reads from files too): a 26-byte header
 * (ts u64, tid u64, len u32, type u16, nparams u32), one u16 length per parameter, then the
 * values.
 */

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "events.h"

char LICENSE[] SEC("license") = "GPL";

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

/* Whether the current process is to be captured. */
static __always_inline bool wanted(struct settings *s)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == s->own_tgid)
		return false;
	if (s->some_cpus) {
		u32 cpu = bpf_get_smp_processor_id();
		if (cpu >= 256 || !((s->cpu_mask[(cpu / 64) & 3] >> (cpu % 64)) & 1))
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

/* What the probe does with each native syscall number, written by user space from the
 * schema's syscall table (and the filter's event types). */
struct syscall_entry {
	u16 ppm_sc;     /* the schema's syscall code (for the generic event) */
	u16 exit_event; /* the schema's exit event for this syscall */
	u8 enabled;     /* capture it */
	u8 enter;       /* also send its enter event (sys_enter program) */
	u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, u32);
	__type(value, struct syscall_entry);
} syscall_table SEC(".maps");

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

/* An event being built in the scratch buffer. */
struct writer {
	struct aux *aux;
	struct settings *settings;
	u32 pos;      /* where the next value goes */
	u32 nparams;
	u32 param;    /* index of the next parameter */
	bool too_big;
};

/* Starts an event of `type` with the schema's number of parameters for it (ppm_nparams,
 * generated with the event ids; a constant when the type is). */
static __always_inline bool writer_start(struct writer *w, struct settings *s, u16 type)
{
	u32 nparams = type < PPM_EVENT_MAX ? ppm_nparams[type] : 0;
	u32 cpu = bpf_get_smp_processor_id();
	w->aux = bpf_map_lookup_elem(&aux_map, &cpu);
	if (!w->aux)
		return false;
	w->settings = s;
	w->nparams = nparams;
	w->param = 0;
	w->too_big = false;
	w->pos = HDR_LEN + nparams * 2;
	u8 *d = w->aux->data;
	*(u64 *)&d[0] = bpf_ktime_get_boot_ns() + s->boot_time;
	*(u64 *)&d[8] = (u32)bpf_get_current_pid_tgid();
	*(u16 *)&d[20] = type;
	*(u32 *)&d[22] = nparams;
	return true;
}

static __always_inline void set_len(struct writer *w, u16 len)
{
	u32 at = HDR_LEN + (w->param & (MAX_PARAMS - 1)) * 2;
	*(u16 *)&w->aux->data[SAFE(at)] = len;
	w->param++;
	w->pos += len;
	if (w->pos >= HALF)
		w->too_big = true;
}

static __always_inline void push_u64(struct writer *w, u64 v)
{
	*(u64 *)&w->aux->data[SAFE(w->pos)] = v;
	set_len(w, 8);
}

static __always_inline void push_u32(struct writer *w, u32 v)
{
	*(u32 *)&w->aux->data[SAFE(w->pos)] = v;
	set_len(w, 4);
}

static __always_inline void push_u16(struct writer *w, u16 v)
{
	*(u16 *)&w->aux->data[SAFE(w->pos)] = v;
	set_len(w, 2);
}

static __always_inline void push_empty(struct writer *w)
{
	set_len(w, 0);
}

/* A NUL-terminated string from user memory, at most MAX_PATH bytes with its NUL; an
 * unreadable one is empty. */
static __always_inline void push_user_str(struct writer *w, const char *s)
{
	long n = 0;
	if (s)
		n = bpf_probe_read_user_str(&w->aux->data[SAFE(w->pos)], MAX_PATH, s);
	if (n <= 0)
		n = 0;
	set_len(w, (u16)n);
}

/* Up to `snaplen` bytes of a user buffer of `len` bytes. */
static __always_inline void push_user_buf(struct writer *w, const void *p, long len)
{
	u32 n = 0;
	if (p && len > 0) {
		u32 snaplen = w->settings->snaplen;
		n = len > snaplen ? snaplen : (u32)len;
		/* User space keeps snaplen below HALF; the mask tells the verifier. */
		n &= MAX_SNAPLEN;
		if (bpf_probe_read_user(&w->aux->data[SAFE(w->pos)], n, p) != 0)
			n = 0;
	}
	set_len(w, (u16)n);
}

static __always_inline void count(u32 which)
{
	u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&counters_map, &zero);
	if (!c)
		return;
	if (which == 0)
		c->events++;
	else if (which == 1)
		c->drops_buffer++;
	else
		c->drops_size++;
}

/* Sends the event to this CPU's ring; counts it, and counts a drop if it could not go. */
static __always_inline void writer_submit(struct writer *w)
{
	count(0);
	u32 len = w->pos;
	if (w->too_big || len > HALF || w->param != w->nparams) {
		count(2);
		return;
	}
	*(u32 *)&w->aux->data[16] = len;
	u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);
	if (!ring) {
		count(1);
		return;
	}
	if (bpf_ringbuf_output(ring, w->aux->data, len & (HALF - 1), BPF_RB_NO_WAKEUP) != 0)
		count(1);
}

/* Kernel O_* flags as the schema's PPM_O_* flags (K_O_*: the architecture's own values). */
static __always_inline u32 open_flags_to_ppm(u32 flags)
{
	u32 res = 0;
	switch (flags & 3) {
	case 0: res |= PPM_FILE_FLAGS_O_RDONLY; break;
	case 1: res |= PPM_FILE_FLAGS_O_WRONLY; break;
	case 2: res |= PPM_FILE_FLAGS_O_RDWR; break;
	}
	if (flags & 0100) res |= PPM_FILE_FLAGS_O_CREAT;
	if (flags & 0200) res |= PPM_FILE_FLAGS_O_EXCL;
	if (flags & 01000) res |= PPM_FILE_FLAGS_O_TRUNC;
	if (flags & 02000) res |= PPM_FILE_FLAGS_O_APPEND;
	if (flags & 04000) res |= PPM_FILE_FLAGS_O_NONBLOCK;
	if (flags & 010000) res |= PPM_FILE_FLAGS_O_DSYNC;
	if (flags & K_O_DIRECT) res |= PPM_FILE_FLAGS_O_DIRECT;
	if (flags & K_O_LARGEFILE) res |= PPM_FILE_FLAGS_O_LARGEFILE;
	if (flags & K_O_DIRECTORY) res |= PPM_FILE_FLAGS_O_DIRECTORY;
	if (flags & 02000000) res |= PPM_FILE_FLAGS_O_CLOEXEC;
	if (flags & 04000000) res |= PPM_FILE_FLAGS_O_SYNC;
	if ((flags & 020000000) == 020000000) res |= PPM_FILE_FLAGS_O_TMPFILE;
	return res;
}

/* The mode of open/openat: only meaningful when a file may be created. */
static __always_inline u32 open_mode(u32 flags, u32 mode)
{
	if (flags & (0100 | 020000000))
		return mode & 07777;
	return 0;
}

/* An fd argument: the kernel takes an int. */
static __always_inline s64 fd_arg(unsigned long v)
{
	return (s64)(int)v;
}

/* The file behind fd `fd` of the current process, or NULL. */
static __always_inline struct file *fd_file(s64 fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

#define FMODE_CREATED 0x100000

/* A device number as the kernel's new_encode_dev() gives it to user space. */
static __always_inline u32 encode_dev(u32 major, u32 minor)
{
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* dev (encoded as the kernel's new_encode_dev), ino and whether the open created the file. */
static __always_inline void file_ids(s64 fd, u32 *dev, u64 *ino, bool *created)
{
	*dev = 0;
	*ino = 0;
	*created = false;
	struct file *f = fd_file(fd);
	if (!f)
		return;
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	u32 kdev = BPF_CORE_READ(inode, i_sb, s_dev);
	*dev = encode_dev(kdev >> 20, kdev & 0xfffff);
	*ino = BPF_CORE_READ(inode, i_ino);
	if (bpf_core_field_exists(f->f_mode))
		*created = (BPF_CORE_READ(f, f_mode) & FMODE_CREATED) != 0;
}

static __always_inline void fill_generic(struct settings *s, struct pt_regs *regs, u32 nr, struct syscall_entry *e)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_GENERIC_X))
		return;
	push_u16(&w, e->ppm_sc);
	push_u16(&w, (u16)nr);
	writer_submit(&w);
}

static __always_inline void fill_open(struct settings *s, struct pt_regs *regs, long ret, bool at)
{
	struct writer w;
	u16 type = at ? PPME_SYSCALL_OPENAT_2_X : PPME_SYSCALL_OPEN_X;
	if (!writer_start(&w, s, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs),
		      a2 = SC_ARG2(regs), a3 = SC_ARG3(regs);
	const char *path = (const char *)(at ? a1 : a0);
	u32 flags = at ? a2 : a1;
	u32 mode = at ? a3 : a2;
	u32 dev;
	u64 ino;
	bool created;
	file_ids(ret, &dev, &ino, &created);
	u32 ppm_flags = open_flags_to_ppm(flags);
	if (created)
		ppm_flags |= PPM_FILE_FLAGS_O_F_CREATED;
	push_u64(&w, ret);
	if (at)
		push_u64(&w, (s64)(int)a0);
	push_user_str(&w, path);
	push_u32(&w, ppm_flags);
	push_u32(&w, open_mode(flags, mode));
	push_u32(&w, dev);
	push_u64(&w, ino);
	writer_submit(&w);
}

static __always_inline void fill_close(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_CLOSE_X))
		return;
	push_u64(&w, ret);
	push_u64(&w, (s64)(int)SC_ARG0(regs));
	writer_submit(&w);
}

/* read and write: res, data (what was transferred), fd, size. */
static __always_inline void fill_rw(struct settings *s, struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	s64 fd = (s64)(int)SC_ARG0(regs);
	const void *buf = (const void *)SC_ARG1(regs);
	u32 size = SC_ARG2(regs);
	push_u64(&w, ret);
	if (ret > 0)
		push_user_buf(&w, buf, ret);
	else
		push_empty(&w);
	push_u64(&w, fd);
	push_u32(&w, size);
	writer_submit(&w);
}


/* Kernel CLONE_* flags as the schema's PPM_CL_* flags. */
static __always_inline u32 clone_flags_to_ppm(u64 f)
{
	u32 r = 0;
	if (f & 0x00000400) r |= PPM_CLONE_FLAGS_CLONE_FILES;
	if (f & 0x00000200) r |= PPM_CLONE_FLAGS_CLONE_FS;
	if (f & 0x80000000) r |= PPM_CLONE_FLAGS_CLONE_IO;
	if (f & 0x08000000) r |= PPM_CLONE_FLAGS_CLONE_NEWIPC;
	if (f & 0x40000000) r |= PPM_CLONE_FLAGS_CLONE_NEWNET;
	if (f & 0x00020000) r |= PPM_CLONE_FLAGS_CLONE_NEWNS;
	if (f & 0x20000000) r |= PPM_CLONE_FLAGS_CLONE_NEWPID;
	if (f & 0x04000000) r |= PPM_CLONE_FLAGS_CLONE_NEWUTS;
	if (f & 0x00008000) r |= PPM_CLONE_FLAGS_CLONE_PARENT;
	if (f & 0x00100000) r |= PPM_CLONE_FLAGS_CLONE_PARENT_SETTID;
	if (f & 0x00002000) r |= PPM_CLONE_FLAGS_CLONE_PTRACE;
	if (f & 0x00000800) r |= PPM_CLONE_FLAGS_CLONE_SIGHAND;
	if (f & 0x00040000) r |= PPM_CLONE_FLAGS_CLONE_SYSVSEM;
	if (f & 0x00010000) r |= PPM_CLONE_FLAGS_CLONE_THREAD;
	if (f & 0x00800000) r |= PPM_CLONE_FLAGS_CLONE_UNTRACED;
	if (f & 0x00000100) r |= PPM_CLONE_FLAGS_CLONE_VM;
	if (f & 0x10000000) r |= PPM_CLONE_FLAGS_CLONE_NEWUSER;
	if (f & 0x00200000) r |= PPM_CLONE_FLAGS_CLONE_CHILD_CLEARTID;
	if (f & 0x01000000) r |= PPM_CLONE_FLAGS_CLONE_CHILD_SETTID;
	if (f & 0x00080000) r |= PPM_CLONE_FLAGS_CLONE_SETTLS;
	if (f & 0x00004000) r |= PPM_CLONE_FLAGS_CLONE_VFORK;
	if (f & 0x02000000) r |= PPM_CLONE_FLAGS_CLONE_NEWCGROUP;
	return r;
}

#define MAX_ARGS 4096

/* exe (argv[0]) and the other arguments, from the current process's argument area. */
static __always_inline void push_exe_args(struct writer *w, struct task_struct *t)
{
	unsigned long start = BPF_CORE_READ(t, mm, arg_start);
	unsigned long end = BPF_CORE_READ(t, mm, arg_end);
	long n = 0;
	if (start && end > start)
		n = bpf_probe_read_user_str(&w->aux->data[SAFE(w->pos)], MAX_PATH, (void *)start);
	if (n < 0)
		n = 0;
	set_len(w, (u16)n);
	/* The arguments after argv[0], each with its NUL. */
	long rest = (long)(end - start) - n;
	u32 m = 0;
	if (n > 0 && rest > 0) {
		m = rest > MAX_ARGS ? MAX_ARGS : (u32)rest;
		m &= MAX_ARGS * 2 - 1;
		if (bpf_probe_read_user(&w->aux->data[SAFE(w->pos)], m, (void *)(start + n)) != 0)
			m = 0;
	}
	set_len(w, (u16)m);
}

/* The environment of the current process. */
static __always_inline void push_env(struct writer *w, struct task_struct *t)
{
	unsigned long start = BPF_CORE_READ(t, mm, env_start);
	unsigned long end = BPF_CORE_READ(t, mm, env_end);
	u32 m = 0;
	if (start && end > start) {
		m = end - start > MAX_ARGS ? MAX_ARGS : (u32)(end - start);
		m &= MAX_ARGS * 2 - 1;
		if (bpf_probe_read_user(&w->aux->data[SAFE(w->pos)], m, (void *)start) != 0)
			m = 0;
	}
	set_len(w, (u16)m);
}

static __always_inline void push_comm(struct writer *w)
{
	char *dst = (char *)&w->aux->data[SAFE(w->pos)];
	bpf_get_current_comm(dst, 16);
	u16 n = 0;
	for (int i = 0; i < 16; i++) {
		if (dst[i] == 0)
			break;
		n++;
	}
	/* The string and its NUL. */
	if (n == 16) {
		dst[15] = 0;
		n = 15;
	}
	set_len(w, n + 1);
}

/* Cgroups. Each subsystem's path is rebuilt from the kernfs nodes of its cgroup, walked up
 * to the hierarchy's root (at most CGROUP_DEPTH levels: a deeper path keeps its lowest
 * levels), and written "subsystem=/a/b" with its NUL; the node pointers wait in the upper
 * half of the scratch buffer, which events never reach. */
#define CGROUP_DEPTH 16
#define CGROUP_NAME_MAX 256
#define CGROUPS_MAX 8192
#define CGROUP_SCRATCH (HALF + 4096)

static __always_inline struct kernfs_node *kernfs_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->parent))
		return BPF_CORE_READ(kn, parent);
	struct kernfs_node___v6_15 *k = (void *)kn;
	return BPF_CORE_READ(k, __parent);
}

/* Keeps an offset's range the same on every path, which lets the verifier prune them;
 * offsets stay below CGROUPS_MAX + a name by the checks, so the mask changes nothing. */
#define CG_OFF(off) ((off) & (2 * CGROUPS_MAX - 1))

/* The offset, passed through the scratch buffer so that the verifier forgets what it knew
 * of it but its bounds: the paths through the loops below then meet in one state. */
static __always_inline u32 cg_widen(u8 *d, u32 off)
{
	u32 *slot = (u32 *)&d[CGROUP_SCRATCH + 8 * CGROUP_DEPTH];
	*slot = off;
	return CG_OFF(*slot);
}

/* Appends one subsystem's entry at `pos + off` of the scratch buffer; returns the new
 * offset. */
static __always_inline u32 cgroup_subsys_into(struct aux *a, u32 pos, u32 off,
					      struct task_struct *t, u32 id)
{
	struct cgroup_subsys_state *css = BPF_CORE_READ(t, cgroups, subsys[id & 15]);
	if (!css || off > CGROUPS_MAX)
		return off;
	u8 *d = a->data;
	long n = bpf_probe_read_kernel_str(&d[SAFE(pos + off)], 32, BPF_CORE_READ(css, ss, name));
	if (n <= 1)
		return off;
	off = CG_OFF(off + n);
	d[SAFE(pos + off - 1)] = '=';
	/* The names of the nodes, lowest first, 0 past the top and for the root itself (whose
	 * name is empty and which the path does not show). */
	u64 *names = (u64 *)&d[CGROUP_SCRATCH];
	struct kernfs_node *kn = BPF_CORE_READ(css, cgroup, kn);
	for (int i = 0; i < CGROUP_DEPTH; i++)
		names[i] = 0;
	for (int i = 0; i < CGROUP_DEPTH; i++) {
		if (!kn)
			break;
		struct kernfs_node *parent = kernfs_parent(kn);
		if (parent)
			names[i] = (u64)BPF_CORE_READ(kn, name);
		kn = parent;
	}
	if (!names[0]) {
		/* The hierarchy's root. */
		d[SAFE(pos + off)] = '/';
		off = CG_OFF(off + 1);
	}
	for (int i = CGROUP_DEPTH - 1; i >= 0; i--) {
		off = cg_widen(d, off);
		u64 name = names[i];
		if (!name || off > CGROUPS_MAX)
			continue;
		d[SAFE(pos + off)] = '/';
		off = CG_OFF(off + 1);
		n = bpf_probe_read_kernel_str(&d[SAFE(pos + off)], CGROUP_NAME_MAX, (const char *)name);
		if (n > 1)
			off = CG_OFF(off + n - 1);
	}
	d[SAFE(pos + off)] = 0;
	return cg_widen(d, off + 1);
}

/* The cgroups of the subsystems Falco's probes report, those this kernel has, written at
 * `pos` of the scratch buffer; returns their length. A global function: the verifier checks
 * it once, not at each of the clone and execve fillers that call it. */
__noinline int cgroups_into(struct aux *a, u32 pos, u64 task)
{
	if (!a)
		return 0;
	struct task_struct *t = (struct task_struct *)task;
	u32 off = 0;
#define CGROUP_SUBSYS(id)                                                              \
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, id))                     \
		off = cgroup_subsys_into(a, pos, off, t,                               \
					 bpf_core_enum_value(enum cgroup_subsys_id, id))
	CGROUP_SUBSYS(cpuset_cgrp_id);
	CGROUP_SUBSYS(cpu_cgrp_id);
	CGROUP_SUBSYS(cpuacct_cgrp_id);
	CGROUP_SUBSYS(io_cgrp_id);
	CGROUP_SUBSYS(memory_cgrp_id);
#undef CGROUP_SUBSYS
	return off;
}

static __always_inline void push_cgroups(struct writer *w, struct task_struct *t)
{
	set_len(w, (u16)cgroups_into(w->aux, w->pos, (u64)t));
}

#define MM_FILEPAGES 0
#define MM_ANONPAGES 1
#define MM_SWAPENTS 2
#define MM_SHMEMPAGES 3

/* The memory of the current process after the call, in KiB: its virtual size, what is
 * resident (file, anonymous and shared pages), what is swapped. */
static __always_inline void push_vm_sizes(struct writer *w)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	s64 c[4] = {};
	if (mm) {
		if (bpf_core_type_exists(struct mm_rss_stat)) {
			c[0] = BPF_CORE_READ(mm, rss_stat.count[MM_FILEPAGES].counter);
			c[1] = BPF_CORE_READ(mm, rss_stat.count[MM_ANONPAGES].counter);
			c[2] = BPF_CORE_READ(mm, rss_stat.count[MM_SWAPENTS].counter);
			c[3] = BPF_CORE_READ(mm, rss_stat.count[MM_SHMEMPAGES].counter);
		} else {
			struct mm_struct___v6_2 *m = (void *)mm;
			c[0] = BPF_CORE_READ(m, rss_stat[MM_FILEPAGES].count);
			c[1] = BPF_CORE_READ(m, rss_stat[MM_ANONPAGES].count);
			c[2] = BPF_CORE_READ(m, rss_stat[MM_SWAPENTS].count);
			c[3] = BPF_CORE_READ(m, rss_stat[MM_SHMEMPAGES].count);
		}
	}
	/* The per-CPU counters' global values lag and can be briefly negative. */
	for (int i = 0; i < 4; i++)
		if (c[i] < 0)
			c[i] = 0;
	u32 kb = w->settings->page_kb;
	push_u32(w, (u32)(BPF_CORE_READ(mm, total_vm) * kb));
	push_u32(w, (u32)((c[MM_FILEPAGES] + c[MM_ANONPAGES] + c[MM_SHMEMPAGES]) * kb));
	push_u32(w, (u32)(c[MM_SWAPENTS] * kb));
}

/* The fields shared by clone and execve: tid, pid, ptid, cwd, fdlimit, page faults,
 * memory, comm, cgroups. */
static __always_inline void push_proc_common(struct writer *w, struct task_struct *t)
{
	push_u64(w, BPF_CORE_READ(t, pid));
	push_u64(w, BPF_CORE_READ(t, tgid));
	push_u64(w, BPF_CORE_READ(t, real_parent, pid));
	/* cwd: libsinsp keeps the one it knows (from /proc or the parent). */
	push_empty(w);
	push_u64(w, BPF_CORE_READ(t, signal, rlim[7].rlim_cur));
	push_u64(w, BPF_CORE_READ(t, maj_flt));
	push_u64(w, BPF_CORE_READ(t, min_flt));
	push_vm_sizes(w);
	push_comm(w);
	push_cgroups(w, t);
}

#define PIDTYPE_TGID 1
#define PIDTYPE_PGID 2

/* The number of pid `pid` seen from the pid namespace at `level` (0 outside containers), or
 * 0 if it is not in that namespace, as the kernel's pid_nr_ns() gives it. A global function
 * (checked once): inlined, its branch doubled the paths the verifier walks through each
 * clone and execve filler after it. */
__noinline s64 pid_nr_at(u64 pid, u32 level)
{
	struct pid *p = (struct pid *)pid;
	if (!p || BPF_CORE_READ(p, level) < level)
		return 0;
	int nr = 0;
	u64 at = bpf_core_field_offset(struct pid, numbers) +
		 (u64)(level & 31) * bpf_core_type_size(struct upid) +
		 bpf_core_field_offset(struct upid, nr);
	bpf_probe_read_kernel(&nr, sizeof(nr), (void *)p + at);
	return nr;
}

/* The pid namespace level of `t` (0 outside containers). */
static __always_inline u32 ns_level(struct task_struct *t)
{
	return BPF_CORE_READ(t, thread_pid, level);
}

/* The process group of `t`: as the host sees it, or (`in_ns`) in t's own pid namespace. */
static __always_inline s64 process_group(struct task_struct *t, bool in_ns)
{
	return pid_nr_at((u64)BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]), in_ns ? ns_level(t) : 0);
}

/* The pid namespace `p` belongs to (the innermost of those it is seen in). */
static __always_inline struct pid_namespace *pid_ns(struct pid *p)
{
	u32 level = BPF_CORE_READ(p, level);
	struct pid_namespace *ns = NULL;
	u64 at = bpf_core_field_offset(struct pid, numbers) +
		 (u64)(level & 31) * bpf_core_type_size(struct upid) +
		 bpf_core_field_offset(struct upid, ns);
	bpf_probe_read_kernel(&ns, sizeof(ns), (void *)p + at);
	return ns;
}

/* The start time (monotonic ns) of the init process of pid `pid`'s namespace, for the child
 * (clone's `ret` 0), else 0. A global function, checked once. */
__noinline u64 pidns_init_start(u64 pid, s64 ret)
{
	struct pid *p = (struct pid *)pid;
	if (!p || ret != 0)
		return 0;
	return BPF_CORE_READ(pid_ns(p), child_reaper, start_time);
}

static __always_inline void fill_clone(struct settings *s, struct pt_regs *regs, long ret,
				       u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	u64 flags = 0;
	if (type == PPME_SYSCALL_CLONE_20_X) {
		flags = SC_ARG0(regs);
	} else if (type == PPME_SYSCALL_VFORK_20_X) {
		flags = 0x00000100 | 0x00004000;
	} else if (type == PPME_SYSCALL_CLONE3_X) {
		/* struct clone_args starts with the flags. */
		bpf_probe_read_user(&flags, sizeof(flags), (void *)SC_ARG0(regs));
	}
	push_u64(&w, ret);
	push_exe_args(&w, t);
	push_proc_common(&w, t);
	push_u32(&w, clone_flags_to_ppm(flags));
	push_u32(&w, BPF_CORE_READ(t, cred, euid.val));
	push_u32(&w, BPF_CORE_READ(t, cred, egid.val));
	/* Ids in the task's own pid namespace (the host's outside containers). */
	u32 level = ns_level(t);
	push_u64(&w, pid_nr_at((u64)BPF_CORE_READ(t, thread_pid), level));
	push_u64(&w, pid_nr_at((u64)BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]), level));
	/* When its pid namespace's init started (monotonic ns), told to the new task only. */
	push_u64(&w, pidns_init_start((u64)BPF_CORE_READ(t, thread_pid), ret));
	writer_submit(&w);
}

#define SB_RDONLY 1
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define S_IMMUTABLE 8
#define CAP_DAC_OVERRIDE 1
#define CAP_FOWNER 3

/* execve's flags: whether the new executable is writable by the process's file-system user
 * (EXE_WRITABLE), as the kernel's permission check would answer for a write: not on a
 * read-only file system nor when immutable; for its owner; else by its mode bits for the
 * owner, the group or others; else with CAP_DAC_OVERRIDE or CAP_FOWNER. Supplementary
 * groups and user-namespace id mappings are not looked at. Whether it was created by
 * memfd_create (EXE_FROM_MEMFD). And, on an overlay file system, whether it comes from the
 * upper layer (EXE_UPPER_LAYER: written or copied up there) or from a lower one only
 * (EXE_LOWER_LAYER). A global function: the verifier checks it once, apart from the execve fillers,
 * whose paths its branches would otherwise multiply. */
__noinline int exe_flags(u64 task)
{
	struct task_struct *t = (struct task_struct *)task;
	struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);
	if (!ino)
		return 0;
	u32 mode = BPF_CORE_READ(ino, i_mode);
	u32 uid = BPF_CORE_READ(ino, i_uid.val), gid = BPF_CORE_READ(ino, i_gid.val);
	u32 fsuid = BPF_CORE_READ(t, cred, fsuid.val), fsgid = BPF_CORE_READ(t, cred, fsgid.val);
	u64 caps = BPF_CORE_READ(t, cred, cap_effective.val);
	bool writable;
	if (fsuid == uid)
		writable = true;
	else if (fsgid == gid)
		writable = mode & 0020;
	else
		writable = mode & 0002;
	if (caps & ((1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_FOWNER)))
		writable = true;
	if ((BPF_CORE_READ(ino, i_sb, s_flags) & SB_RDONLY) ||
	    (BPF_CORE_READ(ino, i_flags) & S_IMMUTABLE))
		writable = false;
	u32 flags = writable ? PPM_EXECVE_FLAGS_EXE_WRITABLE : 0;
	/* On an overlay file system: from the upper (written) layer, or a lower one only. */
	if (bpf_core_type_exists(struct ovl_inode) &&
	    BPF_CORE_READ(ino, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
		struct ovl_inode *ovl =
			(void *)((u64)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode));
		struct dentry *upper = BPF_CORE_READ(ovl, __upperdentry);
		if (upper && BPF_CORE_READ(upper, d_inode, i_ino) != 0)
			flags |= PPM_EXECVE_FLAGS_EXE_UPPER_LAYER;
		else
			flags |= PPM_EXECVE_FLAGS_EXE_LOWER_LAYER;
	}
	/* A file of memfd_create() is named "memfd:NAME": an executable run from memory. */
	char name[7] = {};
	const unsigned char *dname = BPF_CORE_READ(t, mm, exe_file, f_path.dentry, d_name.name);
	if (dname && bpf_probe_read_kernel(name, 6, dname) == 0 && name[0] == 'm' &&
	    name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
		flags |= PPM_EXECVE_FLAGS_EXE_FROM_MEMFD;
	return flags;
}

/* The controlling terminal as the kernel's new_encode_dev(tty_devnum()), 0 without one
 * (every read through a NULL tty gives 0). */
static __always_inline u32 task_tty(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	u32 major = BPF_CORE_READ(tty, driver, major);
	u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return encode_dev(major, minor);
}

/* An inode's last status change (inode_ctime) and last modification (inode_mtime), in ns
 * since the epoch, from whichever of the three layouts the running kernel has. Since 6.13
 * the top bit of the ctime nanoseconds says the time was queried (multigrain timestamps);
 * the kernel masks it off, and so does this (nanoseconds never reach it otherwise). */
#define INODE_TIME(name, x)                                                                  \
	static __always_inline u64 name(struct inode *ino)                                   \
	{                                                                                    \
		struct inode___v6_6 *i66 = (void *)ino;                                      \
		struct inode___v6_11 *i611 = (void *)ino;                                    \
		if (bpf_core_field_exists(ino->i_##x##time))                                 \
			return BPF_CORE_READ(ino, i_##x##time.tv_sec) * 1000000000ULL +      \
			       BPF_CORE_READ(ino, i_##x##time.tv_nsec);                      \
		if (bpf_core_field_exists(i66->__i_##x##time))                               \
			return BPF_CORE_READ(i66, __i_##x##time.tv_sec) * 1000000000ULL +    \
			       BPF_CORE_READ(i66, __i_##x##time.tv_nsec);                    \
		return BPF_CORE_READ(i611, i_##x##time_sec) * 1000000000ULL +                \
		       (BPF_CORE_READ(i611, i_##x##time_nsec) & ~(1u << 31));                \
	}
INODE_TIME(inode_ctime, c)
INODE_TIME(inode_mtime, m)
#undef INODE_TIME

#define EXEPATH_DEPTH 32	/* components */
#define EXEPATH_STEPS 48	/* components and mount crossings */
#define EXEPATH_NAME_MAX 256
#define EXEPATH_SCRATCH (HALF + 1024)	/* the components' names, lowest first */

/* This CPU's scratch buffer. */
static __always_inline struct aux *this_aux(void)
{
	u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&aux_map, &cpu);
}

/* The walk up from the executable's dentry (bpf_loop steps: the verifier checks one). */
struct exe_walk {
	u64 dentry;
	u64 mount;
	u64 mount_root;
	u32 n;		/* names kept at EXEPATH_SCRATCH */
	u32 whole;	/* reached the root of the mount tree */
};

static long exe_walk_step(u32 i, void *ctx)
{
	struct exe_walk *w = ctx;
	if (w->dentry == w->mount_root) {
		struct mount *m = (struct mount *)w->mount;
		u64 up = (u64)BPF_CORE_READ(m, mnt_parent);
		if (up == w->mount) {
			w->whole = 1;
			return 1;
		}
		w->dentry = (u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->mount = up;
		w->mount_root = (u64)BPF_CORE_READ((struct mount *)up, mnt.mnt_root);
		return 0;
	}
	struct dentry *d = (struct dentry *)w->dentry;
	u64 parent = (u64)BPF_CORE_READ(d, d_parent);
	struct aux *a = this_aux();
	/* Outside the tree (a root that is no mount's), or too deep. */
	if (!a || parent == w->dentry || w->n >= EXEPATH_DEPTH)
		return 1;
	*(u64 *)&a->data[EXEPATH_SCRATCH + 8 * (w->n & (EXEPATH_DEPTH - 1))] =
		(u64)BPF_CORE_READ(d, d_name.name);
	w->n++;
	w->dentry = parent;
	return 0;
}

/* Writing the names kept, top first, as "/name" each. */
struct exe_write {
	u32 pos;
	u32 off;
	u32 n;
	u32 too_long;
};

static long exe_write_step(u32 i, void *ctx)
{
	struct exe_write *w = ctx;
	struct aux *a = this_aux();
	if (!a || i >= w->n || i >= EXEPATH_DEPTH)
		return 1;
	u32 off = w->off;
	if (off > MAX_PATH - EXEPATH_NAME_MAX - 1) {
		w->too_long = 1;
		return 1;
	}
	u64 name = *(u64 *)&a->data[EXEPATH_SCRATCH + 8 * ((w->n - 1 - i) & (EXEPATH_DEPTH - 1))];
	a->data[SAFE(w->pos + off)] = '/';
	long k = bpf_probe_read_kernel_str(&a->data[SAFE(w->pos + off + 1)], EXEPATH_NAME_MAX,
					   (const char *)name);
	w->off = off + 1 + (k > 1 ? k - 1 : 0);
	return 0;
}

/* After a successful execve (`ret` 0), the path of the new executable from the root of
 * the mount tree, as d_path() would give it outside any chroot, written with its NUL at
 * `pos` of the scratch buffer; returns its length. The dentries are walked up, crossing
 * mount points, without the locks d_path() takes, so a rename during the walk can give a
 * path that never existed. An executable outside the tree (memfd_create) gives its name
 * alone; a path deeper than EXEPATH_DEPTH or longer than MAX_PATH, nothing. A global
 * function, checked once. */
__noinline int exe_path_into(struct aux *a, u32 pos, u64 task, s64 ret)
{
	if (!a || ret != 0)
		return 0;
	struct task_struct *t = (struct task_struct *)task;
	struct file *f = BPF_CORE_READ(t, mm, exe_file);
	if (!f)
		return 0;
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	struct exe_walk walk = {
		.dentry = (u64)BPF_CORE_READ(f, f_path.dentry),
		.mount = (u64)vm - bpf_core_field_offset(struct mount, mnt),
		.mount_root = (u64)BPF_CORE_READ(vm, mnt_root),
	};
	bpf_loop(EXEPATH_STEPS, exe_walk_step, &walk, 0);
	if (walk.n == 0 && !walk.whole) {
		struct dentry *d = (struct dentry *)walk.dentry;
		long k = bpf_probe_read_kernel_str(&a->data[SAFE(pos)], EXEPATH_NAME_MAX,
						   BPF_CORE_READ(d, d_name.name));
		return k > 1 ? k : 0;
	}
	if (!walk.whole)
		return 0;
	struct exe_write out = { .pos = pos, .n = walk.n };
	bpf_loop(EXEPATH_DEPTH, exe_write_step, &out, 0);
	if (out.too_long || out.off > MAX_PATH)
		return 0;
	a->data[SAFE(pos + out.off)] = 0;
	return out.off + 1;
}

#define EXE_INO 0
#define EXE_CTIME 1
#define EXE_MTIME 2

/* After a successful execve (`ret` 0), the new executable's inode number (EXE_INO), last
 * status change (EXE_CTIME) or last modification (EXE_MTIME); else 0. A global function,
 * checked once. */
__noinline u64 exe_inode(u64 task, s64 ret, u32 which)
{
	struct task_struct *t = (struct task_struct *)task;
	struct inode *exe = BPF_CORE_READ(t, mm, exe_file, f_inode);
	if (ret != 0 || !exe)
		return 0;
	if (which == EXE_INO)
		return BPF_CORE_READ(exe, i_ino);
	if (which == EXE_CTIME)
		return inode_ctime(exe);
	return inode_mtime(exe);
}

static __always_inline void fill_execve(struct settings *s, struct pt_regs *regs, long ret,
					bool at)
{
	struct writer w;
	u16 type = at ? PPME_SYSCALL_EXECVEAT_X : PPME_SYSCALL_EXECVE_19_X;
	if (!writer_start(&w, s, type))
		return;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	push_u64(&w, ret);
	push_exe_args(&w, t);
	push_proc_common(&w, t);
	push_env(&w, t);
	push_u32(&w, task_tty(t));
	push_u64(&w, process_group(t, true));	/* vpgid */
	push_u32(&w, BPF_CORE_READ(t, loginuid.val));
	push_u32(&w, ret == 0 ? exe_flags((u64)t) : 0);	/* flags */
	push_u64(&w, BPF_CORE_READ(t, cred, cap_inheritable.val));
	push_u64(&w, BPF_CORE_READ(t, cred, cap_permitted.val));
	push_u64(&w, BPF_CORE_READ(t, cred, cap_effective.val));
	push_u64(&w, exe_inode((u64)t, ret, EXE_INO));
	push_u64(&w, exe_inode((u64)t, ret, EXE_CTIME));
	push_u64(&w, exe_inode((u64)t, ret, EXE_MTIME));
	push_u32(&w, BPF_CORE_READ(t, cred, euid.val));
	set_len(&w, (u16)exe_path_into(w.aux, w.pos, (u64)t, ret));	/* trusted_exepath */
	push_u64(&w, process_group(t, false));	/* pgid */
	push_u32(&w, BPF_CORE_READ(t, cred, egid.val));
	if (!at) {
		/* The path asked for; after a successful exec the old memory is gone. */
		if (ret < 0)
			push_user_str(&w, (const char *)SC_ARG0(regs));
		else
			push_empty(&w);
	}
	writer_submit(&w);
}

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

static __always_inline void push_u8(struct writer *w, u8 v)
{
	w->aux->data[SAFE(w->pos)] = v;
	set_len(w, 1);
}

/* A socket address from user memory, in the schema's encoding: the family, then for IPv4
 * and IPv6 the address and the port (host order), for unix sockets the path. */
static __always_inline void push_sockaddr_user(struct writer *w, const void *addr, u32 len)
{
	u8 *d = &w->aux->data[SAFE(w->pos)];
	u16 family = 0;
	if (!addr || len < 2 || bpf_probe_read_user(&family, 2, addr) != 0) {
		set_len(w, 0);
		return;
	}
	if (family == AF_INET && len >= 8) {
		u16 port = 0;
		bpf_probe_read_user(&port, 2, addr + 2);
		d[0] = AF_INET;
		bpf_probe_read_user(&d[1], 4, addr + 4);
		*(u16 *)&d[5] = __builtin_bswap16(port);
		set_len(w, 7);
	} else if (family == AF_INET6 && len >= 24) {
		u16 port = 0;
		bpf_probe_read_user(&port, 2, addr + 2);
		d[0] = AF_INET6;
		bpf_probe_read_user(&d[1], 16, addr + 8);
		*(u16 *)&d[17] = __builtin_bswap16(port);
		set_len(w, 19);
	} else if (family == AF_UNIX) {
		d[0] = AF_UNIX;
		long n = bpf_probe_read_user_str(&w->aux->data[SAFE(w->pos + 1)], 108, addr + 2);
		set_len(w, n > 0 ? 1 + n : 1);
	} else {
		d[0] = family;
		set_len(w, 1);
	}
}

/* The connection of socket `fd` as the schema's tuple: for connect and sends the local end
 * first, for accept and receives the peer first. A socket without a peer (unconnected UDP)
 * takes the peer from the user address `uaddr` (sendto's destination, recvfrom's source)
 * when there is one. Empty for sockets of other families. */
static __always_inline void push_socktuple_addr(struct writer *w, s64 fd, bool peer_first,
						const void *uaddr)
{
	struct file *f = fd_file(fd);
	struct socket *sock = f ? (struct socket *)BPF_CORE_READ(f, private_data) : NULL;
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (!sk) {
		set_len(w, 0);
		return;
	}
	u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	u8 *d = &w->aux->data[SAFE(w->pos)];
	u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	u16 rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		u32 raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (raddr == 0 && rport == 0 && uaddr) {
			u16 fam = 0, port = 0;
			bpf_probe_read_user(&fam, 2, uaddr);
			if (fam == AF_INET) {
				bpf_probe_read_user(&port, 2, uaddr + 2);
				bpf_probe_read_user(&raddr, 4, uaddr + 4);
				rport = __builtin_bswap16(port);
			}
		}
		d[0] = AF_INET;
		*(u32 *)&d[1] = peer_first ? raddr : laddr;
		*(u16 *)&d[5] = peer_first ? rport : lport;
		*(u32 *)&d[7] = peer_first ? laddr : raddr;
		*(u16 *)&d[11] = peer_first ? lport : rport;
		set_len(w, 13);
	} else if (family == AF_INET6) {
		d[0] = AF_INET6;
		struct in6_addr l = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr r = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		if (rport == 0 && uaddr) {
			u16 fam = 0, port = 0;
			bpf_probe_read_user(&fam, 2, uaddr);
			if (fam == AF_INET6) {
				bpf_probe_read_user(&port, 2, uaddr + 2);
				bpf_probe_read_user(&r, 16, uaddr + 8);
				rport = __builtin_bswap16(port);
			}
		}
		__builtin_memcpy(&d[1], peer_first ? &r : &l, 16);
		*(u16 *)&d[17] = peer_first ? rport : lport;
		__builtin_memcpy(&d[19], peer_first ? &l : &r, 16);
		*(u16 *)&d[35] = peer_first ? lport : rport;
		set_len(w, 37);
	} else if (family == AF_UNIX) {
		/* The two ends' kernel addresses, the peer's first for the local end's calls
		 * (connect, sends), then the path: the peer's (or the address given, without a
		 * peer) for those, the local end's for the others. An abstract name loses its
		 * leading NUL. */
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		d[0] = AF_UNIX;
		*(u64 *)&d[1] = peer_first ? (u64)sk : (u64)peer;
		*(u64 *)&d[9] = peer_first ? (u64)peer : (u64)sk;
		char *dst = (char *)&w->aux->data[SAFE(w->pos + 17)];
		long n = 0;
		if (!peer_first && !peer && uaddr) {
			char c = 0;
			bpf_probe_read_user(&c, 1, uaddr + 2);
			n = bpf_probe_read_user_str(dst, 108, uaddr + 2 + (c == 0));
		} else {
			struct unix_sock *us = (struct unix_sock *)(peer_first ? sk : peer);
			struct unix_address *ua = us ? BPF_CORE_READ(us, addr) : NULL;
			if (ua) {
				const char *path = (const char *)ua +
						   bpf_core_field_offset(struct unix_address, name) + 2;
				char c = 0;
				bpf_probe_read_kernel(&c, 1, path);
				n = bpf_probe_read_kernel_str(dst, 108, path + (c == 0));
			}
		}
		if (n <= 0) {
			dst[0] = 0;
			n = 1;
		}
		set_len(w, 17 + n);
	} else {
		set_len(w, 0);
	}
}

static __always_inline void push_socktuple(struct writer *w, s64 fd, bool peer_first)
{
	push_socktuple_addr(w, fd, peer_first, NULL);
}

static __always_inline void fill_socket(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SOCKET_SOCKET_X))
		return;
	u32 type = SC_ARG1(regs);
	u32 flags = 0;
	if (type & 04000) flags |= PPM_FILE_FLAGS_O_NONBLOCK;
	if (type & 02000000) flags |= PPM_FILE_FLAGS_O_CLOEXEC;
	push_u64(&w, ret);
	push_u32(&w, (u32)SC_ARG0(regs));
	push_u32(&w, type);
	push_u32(&w, (u32)SC_ARG2(regs));
	push_u32(&w, flags);
	writer_submit(&w);
}

static __always_inline void fill_bind(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SOCKET_BIND_X))
		return;
	push_u64(&w, ret);
	push_sockaddr_user(&w, (void *)SC_ARG1(regs), SC_ARG2(regs));
	push_u64(&w, (s64)(int)SC_ARG0(regs));
	writer_submit(&w);
}

static __always_inline void fill_listen(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SOCKET_LISTEN_X))
		return;
	push_u64(&w, ret);
	push_u64(&w, (s64)(int)SC_ARG0(regs));
	push_u32(&w, (u32)SC_ARG1(regs));
	writer_submit(&w);
}

static __always_inline void fill_connect(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SOCKET_CONNECT_X))
		return;
	s64 fd = (s64)(int)SC_ARG0(regs);
	push_u64(&w, ret);
	/* The tuple once there is a connection (or one under way). */
	if (ret == 0 || ret == -115 /* EINPROGRESS */)
		push_socktuple(&w, fd, false);
	else
		set_len(&w, 0);
	push_u64(&w, fd);
	push_sockaddr_user(&w, (void *)SC_ARG1(regs), SC_ARG2(regs));
	writer_submit(&w);
}

#define QUEUE_PCT 0
#define QUEUE_LEN 1
#define QUEUE_MAX 2

/* The queue of listening socket `fd` after an accept: how full it is in percent
 * (QUEUE_PCT), the connections still waiting (QUEUE_LEN) or the backlog it was given
 * (QUEUE_MAX); 0 when fd is not a socket. A global function, checked once, so that its
 * branches do not multiply the accept fillers' paths. */
__noinline u32 listen_queue(s64 fd, u32 which)
{
	struct file *f = fd_file(fd);
	struct socket *sock = f ? (struct socket *)BPF_CORE_READ(f, private_data) : NULL;
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (!sk)
		return 0;
	u32 len = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_ack_backlog);
	u32 max = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_max_ack_backlog);
	if (which == QUEUE_LEN)
		return len;
	if (which == QUEUE_MAX)
		return max;
	return len && max ? (u32)((u64)len * 100 / max) : 0;
}

static __always_inline void fill_accept(struct settings *s, struct pt_regs *regs, long ret,
					bool four)
{
	struct writer w;
	u16 type = four ? PPME_SOCKET_ACCEPT4_6_X : PPME_SOCKET_ACCEPT_5_X;
	if (!writer_start(&w, s, type))
		return;
	push_u64(&w, ret);
	if (ret >= 0)
		push_socktuple(&w, ret, true);
	else
		set_len(&w, 0);
	s64 listener = ret >= 0 ? fd_arg(SC_ARG0(regs)) : -1;
	push_u8(&w, listen_queue(listener, QUEUE_PCT));
	push_u32(&w, listen_queue(listener, QUEUE_LEN));
	push_u32(&w, listen_queue(listener, QUEUE_MAX));
	if (four)
		push_u32(&w, (u32)SC_ARG3(regs));
	writer_submit(&w);
}

/* unlink, unlinkat, rename, renameat, renameat2: paths relative to directory fds. */
static __always_inline void fill_path_op(struct settings *s, struct pt_regs *regs, long ret,
					 u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs),
		      a2 = SC_ARG2(regs), a3 = SC_ARG3(regs),
		      a4 = SC_ARG4(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_UNLINK_2_X:
		push_user_str(&w, (const char *)a0);
		break;
	case PPME_SYSCALL_UNLINKAT_2_X:
		push_u64(&w, (s64)(int)a0);
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2 & 0x200);
		break;
	case PPME_SYSCALL_RENAME_X:
		push_user_str(&w, (const char *)a0);
		push_user_str(&w, (const char *)a1);
		break;
	default: /* renameat, renameat2 */
		push_u64(&w, (s64)(int)a0);
		push_user_str(&w, (const char *)a1);
		push_u64(&w, (s64)(int)a2);
		push_user_str(&w, (const char *)a3);
		if (type == PPME_SYSCALL_RENAMEAT2_X)
			push_u32(&w, (u32)a4 & 7);
		break;
	}
	writer_submit(&w);
}

static __always_inline void fill_setuid(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_SETUID_X))
		return;
	push_u64(&w, ret);
	push_u32(&w, (u32)SC_ARG0(regs));
	writer_submit(&w);
}

#define K_O_NONBLOCK 04000
#define K_O_CLOEXEC 02000000

/* The O_NONBLOCK and O_CLOEXEC bits the EFD_, SFD_, TFD_, IN_, SOCK_ and UFFD_ flags share
 * with open, as PPM_O_* flags. */
static __always_inline u32 nonblock_cloexec_to_ppm(s32 flags)
{
	u32 r = 0;
	if (flags < 0)
		return 0;
	if (flags & K_O_NONBLOCK) r |= PPM_FILE_FLAGS_O_NONBLOCK;
	if (flags & K_O_CLOEXEC) r |= PPM_FILE_FLAGS_O_CLOEXEC;
	return r;
}

/* dup, dup2, dup3: res, oldfd (newfd, flags). */
static __always_inline void fill_dup(struct settings *s, struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	push_u64(&w, ret);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	if (type != PPME_SYSCALL_DUP_1_X)
		push_u64(&w, fd_arg(SC_ARG1(regs)));
	if (type == PPME_SYSCALL_DUP3_X)
		push_u32(&w, (SC_ARG2(regs) & K_O_CLOEXEC) ? PPM_FILE_FLAGS_O_CLOEXEC : 0);
	writer_submit(&w);
}

/* Kernel F_* commands as the schema's PPM_FCNTL_* values. */
static __always_inline u8 fcntl_cmd_to_ppm(u32 cmd)
{
	switch (cmd) {
	case 0: return PPM_FCNTL_COMMANDS_F_DUPFD;
	case 1: return PPM_FCNTL_COMMANDS_F_GETFD;
	case 2: return PPM_FCNTL_COMMANDS_F_SETFD;
	case 3: return PPM_FCNTL_COMMANDS_F_GETFL;
	case 4: return PPM_FCNTL_COMMANDS_F_SETFL;
	case 5: return PPM_FCNTL_COMMANDS_F_GETLK;
	case 6: return PPM_FCNTL_COMMANDS_F_SETLK;
	case 7: return PPM_FCNTL_COMMANDS_F_SETLKW;
	case 8: return PPM_FCNTL_COMMANDS_F_SETOWN;
	case 9: return PPM_FCNTL_COMMANDS_F_GETOWN;
	case 10: return PPM_FCNTL_COMMANDS_F_SETSIG;
	case 11: return PPM_FCNTL_COMMANDS_F_GETSIG;
	case 15: return PPM_FCNTL_COMMANDS_F_SETOWN_EX;
	case 16: return PPM_FCNTL_COMMANDS_F_GETOWN_EX;
	case 36: return PPM_FCNTL_COMMANDS_F_OFD_GETLK;
	case 37: return PPM_FCNTL_COMMANDS_F_OFD_SETLK;
	case 38: return PPM_FCNTL_COMMANDS_F_OFD_SETLKW;
	case 1024: return PPM_FCNTL_COMMANDS_F_SETLEASE;
	case 1025: return PPM_FCNTL_COMMANDS_F_GETLEASE;
	case 1026: return PPM_FCNTL_COMMANDS_F_NOTIFY;
	case 1029: return PPM_FCNTL_COMMANDS_F_CANCELLK;
	case 1030: return PPM_FCNTL_COMMANDS_F_DUPFD_CLOEXEC;
	case 1031: return PPM_FCNTL_COMMANDS_F_SETPIPE_SZ;
	case 1032: return PPM_FCNTL_COMMANDS_F_GETPIPE_SZ;
	default: return PPM_FCNTL_COMMANDS_UNKNOWN;
	}
}

static __always_inline void fill_fcntl(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_FCNTL_X))
		return;
	push_u64(&w, ret);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_u8(&w, fcntl_cmd_to_ppm((u32)SC_ARG1(regs)));
	push_u64(&w, SC_ARG2(regs));
	writer_submit(&w);
}

/* The inode number of the file behind `fd`, 0 without one. */
static __always_inline u64 fd_ino(s64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return 0;
	return BPF_CORE_READ(f, f_inode, i_ino);
}

/* The two fds a pipe, pipe2 or socketpair stored at `p`, -1 each when unreadable. */
static __always_inline void read_fd_pair(unsigned long p, s32 fds[2])
{
	if (bpf_probe_read_user(fds, 2 * sizeof(s32), (void *)p) != 0) {
		fds[0] = -1;
		fds[1] = -1;
	}
}

/* pipe, pipe2: res, fd1, fd2, ino (flags). */
static __always_inline void fill_pipe(struct settings *s, struct pt_regs *regs, long ret, bool two)
{
	struct writer w;
	u16 type = two ? PPME_SYSCALL_PIPE2_X : PPME_SYSCALL_PIPE_X;
	if (!writer_start(&w, s, type))
		return;
	s32 fds[2] = {-1, -1};
	read_fd_pair(SC_ARG0(regs), fds);
	push_u64(&w, ret);
	push_u64(&w, fds[0]);
	push_u64(&w, fds[1]);
	push_u64(&w, ret == 0 ? fd_ino(fds[0]) : 0);
	if (two) {
		s32 f = (s32)SC_ARG1(regs);
		u32 flags = nonblock_cloexec_to_ppm(f);
		if (f > 0 && (f & K_O_DIRECT))
			flags |= PPM_FILE_FLAGS_O_DIRECT;
		push_u32(&w, flags);
	}
	writer_submit(&w);
}

/* socketpair: res, fd1, fd2, the kernel addresses of the first socket and of its peer (what
 * matches the two ends up), domain, type, proto. */
static __always_inline void fill_socketpair(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SOCKET_SOCKETPAIR_X))
		return;
	s32 fds[2] = {-1, -1};
	u64 source = 0, peer = 0;
	if (ret == 0) {
		read_fd_pair(SC_ARG3(regs), fds);
		struct file *f = fd_file(fds[0]);
		struct socket *sock = f ? (struct socket *)BPF_CORE_READ(f, private_data) : NULL;
		struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
		if (sk) {
			source = (u64)sk;
			peer = (u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
		}
	}
	push_u64(&w, ret);
	push_u64(&w, fds[0]);
	push_u64(&w, fds[1]);
	push_u64(&w, source);
	push_u64(&w, peer);
	push_u32(&w, (u8)SC_ARG0(regs));	/* the schema's AF_* values are the kernel's */
	push_u32(&w, (u32)SC_ARG1(regs));
	push_u32(&w, (u32)SC_ARG2(regs));
	writer_submit(&w);
}

/* The fd-creating calls with small arguments: eventfd, eventfd2, signalfd, signalfd4,
 * timerfd_create, inotify_init, inotify_init1, epoll_create, epoll_create1, userfaultfd. */
static __always_inline void fill_simple_fd(struct settings *s, struct pt_regs *regs, long ret,
					   u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a3 = SC_ARG3(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_EVENTFD_X:
		push_u64(&w, (u32)a0);
		push_u32(&w, 0);
		break;
	case PPME_SYSCALL_EVENTFD2_X:
		push_u16(&w, nonblock_cloexec_to_ppm((s32)a1));
		push_u64(&w, (u32)a0);
		break;
	case PPME_SYSCALL_SIGNALFD_X:
		push_u64(&w, fd_arg(a0));
		push_u32(&w, 0);	/* mask: not read, as Falco's probes */
		push_u8(&w, 0);
		break;
	case PPME_SYSCALL_SIGNALFD4_X:
		push_u16(&w, nonblock_cloexec_to_ppm((s32)a3));
		push_u64(&w, fd_arg(a0));
		push_u32(&w, 0);
		break;
	case PPME_SYSCALL_TIMERFD_CREATE_X:
		push_u8(&w, (u8)a0);
		push_u8(&w, nonblock_cloexec_to_ppm((s32)a1));
		break;
	case PPME_SYSCALL_INOTIFY_INIT_X:
		push_u8(&w, 0);
		break;
	case PPME_SYSCALL_INOTIFY_INIT1_X:
		push_u16(&w, nonblock_cloexec_to_ppm((s32)a0));
		break;
	case PPME_SYSCALL_EPOLL_CREATE_X:
		push_u32(&w, (u32)a0);
		break;
	case PPME_SYSCALL_EPOLL_CREATE1_X:
		push_u32(&w, (a0 & K_O_CLOEXEC) ? PPM_EPOLL_CREATE1_FLAGS_EPOLL_CLOEXEC : 0);
		break;
	default: /* userfaultfd */
		push_u32(&w, nonblock_cloexec_to_ppm((s32)a0));
		break;
	}
	writer_submit(&w);
}

static __always_inline void fill_memfd_create(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_MEMFD_CREATE_X))
		return;
	push_u64(&w, ret);
	push_user_str(&w, (const char *)SC_ARG0(regs));
	/* The schema's MFD_* values are the kernel's. */
	push_u32(&w, (u32)SC_ARG1(regs) & (PPM_MEMFD_CREATE_FLAGS_MFD_CLOEXEC |
				      PPM_MEMFD_CREATE_FLAGS_MFD_ALLOW_SEALING |
				      PPM_MEMFD_CREATE_FLAGS_MFD_HUGETLB));
	writer_submit(&w);
}

/* Kernel IORING_SETUP_* flags as the schema's (which has IORING_SQ_NEED_WAKEUP among them). */
static __always_inline u32 io_uring_setup_flags_to_ppm(u32 f)
{
	u32 r = 0;
	if (f & 1) r |= PPM_IO_URING_SETUP_FLAGS_IORING_SETUP_IOPOLL;
	if (f & 2) r |= PPM_IO_URING_SETUP_FLAGS_IORING_SETUP_SQPOLL;
	if (f & 4) r |= PPM_IO_URING_SETUP_FLAGS_IORING_SETUP_SQ_AFF;
	if (f & 8) r |= PPM_IO_URING_SETUP_FLAGS_IORING_SETUP_CQSIZE;
	if (f & 16) r |= PPM_IO_URING_SETUP_FLAGS_IORING_SETUP_CLAMP;
	if (f & 32) r |= PPM_IO_URING_SETUP_FLAGS_IORING_SETUP_ATTACH_RW;
	if (f & 64) r |= PPM_IO_URING_SETUP_FLAGS_IORING_SETUP_R_DISABLED;
	return r;
}

/* io_uring_setup: res, entries, then struct io_uring_params as the kernel left it (uapi:
 * sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features). */
static __always_inline void fill_io_uring_setup(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_IO_URING_SETUP_X))
		return;
	u32 p[6] = {};
	if (bpf_probe_read_user(p, sizeof(p), (void *)SC_ARG1(regs)) != 0)
		__builtin_memset(p, 0, sizeof(p));
	push_u64(&w, ret);
	push_u32(&w, (u32)SC_ARG0(regs));
	push_u32(&w, p[0]);
	push_u32(&w, p[1]);
	push_u32(&w, io_uring_setup_flags_to_ppm(p[2]));
	push_u32(&w, p[3]);
	push_u32(&w, p[4]);
	push_u32(&w, p[5]);	/* the schema's IORING_FEAT_* values are the kernel's */
	writer_submit(&w);
}

/* The calls that change the process's cwd, root, session, group, ids, capabilities,
 * namespaces or name: chdir, fchdir, chroot, setsid, setpgid, setgid, setresuid,
 * setresgid, setreuid, setregid, capset, setns, unshare. */
static __always_inline void fill_proc_op(struct settings *s, struct pt_regs *regs, long ret,
					 u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a2 = SC_ARG2(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_CHDIR_X:
	case PPME_SYSCALL_CHROOT_X:
		push_user_str(&w, (const char *)a0);
		break;
	case PPME_SYSCALL_FCHDIR_X:
		push_u64(&w, fd_arg(a0));
		break;
	case PPME_SYSCALL_SETSID_X:
		break;
	case PPME_SYSCALL_SETPGID_X:
		push_u64(&w, (s64)(int)a0);
		push_u64(&w, (s64)(int)a1);
		break;
	case PPME_SYSCALL_SETGID_X:
		push_u32(&w, (u32)a0);
		break;
	case PPME_SYSCALL_SETRESUID_X:
	case PPME_SYSCALL_SETRESGID_X:
		push_u32(&w, (u32)a0);
		push_u32(&w, (u32)a1);
		push_u32(&w, (u32)a2);
		break;
	case PPME_SYSCALL_SETREUID_X:
	case PPME_SYSCALL_SETREGID_X:
		push_u32(&w, (u32)a0);
		push_u32(&w, (u32)a1);
		break;
	case PPME_SYSCALL_CAPSET_X: {
		/* The sets as they are after the call (the schema's bits are the kernel's). */
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		push_u64(&w, BPF_CORE_READ(t, cred, cap_inheritable.val));
		push_u64(&w, BPF_CORE_READ(t, cred, cap_permitted.val));
		push_u64(&w, BPF_CORE_READ(t, cred, cap_effective.val));
		break;
	}
	case PPME_SYSCALL_SETNS_X:
		push_u64(&w, fd_arg(a0));
		push_u32(&w, clone_flags_to_ppm((u32)a1));
		break;
	default: /* unshare */
		push_u32(&w, clone_flags_to_ppm((u32)a0));
		break;
	}
	writer_submit(&w);
}

#define K_PR_SET_NAME 15
#define K_PR_GET_NAME 16
#define K_PR_GET_CHILD_SUBREAPER 37

/* prctl: res, option (the schema's PR_* values are the kernel's), the name for
 * PR_SET_NAME/PR_GET_NAME, else arg2 as a number (read through the pointer for
 * PR_GET_CHILD_SUBREAPER). */
static __always_inline void fill_prctl(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_PRCTL_X))
		return;
	u32 option = (u32)SC_ARG0(regs);
	unsigned long arg2 = SC_ARG1(regs);
	push_u64(&w, ret);
	push_u32(&w, option);
	if (option == K_PR_SET_NAME || option == K_PR_GET_NAME) {
		push_user_str(&w, (const char *)arg2);
		push_u64(&w, 0);
	} else if (option == K_PR_GET_CHILD_SUBREAPER) {
		s32 v = 0;
		bpf_probe_read_user(&v, sizeof(v), (void *)arg2);
		push_empty(&w);
		push_u64(&w, (s64)v);
	} else {
		push_empty(&w);
		push_u64(&w, arg2);
	}
	writer_submit(&w);
}

/* kill, tkill, tgkill: res, the target(s), the signal (the schema's numbers are the
 * kernel's). */
static __always_inline void fill_kill(struct settings *s, struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	push_u64(&w, ret);
	push_u64(&w, (s64)(int)SC_ARG0(regs));
	if (type == PPME_SYSCALL_TGKILL_X) {
		push_u64(&w, (s64)(int)SC_ARG1(regs));
		push_u8(&w, (u8)SC_ARG2(regs));
	} else {
		push_u8(&w, (u8)SC_ARG1(regs));
	}
	writer_submit(&w);
}

/* Kernel PTRACE_* requests as the schema's PPM_PTRACE_* values. */
static __always_inline u16 ptrace_request_to_ppm(u32 req)
{
	switch (req) {
	case 0: return PPM_PTRACE_REQUESTS_PTRACE_TRACEME;
	case 1: return PPM_PTRACE_REQUESTS_PTRACE_PEEKTEXT;
	case 2: return PPM_PTRACE_REQUESTS_PTRACE_PEEKDATA;
	case 3: return PPM_PTRACE_REQUESTS_PTRACE_PEEKUSR;
	case 4: return PPM_PTRACE_REQUESTS_PTRACE_POKETEXT;
	case 5: return PPM_PTRACE_REQUESTS_PTRACE_POKEDATA;
	case 6: return PPM_PTRACE_REQUESTS_PTRACE_POKEUSR;
	case 7: return PPM_PTRACE_REQUESTS_PTRACE_CONT;
	case 8: return PPM_PTRACE_REQUESTS_PTRACE_KILL;
	case 9: return PPM_PTRACE_REQUESTS_PTRACE_SINGLESTEP;
	case 12: return PPM_PTRACE_REQUESTS_PTRACE_GETREGS;
	case 13: return PPM_PTRACE_REQUESTS_PTRACE_SETREGS;
	case 14: return PPM_PTRACE_REQUESTS_PTRACE_GETFPREGS;
	case 15: return PPM_PTRACE_REQUESTS_PTRACE_SETFPREGS;
	case 16: return PPM_PTRACE_REQUESTS_PTRACE_ATTACH;
	case 17: return PPM_PTRACE_REQUESTS_PTRACE_DETACH;
	case 18: return PPM_PTRACE_REQUESTS_PTRACE_GETFPXREGS;
	case 19: return PPM_PTRACE_REQUESTS_PTRACE_SETFPXREGS;
	case 21: return PPM_PTRACE_REQUESTS_PTRACE_OLDSETOPTIONS;
	case 24: return PPM_PTRACE_REQUESTS_PTRACE_SYSCALL;
	case 25: return PPM_PTRACE_REQUESTS_PTRACE_GET_THREAD_AREA;
	case 26: return PPM_PTRACE_REQUESTS_PTRACE_SET_THREAD_AREA;
	case 30: return PPM_PTRACE_REQUESTS_PTRACE_ARCH_PRCTL;
	case 31: return PPM_PTRACE_REQUESTS_PTRACE_SYSEMU;
	case 32: return PPM_PTRACE_REQUESTS_PTRACE_SYSEMU_SINGLESTEP;
	case 33: return PPM_PTRACE_REQUESTS_PTRACE_SINGLEBLOCK;
	case 0x4200: return PPM_PTRACE_REQUESTS_PTRACE_SETOPTIONS;
	case 0x4201: return PPM_PTRACE_REQUESTS_PTRACE_GETEVENTMSG;
	case 0x4202: return PPM_PTRACE_REQUESTS_PTRACE_GETSIGINFO;
	case 0x4203: return PPM_PTRACE_REQUESTS_PTRACE_SETSIGINFO;
	case 0x4204: return PPM_PTRACE_REQUESTS_PTRACE_GETREGSET;
	case 0x4205: return PPM_PTRACE_REQUESTS_PTRACE_SETREGSET;
	case 0x4206: return PPM_PTRACE_REQUESTS_PTRACE_SEIZE;
	case 0x4207: return PPM_PTRACE_REQUESTS_PTRACE_INTERRUPT;
	case 0x4208: return PPM_PTRACE_REQUESTS_PTRACE_LISTEN;
	case 0x4209: return PPM_PTRACE_REQUESTS_PTRACE_PEEKSIGINFO;
	case 0x420a: return PPM_PTRACE_REQUESTS_PTRACE_GETSIGMASK;
	case 0x420b: return PPM_PTRACE_REQUESTS_PTRACE_SETSIGMASK;
	default: return PPM_PTRACE_REQUESTS_PTRACE_UNKNOWN;
	}
}

/* The schema's ptrace_dynamic_param: a one-byte index, then a u64 (index 0) or a signal
 * (index 1). */
#define PTRACE_IDX_UINT64 0
#define PTRACE_IDX_SIGTYPE 1

static __always_inline void push_ptrace_u64(struct writer *w, u64 v)
{
	u8 *d = &w->aux->data[SAFE(w->pos)];
	d[0] = PTRACE_IDX_UINT64;
	__builtin_memcpy(&d[1], &v, 8);
	set_len(w, 9);
}

/* ptrace: res, addr, data (what a PEEK read, the signal of CONT/SINGLESTEP/DETACH/SYSCALL,
 * else the argument; 0 on failure), request, pid. */
static __always_inline void fill_ptrace(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_PTRACE_X))
		return;
	u16 req = ptrace_request_to_ppm((u32)SC_ARG0(regs));
	unsigned long addr = SC_ARG2(regs), data = SC_ARG3(regs);
	push_u64(&w, ret);
	push_ptrace_u64(&w, ret < 0 ? 0 : addr);
	if (ret < 0) {
		push_ptrace_u64(&w, 0);
	} else if (req == PPM_PTRACE_REQUESTS_PTRACE_PEEKTEXT ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_PEEKDATA ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_PEEKUSR) {
		u64 v = 0;
		bpf_probe_read_user(&v, sizeof(v), (void *)data);
		push_ptrace_u64(&w, v);
	} else if (req == PPM_PTRACE_REQUESTS_PTRACE_CONT ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_SINGLESTEP ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_DETACH ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_SYSCALL) {
		u8 *d = &w.aux->data[SAFE(w.pos)];
		d[0] = PTRACE_IDX_SIGTYPE;
		d[1] = (u8)data;
		set_len(&w, 2);
	} else {
		push_ptrace_u64(&w, data);
	}
	push_u16(&w, req);
	push_u64(&w, (s64)(int)SC_ARG1(regs));
	writer_submit(&w);
}

#define K_AT_SYMLINK_NOFOLLOW 0x100
#define K_AT_EMPTY_PATH 0x1000
#define MS_MGC_MSK 0xffff0000u
#define MS_MGC_VAL 0xc0ed0000u

/* The filesystem calls that name paths: mount, umount2, mkdir, mkdirat, rmdir, link,
 * linkat, symlink, symlinkat, chmod, fchmod, fchmodat, chown, lchown, fchown, fchownat.
 * The schema's mount, umount, linkat and chmod flag values are the kernel's. */
static __always_inline void fill_fs_op(struct settings *s, struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a2 = SC_ARG2(regs), a3 = SC_ARG3(regs),
		      a4 = SC_ARG4(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_MOUNT_X: {
		push_user_str(&w, (const char *)a0);
		push_user_str(&w, (const char *)a1);
		push_user_str(&w, (const char *)a2);
		u32 flags = (u32)a3;
		/* The magic number old callers put in the top half is no flag. */
		if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
			flags &= ~MS_MGC_MSK;
		push_u32(&w, flags);
		break;
	}
	case PPME_SYSCALL_UMOUNT2_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1 & 0xf);
		break;
	case PPME_SYSCALL_MKDIR_2_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1);
		break;
	case PPME_SYSCALL_MKDIRAT_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2);
		break;
	case PPME_SYSCALL_RMDIR_2_X:
		push_user_str(&w, (const char *)a0);
		break;
	case PPME_SYSCALL_LINK_2_X:
	case PPME_SYSCALL_SYMLINK_X:
		push_user_str(&w, (const char *)a0);
		push_user_str(&w, (const char *)a1);
		break;
	case PPME_SYSCALL_LINKAT_2_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u64(&w, fd_arg(a2));
		push_user_str(&w, (const char *)a3);
		push_u32(&w, (u32)a4 & (PPM_LINKAT_FLAGS_AT_SYMLINK_FOLLOW |
					PPM_LINKAT_FLAGS_AT_EMPTY_PATH));
		break;
	case PPME_SYSCALL_SYMLINKAT_X:
		push_user_str(&w, (const char *)a0);
		push_u64(&w, fd_arg(a1));
		push_user_str(&w, (const char *)a2);
		break;
	case PPME_SYSCALL_CHMOD_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1 & 07777);
		break;
	case PPME_SYSCALL_FCHMOD_X:
		push_u64(&w, fd_arg(a0));
		push_u32(&w, (u32)a1 & 07777);
		break;
	case PPME_SYSCALL_FCHMODAT_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2 & 07777);
		break;
	case PPME_SYSCALL_CHOWN_X:
	case PPME_SYSCALL_LCHOWN_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1);
		push_u32(&w, (u32)a2);
		break;
	case PPME_SYSCALL_FCHOWN_X:
		push_u64(&w, fd_arg(a0));
		push_u32(&w, (u32)a1);
		push_u32(&w, (u32)a2);
		break;
	default: { /* fchownat */
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2);
		push_u32(&w, (u32)a3);
		u32 f = 0;
		if (a4 & K_AT_SYMLINK_NOFOLLOW) f |= PPM_FCHOWNAT_FLAGS_AT_SYMLINK_NOFOLLOW;
		if (a4 & K_AT_EMPTY_PATH) f |= PPM_FCHOWNAT_FLAGS_AT_EMPTY_PATH;
		push_u32(&w, f);
		break;
	}
	}
	writer_submit(&w);
}

/* creat: fd, name, mode, dev, ino, creat_flags (overlay layers: not known, 0). */
static __always_inline void fill_creat(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_CREAT_X))
		return;
	u32 dev;
	u64 ino;
	bool created;
	file_ids(ret, &dev, &ino, &created);
	push_u64(&w, ret);
	push_user_str(&w, (const char *)SC_ARG0(regs));
	push_u32(&w, (u32)SC_ARG1(regs) & 07777);
	push_u32(&w, dev);
	push_u64(&w, ino);
	push_u16(&w, 0);
	writer_submit(&w);
}

/* Kernel RESOLVE_* flags as the schema's. */
static __always_inline u32 resolve_to_ppm(u64 f)
{
	u32 r = 0;
	if (f & 0x01) r |= PPM_OPENAT2_FLAGS_RESOLVE_NO_XDEV;
	if (f & 0x02) r |= PPM_OPENAT2_FLAGS_RESOLVE_NO_MAGICLINKS;
	if (f & 0x04) r |= PPM_OPENAT2_FLAGS_RESOLVE_NO_SYMLINKS;
	if (f & 0x08) r |= PPM_OPENAT2_FLAGS_RESOLVE_BENEATH;
	if (f & 0x10) r |= PPM_OPENAT2_FLAGS_RESOLVE_IN_ROOT;
	if (f & 0x20) r |= PPM_OPENAT2_FLAGS_RESOLVE_CACHED;
	return r;
}

/* struct open_how (uapi): flags, mode, resolve, each a u64. */
struct open_how_k {
	u64 flags;
	u64 mode;
	u64 resolve;
};

/* openat2: fd, dirfd, name, flags, mode, resolve, dev, ino. */
static __always_inline void fill_openat2(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_OPENAT2_X))
		return;
	struct open_how_k how = {};
	if (bpf_probe_read_user(&how, sizeof(how), (void *)SC_ARG2(regs)) != 0)
		__builtin_memset(&how, 0, sizeof(how));
	u32 dev;
	u64 ino;
	bool created;
	file_ids(ret, &dev, &ino, &created);
	u32 flags = open_flags_to_ppm((u32)how.flags);
	if (created)
		flags |= PPM_FILE_FLAGS_O_F_CREATED;
	push_u64(&w, ret);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_user_str(&w, (const char *)SC_ARG1(regs));
	push_u32(&w, flags);
	push_u32(&w, open_mode((u32)how.flags, (u32)how.mode));
	push_u32(&w, resolve_to_ppm(how.resolve));
	push_u32(&w, dev);
	push_u64(&w, ino);
	writer_submit(&w);
}

#define MAX_IOVS 8

/* struct iovec and struct user_msghdr / mmsghdr as laid out on 64-bit architectures. */
struct iovec_k {
	u64 base;
	u64 len;
};

struct msghdr_k {
	u64 name;
	u32 namelen;
	u32 pad;
	u64 iov;
	u64 iovlen;
	u64 control;
	u64 controllen;
	u32 flags;
	u32 pad2;
};

/* Up to `len` bytes (cut at the snaplen) of the data of the first MAX_IOVS buffers of an
 * iovec array, one after the other. */
static __always_inline void push_iovec_data(struct writer *w, unsigned long iovp, u64 iovcnt,
					    long len)
{
	u32 total = 0;
	if (iovp && len > 0) {
		u32 want = w->settings->snaplen;
		if ((u64)len < want)
			want = len;
		want &= MAX_SNAPLEN;
		for (int i = 0; i < MAX_IOVS; i++) {
			if (i >= iovcnt || total >= want)
				break;
			struct iovec_k v = {};
			if (bpf_probe_read_user(&v, sizeof(v), (void *)(iovp + i * sizeof(v))) != 0)
				break;
			u32 n = want - total;
			if (v.len < n)
				n = v.len;
			n &= MAX_SNAPLEN;
			if (n == 0)
				continue;
			if (bpf_probe_read_user(&w->aux->data[SAFE(w->pos + total)], n,
						(void *)v.base) != 0)
				break;
			total += n;
		}
	}
	set_len(w, (u16)(total & MAX_SNAPLEN));
}

/* pread64, pwrite64: res, data, fd, size, pos. Not dispatched yet (see sys_exit). */
static __always_inline void fill_prw(struct settings *s, struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	push_u64(&w, ret);
	if (ret > 0)
		push_user_buf(&w, (const void *)SC_ARG1(regs), ret);
	else
		push_empty(&w);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_u32(&w, (u32)SC_ARG2(regs));
	push_u64(&w, SC_ARG3(regs));
	writer_submit(&w);
}

/* readv, writev, preadv, pwritev: the data the call moved, from the iovecs. */
static __always_inline void fill_rwv(struct settings *s, struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	unsigned long iov = SC_ARG1(regs), cnt = SC_ARG2(regs);
	bool reads = type == PPME_SYSCALL_READV_X || type == PPME_SYSCALL_PREADV_X;
	/* The size the caller offered: the sum of the iovec lengths. */
	u64 size = 0;
	for (int i = 0; i < MAX_IOVS; i++) {
		struct iovec_k v = {};
		if (i >= cnt || bpf_probe_read_user(&v, sizeof(v), (void *)(iov + i * sizeof(v))) != 0)
			break;
		size += v.len;
	}
	push_u64(&w, ret);
	if (reads)
		push_u32(&w, ret > 0 ? (u32)ret : 0);
	push_iovec_data(&w, iov, cnt, ret);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	if (!reads)
		push_u32(&w, (u32)size);
	if (type == PPME_SYSCALL_PREADV_X || type == PPME_SYSCALL_PWRITEV_X)
		push_u64(&w, SC_ARG3(regs));
	writer_submit(&w);
}

/* sendfile: res, the offset after the call (0 without one), out_fd, in_fd, size. */
static __always_inline void fill_sendfile(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SYSCALL_SENDFILE_X))
		return;
	u64 off = 0;
	if (SC_ARG2(regs))
		bpf_probe_read_user(&off, sizeof(off), (void *)SC_ARG2(regs));
	push_u64(&w, ret);
	push_u64(&w, off);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_u64(&w, fd_arg(SC_ARG1(regs)));
	push_u64(&w, SC_ARG3(regs));
	writer_submit(&w);
}

/* sendto, recvfrom: the data and the connection (with the address given, for
 * unconnected sockets). */
static __always_inline void fill_sendto_recvfrom(struct settings *s, struct pt_regs *regs,
						 long ret, bool send)
{
	struct writer w;
	u16 type = send ? PPME_SOCKET_SENDTO_X : PPME_SOCKET_RECVFROM_X;
	if (!writer_start(&w, s, type))
		return;
	s64 fd = fd_arg(SC_ARG0(regs));
	const void *addr = (const void *)SC_ARG4(regs);
	push_u64(&w, ret);
	if (ret > 0)
		push_user_buf(&w, (const void *)SC_ARG1(regs), ret);
	else
		push_empty(&w);
	if (send) {
		push_u64(&w, fd);
		push_u32(&w, (u32)SC_ARG2(regs));
		if (ret >= 0)
			push_socktuple_addr(&w, fd, false, addr);
		else
			push_empty(&w);
	} else {
		if (ret >= 0)
			push_socktuple_addr(&w, fd, true, addr);
		else
			push_empty(&w);
		push_u64(&w, fd);
		push_u32(&w, (u32)SC_ARG2(regs));
	}
	writer_submit(&w);
}

/* One event of sendmsg, recvmsg, sendmmsg or recvmmsg: for the message whose msghdr is at
 * `mh` in user memory (0: none, the parameters taken from it are empty), with `res` as its
 * result and `moved` bytes transferred. */
static __always_inline void fill_msg_one(struct settings *s, u16 type, s64 fd, u64 mh, long res,
					 long moved)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	bool send = type == PPME_SOCKET_SENDMSG_X || type == PPME_SOCKET_SENDMMSG_X;
	struct msghdr_k m = {};
	bool have = mh && res >= 0 && bpf_probe_read_user(&m, sizeof(m), (void *)mh) == 0;
	/* The size offered: the sum of the iovec lengths. */
	u64 size = 0;
	if (have) {
		for (int i = 0; i < MAX_IOVS; i++) {
			struct iovec_k v = {};
			if (i >= m.iovlen ||
			    bpf_probe_read_user(&v, sizeof(v), (void *)(m.iov + i * sizeof(v))) != 0)
				break;
			size += v.len;
		}
	}
	push_u64(&w, res);
	switch (type) {
	case PPME_SOCKET_SENDMSG_X:
		push_iovec_data(&w, have ? m.iov : 0, m.iovlen, moved);
		push_u64(&w, fd);
		push_u32(&w, (u32)size);
		break;
	case PPME_SOCKET_RECVMSG_X:
		push_u32(&w, moved > 0 ? (u32)moved : 0);
		push_iovec_data(&w, have ? m.iov : 0, m.iovlen, moved);
		break;
	default: /* sendmmsg, recvmmsg */
		push_u64(&w, fd);
		push_u32(&w, send ? (u32)size : (moved > 0 ? (u32)moved : 0));
		push_iovec_data(&w, have ? m.iov : 0, m.iovlen, moved);
		break;
	}
	if (have)
		push_socktuple_addr(&w, fd, !send, (const void *)m.name);
	else
		push_empty(&w);
	if (!send) {
		/* msgcontrol: the ancillary data received. */
		u32 n = 0;
		if (have && m.control && m.controllen > 0) {
			n = m.controllen > w.settings->snaplen ? w.settings->snaplen : (u32)m.controllen;
			n &= MAX_SNAPLEN;
			if (bpf_probe_read_user(&w.aux->data[SAFE(w.pos)], n, (void *)m.control) != 0)
				n = 0;
		}
		set_len(&w, (u16)n);
	}
	if (type == PPME_SOCKET_RECVMSG_X)
		push_u64(&w, fd);
	writer_submit(&w);
}

/* sendmmsg and recvmmsg send one event per message moved, as Falco's probes do: its result
 * and size are the message's msg_len. The kernel moves at most UIO_MAXIOV messages a call. */
#define MAX_MMSG 1024
#define MMSGHDR_SIZE 64 /* struct mmsghdr: a struct user_msghdr, then u32 msg_len, padded */

struct mmsg_loop {
	u64 mmh;
	s64 fd;
	u16 type;
};

static long mmsg_one(u32 index, void *ctx)
{
	struct mmsg_loop *l = ctx;
	u32 zero = 0;
	struct settings *s = bpf_map_lookup_elem(&settings_map, &zero);
	if (!s)
		return 1;
	u64 mh = l->mmh + (u64)index * MMSGHDR_SIZE;
	u32 len = 0;
	bpf_probe_read_user(&len, sizeof(len), (void *)(mh + sizeof(struct msghdr_k)));
	fill_msg_one(s, l->type, l->fd, mh, len, len);
	return 0;
}

/* sendmsg, recvmsg: one event; sendmmsg, recvmmsg: one per message, or one with the error. */
static __always_inline void fill_msg(struct settings *s, struct pt_regs *regs, long ret, u16 type)
{
	s64 fd = fd_arg(SC_ARG0(regs));
	if (type == PPME_SOCKET_SENDMSG_X || type == PPME_SOCKET_RECVMSG_X) {
		fill_msg_one(s, type, fd, SC_ARG1(regs), ret, ret);
		return;
	}
	if (ret <= 0) {
		fill_msg_one(s, type, fd, 0, ret, 0);
		return;
	}
	struct mmsg_loop l = {.mmh = SC_ARG1(regs), .fd = fd, .type = type};
	bpf_loop(ret < MAX_MMSG ? ret : MAX_MMSG, mmsg_one, &l, 0);
}

static __always_inline void fill_shutdown(struct settings *s, struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SOCKET_SHUTDOWN_X))
		return;
	u32 how = (u32)SC_ARG1(regs);
	push_u64(&w, ret);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	/* SHUT_RD, SHUT_WR, SHUT_RDWR are the kernel's values; anything else is unknown. */
	push_u8(&w, how <= 2 ? (u8)how : (u8)PPM_SHUTDOWN_HOW_SHUT_UNKNOWN);
	writer_submit(&w);
}

#define K_SOL_SOCKET 1
#define K_SOL_TCP 6

/* Kernel SO_* options (SOL_SOCKET) as the schema's: the same up to SO_ATTACH_BPF, others
 * renumbered. */
static __always_inline u8 sockopt_to_ppm(u32 level, u32 opt)
{
	if (level != K_SOL_SOCKET)
		return PPM_SOCKOPT_OPTIONS_UNKNOWN;
	if (opt >= 1 && opt <= 50)
		return opt;
	switch (opt) {
	case 55: return PPM_SOCKOPT_OPTIONS_SO_MEMINFO;
	case 57: return PPM_SOCKOPT_OPTIONS_SO_COOKIE;
	case 59: return PPM_SOCKOPT_OPTIONS_SO_PEERGROUPS;
	case 63: return PPM_SOCKOPT_OPTIONS_SO_TIMESTAMP;
	case 64: return PPM_SOCKOPT_OPTIONS_SO_TIMESTAMPNS;
	case 65: return PPM_SOCKOPT_OPTIONS_SO_TIMESTAMPING;
	case 66: return PPM_SOCKOPT_OPTIONS_SO_RCVTIMEO;
	case 67: return PPM_SOCKOPT_OPTIONS_SO_SNDTIMEO;
	default: return PPM_SOCKOPT_OPTIONS_UNKNOWN;
	}
}

/* The schema's sockopt_dynamic_param: a one-byte index, then the value. */
#define SOCKOPT_IDX_UNKNOWN 0
#define SOCKOPT_IDX_ERRNO 1
#define SOCKOPT_IDX_UINT32 2
#define SOCKOPT_IDX_UINT64 3
#define SOCKOPT_IDX_TIMEVAL 4

static __always_inline void push_sockopt_val(struct writer *w, u32 level, u8 ppm_opt,
					     const void *val, u32 len)
{
	u8 *d = &w->aux->data[SAFE(w->pos)];
	if (level == K_SOL_SOCKET && ppm_opt == PPM_SOCKOPT_OPTIONS_SO_ERROR) {
		s32 v = 0;
		bpf_probe_read_user(&v, sizeof(v), val);
		s64 e = -(s64)v;
		d[0] = SOCKOPT_IDX_ERRNO;
		__builtin_memcpy(&d[1], &e, 8);
		set_len(w, 9);
	} else if (level == K_SOL_SOCKET && (ppm_opt == PPM_SOCKOPT_OPTIONS_SO_RCVTIMEO ||
					     ppm_opt == PPM_SOCKOPT_OPTIONS_SO_SNDTIMEO)) {
		s64 tv[2] = {};
		bpf_probe_read_user(tv, sizeof(tv), val);
		u64 ns = tv[0] * 1000000000ull + tv[1] * 1000ull;
		d[0] = SOCKOPT_IDX_TIMEVAL;
		__builtin_memcpy(&d[1], &ns, 8);
		set_len(w, 9);
	} else if (level == K_SOL_SOCKET && ppm_opt == PPM_SOCKOPT_OPTIONS_SO_COOKIE) {
		u64 v = 0;
		bpf_probe_read_user(&v, sizeof(v), val);
		d[0] = SOCKOPT_IDX_UINT64;
		__builtin_memcpy(&d[1], &v, 8);
		set_len(w, 9);
	} else if (level == K_SOL_SOCKET && ppm_opt != PPM_SOCKOPT_OPTIONS_UNKNOWN &&
		   ppm_opt != PPM_SOCKOPT_OPTIONS_SO_LINGER &&
		   ppm_opt != PPM_SOCKOPT_OPTIONS_SO_PEERCRED &&
		   ppm_opt != PPM_SOCKOPT_OPTIONS_SO_PEERNAME &&
		   ppm_opt != PPM_SOCKOPT_OPTIONS_SO_ATTACH_FILTER &&
		   ppm_opt != PPM_SOCKOPT_OPTIONS_SO_ATTACH_BPF &&
		   ppm_opt != PPM_SOCKOPT_OPTIONS_SO_PEERGROUPS &&
		   ppm_opt != PPM_SOCKOPT_OPTIONS_SO_MEMINFO) {
		u32 v = 0;
		bpf_probe_read_user(&v, sizeof(v), val);
		d[0] = SOCKOPT_IDX_UINT32;
		__builtin_memcpy(&d[1], &v, 4);
		set_len(w, 5);
	} else {
		/* Raw bytes, cut at the snaplen. */
		d[0] = SOCKOPT_IDX_UNKNOWN;
		u32 n = len > w->settings->snaplen ? w->settings->snaplen : len;
		n &= MAX_SNAPLEN;
		if (!val || bpf_probe_read_user(&w->aux->data[SAFE(w->pos + 1)], n, val) != 0)
			n = 0;
		set_len(w, (u16)(1 + n));
	}
}

/* getsockopt, setsockopt: res, fd, level, optname, the value, optlen. */
static __always_inline void fill_sockopt(struct settings *s, struct pt_regs *regs, long ret,
					 bool get)
{
	struct writer w;
	u16 type = get ? PPME_SOCKET_GETSOCKOPT_X : PPME_SOCKET_SETSOCKOPT_X;
	if (!writer_start(&w, s, type))
		return;
	u32 level = (u32)SC_ARG1(regs), opt = (u32)SC_ARG2(regs);
	u32 len = 0;
	if (get)
		bpf_probe_read_user(&len, sizeof(len), (void *)SC_ARG4(regs));
	else
		len = (u32)SC_ARG4(regs);
	u8 ppm_opt = sockopt_to_ppm(level, opt);
	push_u64(&w, ret);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_u8(&w, level == K_SOL_SOCKET ? PPM_SOCKOPT_LEVELS_SOL_SOCKET
		    : level == K_SOL_TCP  ? PPM_SOCKOPT_LEVELS_SOL_TCP
					  : PPM_SOCKOPT_LEVELS_UNKNOWN);
	push_u8(&w, ppm_opt);
	push_sockopt_val(&w, level, ppm_opt, (const void *)SC_ARG3(regs), len);
	push_u32(&w, len);
	writer_submit(&w);
}

/* Kernel PROT_* and MAP_* (x86_64) as the schema's. */
static __always_inline u32 prot_to_ppm(u64 p)
{
	u32 r = p & 0xf; /* READ, WRITE, EXEC, SEM: the same bits */
	if (p & 0x01000000) r |= PPM_PROT_FLAGS_PROT_GROWSDOWN;
	if (p & 0x02000000) r |= PPM_PROT_FLAGS_PROT_GROWSUP;
	return r;
}

static __always_inline u32 mmap_flags_to_ppm(u64 f)
{
	u32 r = 0;
	if (f & 0x01) r |= PPM_MMAP_FLAGS_MAP_SHARED;
	if (f & 0x02) r |= PPM_MMAP_FLAGS_MAP_PRIVATE;
	if (f & 0x10) r |= PPM_MMAP_FLAGS_MAP_FIXED;
	if (f & 0x20) r |= PPM_MMAP_FLAGS_MAP_ANONYMOUS;
	if (f & 0x40) r |= PPM_MMAP_FLAGS_MAP_32BIT;
	if (f & 0x100) r |= PPM_MMAP_FLAGS_MAP_GROWSDOWN;
	if (f & 0x800) r |= PPM_MMAP_FLAGS_MAP_DENYWRITE;
	if (f & 0x1000) r |= PPM_MMAP_FLAGS_MAP_EXECUTABLE;
	if (f & 0x2000) r |= PPM_MMAP_FLAGS_MAP_LOCKED;
	if (f & 0x4000) r |= PPM_MMAP_FLAGS_MAP_NORESERVE;
	if (f & 0x8000) r |= PPM_MMAP_FLAGS_MAP_POPULATE;
	if (f & 0x10000) r |= PPM_MMAP_FLAGS_MAP_NONBLOCK;
	return r;
}

/* mmap: res, the memory sizes after the call (KiB), addr,
 * length, prot, flags, fd, offset. mprotect: res, addr, length, prot. */
static __always_inline void fill_mmap(struct settings *s, struct pt_regs *regs, long ret, bool map)
{
	struct writer w;
	u16 type = map ? PPME_SYSCALL_MMAP_X : PPME_SYSCALL_MPROTECT_X;
	if (!writer_start(&w, s, type))
		return;
	push_u64(&w, ret);
	if (map)
		push_vm_sizes(&w);
	push_u64(&w, SC_ARG0(regs));
	push_u64(&w, SC_ARG1(regs));
	push_u32(&w, prot_to_ppm(SC_ARG2(regs)));
	if (map) {
		push_u32(&w, mmap_flags_to_ppm(SC_ARG3(regs)));
		push_u64(&w, fd_arg(SC_ARG4(regs)));
		push_u64(&w, SC_ARG5(regs));
	}
	writer_submit(&w);
}

/* ioctl, bpf, init_module, finit_module, delete_module. */
static __always_inline void fill_misc(struct settings *s, struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, s, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a2 = SC_ARG2(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_IOCTL_3_X:
		push_u64(&w, fd_arg(a0));
		push_u64(&w, a1);
		push_u64(&w, a2);
		break;
	case PPME_SYSCALL_BPF_2_X:
		push_u32(&w, (u32)a0);	/* the schema's commands are the kernel's */
		break;
	case PPME_SYSCALL_INIT_MODULE_X:
		push_user_buf(&w, (const void *)a0, a1);
		push_u64(&w, a1);
		push_user_str(&w, (const char *)a2);
		break;
	case PPME_SYSCALL_FINIT_MODULE_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2 & 7);	/* MODULE_INIT_*: the kernel's values */
		break;
	default: { /* delete_module */
		push_user_str(&w, (const char *)a0);
		u32 f = 0;
		if (a1 & K_O_NONBLOCK) f |= PPM_DELETE_MODULE_FLAGS_O_NONBLOCK;
		if (a1 & 01000 /* O_TRUNC */) f |= PPM_DELETE_MODULE_FLAGS_O_TRUNC;
		push_u32(&w, f);
		break;
	}
	}
	writer_submit(&w);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	/* Syscalls not enabled (by the filter) leave first, at the cost of one array lookup. */
	u32 nr = (u32)SC_NR(regs);
	if (nr >= SYSCALL_TABLE_SIZE)
		return 0;
	struct syscall_entry *e = bpf_map_lookup_elem(&syscall_table, &nr);
	if (!e || !e->enabled)
		return 0;
	u32 zero = 0;
	struct settings *s = bpf_map_lookup_elem(&settings_map, &zero);
	if (!s || !wanted(s))
		return 0;

	switch (e->exit_event) {
	case PPME_SYSCALL_OPEN_X:
		fill_open(s, regs, ret, false);
		break;
	case PPME_SYSCALL_OPENAT_2_X:
		fill_open(s, regs, ret, true);
		break;
	case PPME_SYSCALL_CLOSE_X:
		fill_close(s, regs, ret);
		break;
	case PPME_SYSCALL_READ_X:
		fill_rw(s, regs, ret, PPME_SYSCALL_READ_X);
		break;
	case PPME_SYSCALL_WRITE_X:
		fill_rw(s, regs, ret, PPME_SYSCALL_WRITE_X);
		break;
	case PPME_SYSCALL_CLONE_20_X:
		fill_clone(s, regs, ret, PPME_SYSCALL_CLONE_20_X);
		break;
	case PPME_SYSCALL_FORK_20_X:
		fill_clone(s, regs, ret, PPME_SYSCALL_FORK_20_X);
		break;
	case PPME_SYSCALL_VFORK_20_X:
		fill_clone(s, regs, ret, PPME_SYSCALL_VFORK_20_X);
		break;
	case PPME_SYSCALL_CLONE3_X:
		fill_clone(s, regs, ret, PPME_SYSCALL_CLONE3_X);
		break;
	case PPME_SYSCALL_EXECVE_19_X:
		fill_execve(s, regs, ret, false);
		break;
	case PPME_SYSCALL_EXECVEAT_X:
		fill_execve(s, regs, ret, true);
		break;
	case PPME_SOCKET_SOCKET_X:
		fill_socket(s, regs, ret);
		break;
	case PPME_SOCKET_BIND_X:
		fill_bind(s, regs, ret);
		break;
	case PPME_SOCKET_LISTEN_X:
		fill_listen(s, regs, ret);
		break;
	case PPME_SOCKET_CONNECT_X:
		fill_connect(s, regs, ret);
		break;
	case PPME_SOCKET_ACCEPT_5_X:
		fill_accept(s, regs, ret, false);
		break;
	case PPME_SOCKET_ACCEPT4_6_X:
		fill_accept(s, regs, ret, true);
		break;
	case PPME_SYSCALL_UNLINK_2_X:
	case PPME_SYSCALL_UNLINKAT_2_X:
	case PPME_SYSCALL_RENAME_X:
	case PPME_SYSCALL_RENAMEAT_X:
	case PPME_SYSCALL_RENAMEAT2_X:
		fill_path_op(s, regs, ret, e->exit_event);
		break;
	case PPME_SYSCALL_SETUID_X:
		fill_setuid(s, regs, ret);
		break;
	case PPME_SYSCALL_DUP_1_X:
	case PPME_SYSCALL_DUP2_X:
	case PPME_SYSCALL_DUP3_X:
		fill_dup(s, regs, ret, e->exit_event);
		break;
	case PPME_SYSCALL_FCNTL_X:
		fill_fcntl(s, regs, ret);
		break;
	case PPME_SYSCALL_PIPE_X:
		fill_pipe(s, regs, ret, false);
		break;
	case PPME_SYSCALL_PIPE2_X:
		fill_pipe(s, regs, ret, true);
		break;
	case PPME_SOCKET_SOCKETPAIR_X:
		fill_socketpair(s, regs, ret);
		break;
	case PPME_SYSCALL_EVENTFD_X:
	case PPME_SYSCALL_EVENTFD2_X:
	case PPME_SYSCALL_SIGNALFD_X:
	case PPME_SYSCALL_SIGNALFD4_X:
	case PPME_SYSCALL_TIMERFD_CREATE_X:
	case PPME_SYSCALL_INOTIFY_INIT_X:
	case PPME_SYSCALL_INOTIFY_INIT1_X:
	case PPME_SYSCALL_EPOLL_CREATE_X:
	case PPME_SYSCALL_EPOLL_CREATE1_X:
	case PPME_SYSCALL_USERFAULTFD_X:
		fill_simple_fd(s, regs, ret, e->exit_event);
		break;
	case PPME_SYSCALL_MEMFD_CREATE_X:
		fill_memfd_create(s, regs, ret);
		break;
	case PPME_SYSCALL_IO_URING_SETUP_X:
		fill_io_uring_setup(s, regs, ret);
		break;
	case PPME_SYSCALL_CHDIR_X:
	case PPME_SYSCALL_FCHDIR_X:
	case PPME_SYSCALL_CHROOT_X:
	case PPME_SYSCALL_SETSID_X:
	case PPME_SYSCALL_SETPGID_X:
	case PPME_SYSCALL_SETGID_X:
	case PPME_SYSCALL_SETRESUID_X:
	case PPME_SYSCALL_SETRESGID_X:
	case PPME_SYSCALL_SETREUID_X:
	case PPME_SYSCALL_SETREGID_X:
	case PPME_SYSCALL_CAPSET_X:
	case PPME_SYSCALL_SETNS_X:
	case PPME_SYSCALL_UNSHARE_X:
		fill_proc_op(s, regs, ret, e->exit_event);
		break;
	case PPME_SYSCALL_PRCTL_X:
		fill_prctl(s, regs, ret);
		break;
	case PPME_SYSCALL_KILL_X:
	case PPME_SYSCALL_TKILL_X:
	case PPME_SYSCALL_TGKILL_X:
		fill_kill(s, regs, ret, e->exit_event);
		break;
	case PPME_SYSCALL_PTRACE_X:
		fill_ptrace(s, regs, ret);
		break;
	case PPME_SYSCALL_MOUNT_X:
	case PPME_SYSCALL_UMOUNT2_X:
	case PPME_SYSCALL_MKDIR_2_X:
	case PPME_SYSCALL_MKDIRAT_X:
	case PPME_SYSCALL_RMDIR_2_X:
	case PPME_SYSCALL_LINK_2_X:
	case PPME_SYSCALL_LINKAT_2_X:
	case PPME_SYSCALL_SYMLINK_X:
	case PPME_SYSCALL_SYMLINKAT_X:
	case PPME_SYSCALL_CHMOD_X:
	case PPME_SYSCALL_FCHMOD_X:
	case PPME_SYSCALL_FCHMODAT_X:
	case PPME_SYSCALL_CHOWN_X:
	case PPME_SYSCALL_LCHOWN_X:
	case PPME_SYSCALL_FCHOWN_X:
	case PPME_SYSCALL_FCHOWNAT_X:
		fill_fs_op(s, regs, ret, e->exit_event);
		break;
	case PPME_SYSCALL_CREAT_X:
		fill_creat(s, regs, ret);
		break;
	case PPME_SYSCALL_OPENAT2_X:
		fill_openat2(s, regs, ret);
		break;
	case PPME_SYSCALL_PREAD_X:
	case PPME_SYSCALL_PWRITE_X:
		fill_prw(s, regs, ret, e->exit_event);
		break;
	case PPME_SYSCALL_READV_X:
	case PPME_SYSCALL_WRITEV_X:
	case PPME_SYSCALL_PREADV_X:
	case PPME_SYSCALL_PWRITEV_X:
		fill_rwv(s, regs, ret, e->exit_event);
		break;
	case PPME_SYSCALL_SENDFILE_X:
		fill_sendfile(s, regs, ret);
		break;
	case PPME_SOCKET_SENDTO_X:
		fill_sendto_recvfrom(s, regs, ret, true);
		break;
	case PPME_SOCKET_RECVFROM_X:
		fill_sendto_recvfrom(s, regs, ret, false);
		break;
	case PPME_SOCKET_SENDMSG_X:
	case PPME_SOCKET_RECVMSG_X:
	case PPME_SOCKET_SENDMMSG_X:
	case PPME_SOCKET_RECVMMSG_X:
		fill_msg(s, regs, ret, e->exit_event);
		break;
	case PPME_SOCKET_SHUTDOWN_X:
		fill_shutdown(s, regs, ret);
		break;
	case PPME_SOCKET_GETSOCKOPT_X:
		fill_sockopt(s, regs, ret, true);
		break;
	case PPME_SOCKET_SETSOCKOPT_X:
		fill_sockopt(s, regs, ret, false);
		break;
	case PPME_SYSCALL_MMAP_X:
		fill_mmap(s, regs, ret, true);
		break;
	case PPME_SYSCALL_MPROTECT_X:
		fill_mmap(s, regs, ret, false);
		break;
	case PPME_SYSCALL_IOCTL_3_X:
	case PPME_SYSCALL_BPF_2_X:
	case PPME_SYSCALL_INIT_MODULE_X:
	case PPME_SYSCALL_FINIT_MODULE_X:
	case PPME_SYSCALL_DELETE_MODULE_X:
		fill_misc(s, regs, ret, e->exit_event);
		break;
	default:
		fill_generic(s, regs, nr, e);
		break;
	}
	return 0;
}

/*
 * Enter events, for the syscalls whose arguments user memory could change between the call
 * and its exit (time of check, time of use): open, openat, openat2, creat and connect. The
 * sys_enter program sends them for the syscalls user space marked (`enter` in the table);
 * it is attached only when enter events are asked for.
 */
static __always_inline void fill_open_enter(struct settings *s, struct pt_regs *regs, u16 exit_event)
{
	struct writer w;
	u16 type;
	switch (exit_event) {
	case PPME_SYSCALL_OPEN_X:
		type = PPME_SYSCALL_OPEN_E;
		break;
	case PPME_SYSCALL_OPENAT_2_X:
		type = PPME_SYSCALL_OPENAT_2_E;
		break;
	case PPME_SYSCALL_OPENAT2_X:
		type = PPME_SYSCALL_OPENAT2_E;
		break;
	default:
		type = PPME_SYSCALL_CREAT_E;
		break;
	}
	if (!writer_start(&w, s, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a2 = SC_ARG2(regs), a3 = SC_ARG3(regs);
	switch (exit_event) {
	case PPME_SYSCALL_OPEN_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, open_flags_to_ppm((u32)a1));
		push_u32(&w, open_mode((u32)a1, (u32)a2));
		break;
	case PPME_SYSCALL_OPENAT_2_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, open_flags_to_ppm((u32)a2));
		push_u32(&w, open_mode((u32)a2, (u32)a3));
		break;
	case PPME_SYSCALL_OPENAT2_X: {
		struct open_how_k how = {};
		if (bpf_probe_read_user(&how, sizeof(how), (void *)a2) != 0)
			__builtin_memset(&how, 0, sizeof(how));
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, open_flags_to_ppm((u32)how.flags));
		push_u32(&w, open_mode((u32)how.flags, (u32)how.mode));
		push_u32(&w, resolve_to_ppm(how.resolve));
		break;
	}
	default: /* creat */
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1 & 07777);
		break;
	}
	writer_submit(&w);
}

static __always_inline void fill_connect_enter(struct settings *s, struct pt_regs *regs)
{
	struct writer w;
	if (!writer_start(&w, s, PPME_SOCKET_CONNECT_E))
		return;
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_sockaddr_user(&w, (void *)SC_ARG1(regs), SC_ARG2(regs));
	writer_submit(&w);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	u32 zero = 0;
	struct settings *s = bpf_map_lookup_elem(&settings_map, &zero);
	if (!s)
		return 0;
	u32 nr = (u32)id;
	if (nr >= SYSCALL_TABLE_SIZE)
		return 0;
	struct syscall_entry *e = bpf_map_lookup_elem(&syscall_table, &nr);
	if (!e || !e->enabled || !e->enter)
		return 0;
	if (!wanted(s))
		return 0;
	switch (e->exit_event) {
	case PPME_SYSCALL_OPEN_X:
	case PPME_SYSCALL_OPENAT_2_X:
	case PPME_SYSCALL_OPENAT2_X:
	case PPME_SYSCALL_CREAT_X:
		fill_open_enter(s, regs, e->exit_event);
		break;
	case PPME_SOCKET_CONNECT_X:
		fill_connect_enter(s, regs);
		break;
	}
	return 0;
}

/* A process or thread ends: the exit status as wait() reports it. */
#define PF_EXITING 0x4
#define MAX_GROUP_THREADS 32
#define MAX_ANCESTORS 64

/* A thread of `task`'s thread group that is not exiting: its tid; 0 if there is none; -1 if
 * the group has more threads than are looked at. A global function, checked once. */
__noinline s64 alive_thread(u64 task)
{
	struct task_struct *t = (struct task_struct *)task;
	if (!t)
		return 0;
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	u64 head = (u64)sig + bpf_core_field_offset(struct signal_struct, thread_head);
	u64 node = (u64)BPF_CORE_READ(sig, thread_head.next);
	u64 off = bpf_core_field_offset(struct task_struct, thread_node);
	for (int i = 0; i < MAX_GROUP_THREADS; i++) {
		if (!node || node == head)
			return 0;
		struct task_struct *th = (struct task_struct *)(node - off);
		if (!(BPF_CORE_READ(th, flags) & PF_EXITING))
			return BPF_CORE_READ(th, pid);
		node = (u64)BPF_CORE_READ(th, thread_node.next);
	}
	return -1;
}

/* The thread that adopts the children of exiting `task`, chosen as the kernel chooses it
 * (find_new_reaper): another live thread of its group; else, when its process has
 * `has_child_subreaper`, a live thread of the nearest ancestor in the same pid namespace
 * marked as a child subreaper; else the init of its pid namespace. 0 when it has no
 * children (or is that init, whose namespace dies with it); -1 when the threads or
 * ancestors are too many to look at (user space then keeps the children as they are). A
 * global function, checked once. */
__noinline s64 new_reaper(u64 task)
{
	struct task_struct *t = (struct task_struct *)task;
	if (!t)
		return 0;
	u64 children = task + bpf_core_field_offset(struct task_struct, children);
	if ((u64)BPF_CORE_READ(t, children.next) == children)
		return 0;
	s64 r = alive_thread(task);
	if (r != 0)
		return r;
	struct pid *pid = BPF_CORE_READ(t, thread_pid);
	u32 level = BPF_CORE_READ(pid, level);
	struct task_struct *init = BPF_CORE_READ(pid_ns(pid), child_reaper);
	if (init == t)
		return 0;
	s64 init_tid = BPF_CORE_READ(init, pid);
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	if (!BPF_CORE_READ_BITFIELD_PROBED(sig, has_child_subreaper))
		return init_tid;
	struct task_struct *a = BPF_CORE_READ(t, real_parent);
	for (int i = 0; i < MAX_ANCESTORS; i++) {
		if (!a || a == init || BPF_CORE_READ(a, thread_pid, level) != level)
			return init_tid;
		sig = BPF_CORE_READ(a, signal);
		if (BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper)) {
			r = alive_thread((u64)a);
			if (r != 0)
				return r;
		}
		a = BPF_CORE_READ(a, real_parent);
	}
	return -1;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	u32 zero = 0;
	struct settings *s = bpf_map_lookup_elem(&settings_map, &zero);
	if (!s)
		return 0;
	if (!wanted(s))
		return 0;
	struct writer w;
	if (!writer_start(&w, s, PPME_PROCEXIT_1_E))
		return 0;
	s64 code = BPF_CORE_READ(p, exit_code);
	push_u64(&w, code);
	push_u64(&w, (code >> 8) & 0xff);
	*(u8 *)&w.aux->data[SAFE(w.pos)] = code & 0x7f;
	set_len(&w, 1);
	*(u8 *)&w.aux->data[SAFE(w.pos)] = (code & 0x80) != 0;
	set_len(&w, 1);
	/* The exiting task is the current one (and a scalar, as a global function takes). */
	push_u64(&w, new_reaper(bpf_get_current_task()));
	writer_submit(&w);
	return 0;
}
