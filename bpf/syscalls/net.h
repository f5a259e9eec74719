/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sockets: socket, socketpair, bind, listen, connect (and its enter event), accept,
 * accept4, sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg, shutdown, getsockopt,
 * setsockopt.
 *
 * Each program NAME_x (SYSCALL_EXIT) is tail-called by the sys_exit dispatcher for the
 * syscalls whose exit event is NAME.
 */

static __always_inline void fill_socket(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SOCKET_SOCKET_X))
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

static __always_inline void fill_bind(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SOCKET_BIND_X))
		return;
	push_u64(&w, ret);
	push_sockaddr_user(&w, (void *)SC_ARG1(regs), SC_ARG2(regs));
	push_u64(&w, (s64)(int)SC_ARG0(regs));
	writer_submit(&w);
}

static __always_inline void fill_listen(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SOCKET_LISTEN_X))
		return;
	push_u64(&w, ret);
	push_u64(&w, (s64)(int)SC_ARG0(regs));
	push_u32(&w, (u32)SC_ARG1(regs));
	writer_submit(&w);
}

static __always_inline void fill_connect(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SOCKET_CONNECT_X))
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

static __always_inline void fill_accept(struct pt_regs *regs, long ret,
					bool four)
{
	struct writer w;
	u16 type = four ? PPME_SOCKET_ACCEPT4_6_X : PPME_SOCKET_ACCEPT_5_X;
	if (!writer_start(&w, type))
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

/* sendto, recvfrom: the data and the connection (with the address given, for
 * unconnected sockets). Built on the stack (small_*) when the snaplen allows it and the
 * socket is not a unix one (whose tuple holds a path). */
static __always_inline void fill_sendto_recvfrom(struct pt_regs *regs,
						 long ret, bool send)
{
	u64 pid_tgid;
	struct settings *s = capturing(&pid_tgid);
	if (!s)
		return;
	u16 type = send ? PPME_SOCKET_SENDTO_X : PPME_SOCKET_RECVFROM_X;
	s64 fd = fd_arg(SC_ARG0(regs));
	const void *buf = (const void *)SC_ARG1(regs);
	u32 size = SC_ARG2(regs);
	const void *addr = (const void *)SC_ARG4(regs);
	/* A failed call has no tuple. */
	struct sock_ends ends = {};
	struct sock *sk = ret >= 0 ? fd_sock_ends(fd, &ends) : NULL;
	u32 snaplen = s->snaplen;
	if (snaplen <= SMALL_DATA && ends.family != AF_UNIX) {
		u8 d[SMALL_LEN] __attribute__((aligned(8)));
		struct small e;
		small_start(&e, d, s, pid_tgid, type, 5);
		small_u64(&e, ret);
		small_user(&e, buf, ret, snaplen);
		if (!send)
			small_tuple(&e, sk, &ends, true, addr);
		small_u64(&e, fd);
		small_u32(&e, size);
		if (send)
			small_tuple(&e, sk, &ends, false, addr);
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
	if (!send)
		push_socktuple_sk(&w, sk, &ends, true, addr);
	push_u64(&w, fd);
	push_u32(&w, size);
	if (send)
		push_socktuple_sk(&w, sk, &ends, false, addr);
	writer_submit(&w);
}

/* One event of sendmsg, recvmsg, sendmmsg or recvmmsg: for the message whose msghdr is at
 * `mh` in user memory (0: none, the parameters taken from it are empty), with `res` as its
 * result and `moved` bytes transferred. */
static __always_inline void fill_msg_one(u16 type, s64 fd, u64 mh, long res,
					 long moved)
{
	struct writer w;
	if (!writer_start(&w, type))
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

/* One event of sendmmsg or recvmmsg (fill_msg_one). A global function, verified once with
 * its loops, and a frame of its own: inlined, its stack and the bpf_loop callback's went
 * past the verifier's 512 bytes. */
__noinline int mmsg_event(u32 type, s64 fd, u64 mh, s64 res, s64 moved)
{
	fill_msg_one(type == PPME_SOCKET_SENDMMSG_X ? PPME_SOCKET_SENDMMSG_X
						    : PPME_SOCKET_RECVMMSG_X,
		     fd, mh, res, moved);
	return 0;
}

struct mmsg_loop {
	u64 mmh;
	s64 fd;
	u16 type;
};

static long mmsg_one(u32 index, void *ctx)
{
	struct mmsg_loop *l = ctx;
	u64 mh = l->mmh + (u64)index * MMSGHDR_SIZE;
	u32 len = 0;
	bpf_probe_read_user(&len, sizeof(len), (void *)(mh + sizeof(struct msghdr_k)));
	mmsg_event(l->type, l->fd, mh, len, len);
	return 0;
}

/* sendmmsg, recvmmsg: one event per message moved, or one with the error. A global
 * function, so that the caller's frame holds none of what it and the loop need (6.1's
 * verifier adds every frame of the call chain against the 512-byte limit). */
__noinline int mmsg_events(u32 type, s64 fd, u64 mmh, s64 ret)
{
	if (ret <= 0) {
		mmsg_event(type, fd, 0, ret, 0);
		return 0;
	}
	/* Nothing to loop over for a process not captured. */
	struct settings *s = settings();
	if (!s || !wanted(s, bpf_get_current_pid_tgid()))
		return 0;
	struct mmsg_loop l = {.mmh = mmh, .fd = fd, .type = type};
	bpf_loop(ret < MAX_MMSG ? ret : MAX_MMSG, mmsg_one, &l, 0);
	return 0;
}

/* sendmsg, recvmsg: one event; sendmmsg, recvmmsg: one per message, or one with the error. */
static __always_inline void fill_msg(struct pt_regs *regs, long ret, u16 type)
{
	s64 fd = fd_arg(SC_ARG0(regs));
	if (type == PPME_SOCKET_SENDMSG_X || type == PPME_SOCKET_RECVMSG_X)
		fill_msg_one(type, fd, SC_ARG1(regs), ret, ret);
	else
		mmsg_events(type, fd, SC_ARG1(regs), ret);
}

static __always_inline void fill_shutdown(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SOCKET_SHUTDOWN_X))
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
static __always_inline void fill_sockopt(struct pt_regs *regs, long ret,
					 bool get)
{
	struct writer w;
	u16 type = get ? PPME_SOCKET_GETSOCKOPT_X : PPME_SOCKET_SETSOCKOPT_X;
	if (!writer_start(&w, type))
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

/* socketpair: res, fd1, fd2, the kernel addresses of the first socket and of its peer (what
 * matches the two ends up), domain, type, proto. */
static __always_inline void fill_socketpair(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SOCKET_SOCKETPAIR_X))
		return;
	s32 fds[2] = {-1, -1};
	u64 source = 0, peer = 0;
	if (ret == 0) {
		read_fd_pair(SC_ARG3(regs), fds);
		struct sock *sk = fd_sock(fds[0]);
		if (sk) {
			source = kaddr(sk);
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

static __always_inline void fill_connect_enter(struct pt_regs *regs)
{
	struct writer w;
	if (!writer_start(&w, PPME_SOCKET_CONNECT_E))
		return;
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_sockaddr_user(&w, (void *)SC_ARG1(regs), SC_ARG2(regs));
	writer_submit(&w);
}

SYSCALL_EXIT(socket, fill_socket(regs, ret));
SYSCALL_EXIT(bind, fill_bind(regs, ret));
SYSCALL_EXIT(listen, fill_listen(regs, ret));
SYSCALL_EXIT(connect, fill_connect(regs, ret));
SYSCALL_EXIT(accept, fill_accept(regs, ret, false));
SYSCALL_EXIT(accept4, fill_accept(regs, ret, true));
SYSCALL_EXIT(sendto, fill_sendto_recvfrom(regs, ret, true));
SYSCALL_EXIT(recvfrom, fill_sendto_recvfrom(regs, ret, false));
SYSCALL_EXIT(sendmsg, fill_msg(regs, ret, PPME_SOCKET_SENDMSG_X));
SYSCALL_EXIT(recvmsg, fill_msg(regs, ret, PPME_SOCKET_RECVMSG_X));
SYSCALL_EXIT(sendmmsg, fill_msg(regs, ret, PPME_SOCKET_SENDMMSG_X));
SYSCALL_EXIT(recvmmsg, fill_msg(regs, ret, PPME_SOCKET_RECVMMSG_X));
SYSCALL_EXIT(shutdown, fill_shutdown(regs, ret));
SYSCALL_EXIT(getsockopt, fill_sockopt(regs, ret, true));
SYSCALL_EXIT(setsockopt, fill_sockopt(regs, ret, false));
SYSCALL_EXIT(socketpair, fill_socketpair(regs, ret));

/* The enter event of connect: the address asked for, before user memory could change it. */
SYSCALL_ENTER(connect, fill_connect_enter(regs));
