/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the files behind fds: fd arguments, the file of an fd, device and inode.
 */

/*
 * Several fields of one kernel object in one read, for kernels without KCAST (below). Each
 * bpf_probe_read_kernel() is a helper call plus the kernel's checks of the address, about
 * 20 ns here, and a socket's connection alone takes five fields of its sock_common.
 * KBLOCK_READ copies `span` bytes (at most KBLOCK_MAX, inside the object) starting at the
 * field `first` of `*obj`; KBLOCK_FIELD then takes a field out of the copy at the offset
 * CO-RE gives it in the running kernel, or, if it falls outside the copy or is not aligned
 * for its type there, reads it on its own. Those offsets are constants once libbpf has
 * relocated them, so the verifier follows only the way the running kernel's layout takes.
 * A failed copy is zeroed, as a failed read of each field would be.
 */
#define KBLOCK_MAX 32

struct kblock {
	u64 w[KBLOCK_MAX / 8];
};

#define KBLOCK_READ(blk, obj, first, span)                                            \
	({                                                                             \
		_Static_assert((span) <= KBLOCK_MAX, "a kblock holds KBLOCK_MAX bytes");  \
		bpf_core_read((blk)->w, (span), &(obj)->first);                        \
	})

#define KBLOCK_FIELD(blk, obj, first, span, field, T)                                 \
	({                                                                             \
		u32 __o = bpf_core_field_offset((obj)->field) -                        \
			  bpf_core_field_offset((obj)->first);                         \
		T __v = 0;                                                             \
		if (__o <= (span) - sizeof(T) && __o % sizeof(T) == 0)                 \
			__v = *(T *)((u8 *)(blk)->w + __o);                            \
		else                                                                   \
			bpf_core_read(&__v, sizeof(__v), &(obj)->field);               \
		__v;                                                                   \
	})

/*
 * Typed access to any kernel pointer: bpf_core_cast (the bpf_rdonly_cast kfunc, from 6.2;
 * the verifier turns it into a move) gives the verifier the pointer's type, and a field is
 * then a direct load, which the kernel guards against faults, instead of a
 * bpf_probe_read_kernel call (about 20 ns). Kernels without the kfunc (6.1) keep the reads:
 * KCAST is a constant once libbpf has loaded the probe, and the verifier walks only the way
 * the running kernel takes.
 */
#define KCAST bpf_ksym_exists(bpf_rdonly_cast)

/* The kernel word at `p`, with KCAST, by a direct load: the verifier needs a type only to
 * bound the load, and any struct whose first member is a word will do (rb_node, unchanged
 * since 2.6). For a word whose own type it cannot walk, such as a slot of the fd table (a
 * pointer to pointers). */
static __always_inline u64 kword(const void *p)
{
	return bpf_core_cast(p, struct rb_node)->__rb_parent_color;
}

/* The address of kernel object `p` as a number, for the events that carry one (unix
 * sockets' tuples, socketpair). A typed pointer cannot be shifted or masked as the writer
 * does, so with KCAST it is copied out of the stack as plain bytes: one helper call, paid
 * by those events only. */
static __always_inline u64 kaddr(const void *p)
{
	if (!KCAST)
		return (u64)p;
	const void *slot = p;
	u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), (const void *)&slot);
	return v;
}

/* An fd argument: the kernel takes an int. */
static __always_inline s64 fd_arg(unsigned long v)
{
	return (s64)(int)v;
}

/* The file behind fd `fd` of the current process, or NULL. The task, its files and their
 * table are read directly through their BTF types (loads the kernel guards against faults,
 * with no helper call); the slot of the array, a pointer the verifier does not type, with
 * kword() where the kernel has KCAST, else one bpf_probe_read_kernel. */
static __always_inline struct file *fd_file(s64 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct files_struct *files = t->files;
	if (!files || fd < 0)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	if (KCAST)
		return (struct file *)kword(&fds[fd]);
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
	u32 kdev;
	if (KCAST) {
		struct file *tf = bpf_core_cast(f, struct file);
		struct inode *inode = tf->f_inode;
		kdev = inode->i_sb->s_dev;
		*ino = inode->i_ino;
		if (bpf_core_field_exists(f->f_mode))
			*created = (tf->f_mode & FMODE_CREATED) != 0;
	} else {
		struct inode *inode = BPF_CORE_READ(f, f_inode);
		kdev = BPF_CORE_READ(inode, i_sb, s_dev);
		*ino = BPF_CORE_READ(inode, i_ino);
		if (bpf_core_field_exists(f->f_mode))
			*created = (BPF_CORE_READ(f, f_mode) & FMODE_CREATED) != 0;
	}
	*dev = encode_dev(kdev >> 20, kdev & 0xfffff);
}

#define K_O_NONBLOCK 04000
#define K_O_CLOEXEC 02000000

/* The inode number of the file behind `fd`, 0 without one. */
static __always_inline u64 fd_ino(s64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return 0;
	if (KCAST)
		return bpf_core_cast(f, struct file)->f_inode->i_ino;
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
