/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File descriptors: dup, dup2, dup3, fcntl, pipe, pipe2, eventfd, eventfd2, signalfd,
 * signalfd4, timerfd_create, inotify_init, inotify_init1, epoll_create, epoll_create1,
 * userfaultfd, memfd_create, io_uring_setup.
 *
 * Each program NAME_x (SYSCALL_EXIT) is tail-called by the sys_exit dispatcher for the
 * syscalls whose exit event is NAME.
 */

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
static __always_inline void fill_dup(struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
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

static __always_inline void fill_fcntl(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_FCNTL_X))
		return;
	push_u64(&w, ret);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_u8(&w, fcntl_cmd_to_ppm((u32)SC_ARG1(regs)));
	push_u64(&w, SC_ARG2(regs));
	writer_submit(&w);
}

/* pipe, pipe2: res, fd1, fd2, ino (flags). */
static __always_inline void fill_pipe(struct pt_regs *regs, long ret, bool two)
{
	struct writer w;
	u16 type = two ? PPME_SYSCALL_PIPE2_X : PPME_SYSCALL_PIPE_X;
	if (!writer_start(&w, type))
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

/* The fd-creating calls with small arguments: eventfd, eventfd2, signalfd, signalfd4,
 * timerfd_create, inotify_init, inotify_init1, epoll_create, epoll_create1, userfaultfd. */
static __always_inline void fill_simple_fd(struct pt_regs *regs, long ret,
					   u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
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

static __always_inline void fill_memfd_create(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_MEMFD_CREATE_X))
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
static __always_inline void fill_io_uring_setup(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_IO_URING_SETUP_X))
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

SYSCALL_EXIT(dup, fill_dup(regs, ret, PPME_SYSCALL_DUP_1_X));
SYSCALL_EXIT(dup2, fill_dup(regs, ret, PPME_SYSCALL_DUP2_X));
SYSCALL_EXIT(dup3, fill_dup(regs, ret, PPME_SYSCALL_DUP3_X));
SYSCALL_EXIT(fcntl, fill_fcntl(regs, ret));
SYSCALL_EXIT(pipe, fill_pipe(regs, ret, false));
SYSCALL_EXIT(pipe2, fill_pipe(regs, ret, true));
SYSCALL_EXIT(eventfd, fill_simple_fd(regs, ret, PPME_SYSCALL_EVENTFD_X));
SYSCALL_EXIT(eventfd2, fill_simple_fd(regs, ret, PPME_SYSCALL_EVENTFD2_X));
SYSCALL_EXIT(signalfd, fill_simple_fd(regs, ret, PPME_SYSCALL_SIGNALFD_X));
SYSCALL_EXIT(signalfd4, fill_simple_fd(regs, ret, PPME_SYSCALL_SIGNALFD4_X));
SYSCALL_EXIT(timerfd_create, fill_simple_fd(regs, ret, PPME_SYSCALL_TIMERFD_CREATE_X));
SYSCALL_EXIT(inotify_init, fill_simple_fd(regs, ret, PPME_SYSCALL_INOTIFY_INIT_X));
SYSCALL_EXIT(inotify_init1, fill_simple_fd(regs, ret, PPME_SYSCALL_INOTIFY_INIT1_X));
SYSCALL_EXIT(epoll_create, fill_simple_fd(regs, ret, PPME_SYSCALL_EPOLL_CREATE_X));
SYSCALL_EXIT(epoll_create1, fill_simple_fd(regs, ret, PPME_SYSCALL_EPOLL_CREATE1_X));
SYSCALL_EXIT(userfaultfd, fill_simple_fd(regs, ret, PPME_SYSCALL_USERFAULTFD_X));
SYSCALL_EXIT(memfd_create, fill_memfd_create(regs, ret));
SYSCALL_EXIT(io_uring_setup, fill_io_uring_setup(regs, ret));
