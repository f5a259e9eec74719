/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for sockets: addresses from user memory, the connection of a socket as the
 * schema's tuple, the queue of a listening socket, iovec data.
 */

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

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

/* The kernel socket (struct sock) behind fd `fd` of the current process, or NULL. */
static __always_inline struct sock *fd_sock(s64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return NULL;
	if (KCAST) {
		void *data = bpf_core_cast(f, struct file)->private_data;
		return data ? bpf_core_cast(data, struct socket)->sk : NULL;
	}
	struct socket *sock = (struct socket *)BPF_CORE_READ(f, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/* The fields of sock_common a tuple takes: the IPv4 addresses, the ports and the family. */
struct sock_ends {
	u32 daddr;
	u32 rcv_saddr;
	u16 dport;
	u16 num;
	u16 family;
};

/* The IPv4 addresses, the ports and the family open every kernel's sock_common: without
 * typed access, one read of them all. */
#define SKC_SPAN 24

static __always_inline void sock_ends(struct sock *sk, struct sock_ends *e)
{
	if (KCAST) {
		struct sock_common *c = &bpf_core_cast(sk, struct sock)->__sk_common;
		e->daddr = c->skc_daddr;
		e->rcv_saddr = c->skc_rcv_saddr;
		e->dport = c->skc_dport;
		e->num = c->skc_num;
		e->family = c->skc_family;
		return;
	}
	struct kblock c;
	KBLOCK_READ(&c, sk, __sk_common.skc_daddr, SKC_SPAN);
#define SKC(field, T) KBLOCK_FIELD(&c, sk, __sk_common.skc_daddr, SKC_SPAN, __sk_common.field, T)
	e->daddr = SKC(skc_daddr, u32);
	e->rcv_saddr = SKC(skc_rcv_saddr, u32);
	e->dport = SKC(skc_dport, u16);
	e->num = SKC(skc_num, u16);
	e->family = SKC(skc_family, u16);
#undef SKC
}

/* For a socket without a peer: the peer named by the user address `uaddr` (sendto's
 * destination, recvfrom's source), if it is one of `family`: its address (`len` bytes at
 * `off` in it) into `addr`, its port into `*port` in host order. */
static __always_inline void user_peer(const void *uaddr, u16 family, void *addr, u32 len,
				      u32 off, u16 *port)
{
	u16 fam = 0, p = 0;
	bpf_probe_read_user(&fam, 2, uaddr);
	if (fam != family)
		return;
	bpf_probe_read_user(&p, 2, uaddr + 2);
	bpf_probe_read_user(addr, len, uaddr + off);
	*port = __builtin_bswap16(p);
}

/* The connection of the IPv4 or IPv6 socket `sk` (its sock_common fields in `e`) as the
 * schema's tuple, at `d`: for connect and sends the local end first, for accept and
 * receives the peer first, the peer taken from `uaddr` (user_peer) when the socket has
 * none (unconnected UDP). Its length (at most TUPLE_INET_MAX), 0 for a socket of another
 * family. Stored through memcpy, so `d` may be anywhere in a map value or the stack. */
static __always_inline u32 put_tuple_inet(u8 *d, struct sock *sk, const struct sock_ends *e,
					  bool peer_first, const void *uaddr)
{
	u16 lport = e->num;
	u16 rport = __builtin_bswap16(e->dport);
	if (e->family == AF_INET) {
		u32 laddr = e->rcv_saddr;
		u32 raddr = e->daddr;
		if (raddr == 0 && rport == 0 && uaddr)
			user_peer(uaddr, AF_INET, &raddr, 4, 4, &rport);
		u32 a1 = peer_first ? raddr : laddr, a2 = peer_first ? laddr : raddr;
		u16 p1 = peer_first ? rport : lport, p2 = peer_first ? lport : rport;
		d[0] = AF_INET;
		__builtin_memcpy(&d[1], &a1, 4);
		__builtin_memcpy(&d[5], &p1, 2);
		__builtin_memcpy(&d[7], &a2, 4);
		__builtin_memcpy(&d[11], &p2, 2);
		return 13;
	}
	if (e->family != AF_INET6)
		return 0;
	struct in6_addr l = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
	struct in6_addr r = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
	if (rport == 0 && uaddr)
		user_peer(uaddr, AF_INET6, &r, 16, 8, &rport);
	u16 p1 = peer_first ? rport : lport, p2 = peer_first ? lport : rport;
	d[0] = AF_INET6;
	__builtin_memcpy(&d[1], peer_first ? &r : &l, 16);
	__builtin_memcpy(&d[17], &p1, 2);
	__builtin_memcpy(&d[19], peer_first ? &l : &r, 16);
	__builtin_memcpy(&d[35], &p2, 2);
	return 37;
}

/* The socket behind `fd` (NULL if none) and, for one, its sock_common fields in `e` (its
 * family 0 for none). */
static __always_inline struct sock *fd_sock_ends(s64 fd, struct sock_ends *e)
{
	struct sock *sk = fd_sock(fd);
	if (sk)
		sock_ends(sk, e);
	else
		e->family = 0;
	return sk;
}

/* The connection of the socket `sk` (fd_sock_ends) as the schema's tuple (put_tuple_inet;
 * for unix sockets the two ends and a path). Empty without a socket, and for sockets of
 * other families. */
static __always_inline void push_socktuple_sk(struct writer *w, struct sock *sk,
					      const struct sock_ends *e, bool peer_first,
					      const void *uaddr)
{
	if (!sk) {
		set_len(w, 0);
		return;
	}
	u8 *d = &w->aux->data[SAFE(w->pos)];
	if (e->family == AF_UNIX) {
		/* The two ends' kernel addresses, the peer's first for the local end's calls
		 * (connect, sends), then the path: the peer's (or the address given, without a
		 * peer) for those, the local end's for the others. An abstract name loses its
		 * leading NUL. */
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		d[0] = AF_UNIX;
		u64 self = kaddr(sk);
		*(u64 *)&d[1] = peer_first ? self : (u64)peer;
		*(u64 *)&d[9] = peer_first ? (u64)peer : self;
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
		return;
	}
	set_len(w, put_tuple_inet(d, sk, e, peer_first, uaddr));
}

/* The connection of socket `fd` as the schema's tuple (push_socktuple_sk), the user
 * address `uaddr` standing in for a missing peer. */
static __always_inline void push_socktuple_addr(struct writer *w, s64 fd, bool peer_first,
						const void *uaddr)
{
	struct sock_ends ends;
	struct sock *sk = fd_sock_ends(fd, &ends);
	push_socktuple_sk(w, sk, &ends, peer_first, uaddr);
}

/* The IPv4 or IPv6 tuple of `sk` (put_tuple_inet) as the next parameter of a small event;
 * empty without a socket. */
static __always_inline void small_tuple(struct small *e, struct sock *sk,
					const struct sock_ends *ends, bool peer_first,
					const void *uaddr)
{
	u32 at = e->pos;
	if (at > SMALL_LEN - TUPLE_INET_MAX)
		return;
	u32 n = sk ? put_tuple_inet(&e->d[at], sk, ends, peer_first, uaddr) : 0;
	small_len(e, n);
	e->pos = at + n;
}

static __always_inline void push_socktuple(struct writer *w, s64 fd, bool peer_first)
{
	push_socktuple_addr(w, fd, peer_first, NULL);
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
	struct sock *sk = fd_sock(fd);
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
