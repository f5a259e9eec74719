/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the files behind fds: fd arguments, the file of an fd, device and inode.
 */

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

#define K_O_NONBLOCK 04000
#define K_O_CLOEXEC 02000000

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
