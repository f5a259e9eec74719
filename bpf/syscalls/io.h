/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and writing: read, write, pread64, pwrite64, readv, writev, preadv, pwritev,
 * sendfile (data cut at the snaplen).
 *
 * Each program NAME_x (SYSCALL_EXIT) is tail-called by the sys_exit dispatcher for the
 * syscalls whose exit event is NAME.
 */

/* read, write, pread64, pwrite64: res, data (what was transferred), fd, size, and for the
 * last two pos. Built on the stack (small_*) when the snaplen allows it. */
static __always_inline void fill_rw(struct pt_regs *regs, long ret, u16 type, bool pos)
{
	u64 pid_tgid;
	struct settings *s = capturing(&pid_tgid);
	if (!s)
		return;
	const void *buf = (const void *)SC_ARG1(regs);
	s64 fd = fd_arg(SC_ARG0(regs));
	u32 size = SC_ARG2(regs);
	u32 snaplen = s->snaplen;
	if (snaplen <= SMALL_DATA) {
		u8 d[SMALL_LEN] __attribute__((aligned(8)));
		struct small e;
		small_start(&e, d, s, pid_tgid, type, pos ? 5 : 4);
		small_u64(&e, ret);
		small_user(&e, buf, ret, snaplen);
		small_u64(&e, fd);
		small_u32(&e, size);
		if (pos)
			small_u64(&e, SC_ARG3(regs));
		small_submit(&e);
		return;
	}
	struct writer w;
	if (!writer_begin(&w, s, pid_tgid, type))
		return;
	push_u64(&w, ret);
	if (ret > 0)
		push_user_buf(&w, buf, ret);
	else
		push_empty(&w);
	push_u64(&w, fd);
	push_u32(&w, size);
	if (pos)
		push_u64(&w, SC_ARG3(regs));
	writer_submit(&w);
}

/* readv, writev, preadv, pwritev: the data the call moved, from the iovecs. */
static __always_inline void fill_rwv(struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
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
static __always_inline void fill_sendfile(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_SENDFILE_X))
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

SYSCALL_EXIT(read, fill_rw(regs, ret, PPME_SYSCALL_READ_X, false));
SYSCALL_EXIT(write, fill_rw(regs, ret, PPME_SYSCALL_WRITE_X, false));
SYSCALL_EXIT(pread, fill_rw(regs, ret, PPME_SYSCALL_PREAD_X, true));
SYSCALL_EXIT(pwrite, fill_rw(regs, ret, PPME_SYSCALL_PWRITE_X, true));
SYSCALL_EXIT(readv, fill_rwv(regs, ret, PPME_SYSCALL_READV_X));
SYSCALL_EXIT(writev, fill_rwv(regs, ret, PPME_SYSCALL_WRITEV_X));
SYSCALL_EXIT(preadv, fill_rwv(regs, ret, PPME_SYSCALL_PREADV_X));
SYSCALL_EXIT(pwritev, fill_rwv(regs, ret, PPME_SYSCALL_PWRITEV_X));
SYSCALL_EXIT(sendfile, fill_sendfile(regs, ret));
