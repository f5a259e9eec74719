/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers that read the current process: arguments, environment, comm, cgroups, memory,
 * pid namespaces, the executable (path, inode, flags), the terminal, and the reaper of an
 * exiting process's children. The functions with loops or many branches are global
 * (__noinline): the verifier checks each once per program, apart from its callers' paths.
 */

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

/* The current task's name with its NUL (the kernel keeps it NUL-terminated in 16 bytes):
 * read as a string, so its length costs no loop. */
static __always_inline void push_comm(struct writer *w, struct task_struct *t)
{
	char *dst = (char *)&w->aux->data[SAFE(w->pos)];
	long n = bpf_probe_read_kernel_str(dst, 16, &t->comm);
	if (n <= 0) {
		dst[0] = 0;
		n = 1;
	}
	set_len(w, (u16)n);
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

#define VM_SIZE 0
#define VM_RSS 1
#define VM_SWAP 2

/* The memory of the current process after the call, in KiB: its virtual size (VM_SIZE),
 * what is resident (VM_RSS: file, anonymous and shared pages) or what is swapped (VM_SWAP).
 * A global function, checked once: its branches would multiply its callers' paths. */
__noinline u32 vm_size_kb(u32 which, u32 page_kb)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	if (!mm)
		return 0;
	if (which == VM_SIZE)
		return BPF_CORE_READ(mm, total_vm) * page_kb;
	s64 c[4] = {};
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
	/* The per-CPU counters' global values lag and can be briefly negative. */
	for (int i = 0; i < 4; i++)
		if (c[i] < 0)
			c[i] = 0;
	if (which == VM_SWAP)
		return c[MM_SWAPENTS] * page_kb;
	return (c[MM_FILEPAGES] + c[MM_ANONPAGES] + c[MM_SHMEMPAGES]) * page_kb;
}

static __always_inline void push_vm_sizes(struct writer *w)
{
	u32 kb = w->settings->page_kb;
	push_u32(w, vm_size_kb(VM_SIZE, kb));
	push_u32(w, vm_size_kb(VM_RSS, kb));
	push_u32(w, vm_size_kb(VM_SWAP, kb));
}

/* The fields shared by clone and execve: tid, pid, ptid, cwd, fdlimit, page faults,
 * memory, comm, cgroups. */
static __always_inline void push_proc_common(struct writer *w, struct task_struct *t)
{
	push_u64(w, BPF_CORE_READ(t, pid));
	push_u64(w, BPF_CORE_READ(t, tgid));
	push_u64(w, BPF_CORE_READ(t, real_parent, pid));
	/* cwd: libsinsp keeps the one it knows (from /proc or the parent). */
	push_empty_str(w);
	push_u64(w, BPF_CORE_READ(t, signal, rlim[7].rlim_cur));
	push_u64(w, BPF_CORE_READ(t, maj_flt));
	push_u64(w, BPF_CORE_READ(t, min_flt));
	push_vm_sizes(w);
	push_comm(w, t);
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

#define CAPS_INHERITABLE 0
#define CAPS_PERMITTED 1
#define CAPS_EFFECTIVE 2

/* One of task `task`'s capability sets (CAPS_*) as a u64, from whichever layout the kernel
 * has: a u64 since 6.3, two u32 words before. A global function, checked once. */
__noinline u64 task_caps(u64 task, u32 which)
{
	struct task_struct *t = (struct task_struct *)task;
	const struct cred *c = BPF_CORE_READ(t, cred);
	if (!c)
		return 0;
	if (bpf_core_field_exists(c->cap_effective.val)) {
		if (which == CAPS_INHERITABLE)
			return BPF_CORE_READ(c, cap_inheritable.val);
		if (which == CAPS_PERMITTED)
			return BPF_CORE_READ(c, cap_permitted.val);
		return BPF_CORE_READ(c, cap_effective.val);
	}
	const struct cred___v6_2 *o = (const void *)c;
	u32 lo, hi;
	if (which == CAPS_INHERITABLE) {
		lo = BPF_CORE_READ(o, cap_inheritable.cap[0]);
		hi = BPF_CORE_READ(o, cap_inheritable.cap[1]);
	} else if (which == CAPS_PERMITTED) {
		lo = BPF_CORE_READ(o, cap_permitted.cap[0]);
		hi = BPF_CORE_READ(o, cap_permitted.cap[1]);
	} else {
		lo = BPF_CORE_READ(o, cap_effective.cap[0]);
		hi = BPF_CORE_READ(o, cap_effective.cap[1]);
	}
	return (u64)hi << 32 | lo;
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
	u64 caps = task_caps(task, CAPS_EFFECTIVE);
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
