/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing an event: the header, then one length per parameter, then the values, built in
 * this CPU's scratch buffer and sent to this CPU's ring. Every write goes through SAFE(), so
 * the verifier sees it inside the buffer whatever the lengths before it.
 */

/* An event being built in the scratch buffer. */
struct writer {
	struct aux *aux;
	struct settings *settings;
	u32 pos;      /* where the next value goes */
	u32 nparams;
	u32 param;    /* index of the next parameter */
	bool too_big;
};

/* The settings, if the current process is to be captured (own process, only one process,
 * some CPUs), with its pid_tgid in `*pid_tgid`; NULL, and nothing to send, otherwise. */
static __always_inline struct settings *capturing(u64 *pid_tgid)
{
	struct settings *s = settings();
	*pid_tgid = bpf_get_current_pid_tgid();
	return s && wanted(s, *pid_tgid) ? s : NULL;
}

/* The header's fields but its length, at `d`, 8-byte aligned (a map value, a ring record
 * or an aligned stack buffer): the timestamp (read now), the thread, the event type and
 * its number of parameters. Stored through memcpy so that clang, told the alignment,
 * stores each field in the widest aligned stores; the stack takes no other. */
static __always_inline void put_header(u8 *d, struct settings *s, u64 pid_tgid, u16 type,
				       u32 nparams)
{
	d = __builtin_assume_aligned(d, 8);
	u64 ts = bpf_ktime_get_boot_ns() + s->boot_time, tid = (u32)pid_tgid;
	__builtin_memcpy(&d[0], &ts, 8);
	__builtin_memcpy(&d[8], &tid, 8);
	__builtin_memcpy(&d[20], &type, 2);
	__builtin_memcpy(&d[22], &nparams, 4);
}

/* Starts an event of `type` with the schema's number of parameters for it (ppm_nparams,
 * generated with the event ids; a constant when the type is), for the process `pid_tgid`
 * whose settings are `s` (capturing()). False, and nothing to send, when this CPU has no
 * scratch buffer. */
static __always_inline bool writer_begin(struct writer *w, struct settings *s, u64 pid_tgid,
					 u16 type)
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
	put_header(w->aux->data, s, pid_tgid, type, nparams);
	return true;
}

/* writer_begin for the current process, if it is to be captured. */
static __always_inline bool writer_start(struct writer *w, u16 type)
{
	u64 pid_tgid;
	struct settings *s = capturing(&pid_tgid);
	return s && writer_begin(w, s, pid_tgid, type);
}

/* Stores `v`, `bits` wide, at `p` in one instruction, whatever p's alignment. A plain
 * store where clang sees an odd offset from the buffer's start (most parameters: they
 * follow a 26-byte header and lengths of 2 bytes) becomes single bytes and shifts, a u64
 * eight stores and seven shifts; the kernel takes unaligned stores to a map value on the
 * architectures the probe is built for. */
#define STORE(bits, p, v)                                                              \
	asm volatile("*(u" #bits " *)(%[d] + 0) = %[x]" ::[d] "r"(p), [x] "r"((u64)(v))  \
		     : "memory")

static __always_inline void set_len(struct writer *w, u16 len)
{
	u32 at = HDR_LEN + (w->param & (MAX_PARAMS - 1)) * 2;
	STORE(16, &w->aux->data[SAFE(at)], len);
	w->param++;
	w->pos += len;
	if (w->pos >= HALF)
		w->too_big = true;
}

static __always_inline void push_u64(struct writer *w, u64 v)
{
	STORE(64, &w->aux->data[SAFE(w->pos)], v);
	set_len(w, 8);
}

static __always_inline void push_u32(struct writer *w, u32 v)
{
	STORE(32, &w->aux->data[SAFE(w->pos)], v);
	set_len(w, 4);
}

static __always_inline void push_u16(struct writer *w, u16 v)
{
	STORE(16, &w->aux->data[SAFE(w->pos)], v);
	set_len(w, 2);
}

/* An empty parameter: no bytes. For a buffer, an address or a tuple; an empty string is
 * push_empty_str. */
static __always_inline void push_empty(struct writer *w)
{
	set_len(w, 0);
}

/* An empty string: its NUL alone, as the kernel module writes it. Readers of 2022 and
 * before (sysdig 0.29) print a string parameter up to its NUL, so one of length 0 shows
 * the bytes of the next parameter. */
static __always_inline void push_empty_str(struct writer *w)
{
	w->aux->data[SAFE(w->pos)] = 0;
	set_len(w, 1);
}

/* A NUL-terminated string from user memory, at most MAX_PATH bytes with its NUL; an
 * unreadable one is empty. */
static __always_inline void push_user_str(struct writer *w, const char *s)
{
	long n = 0;
	if (s)
		n = bpf_probe_read_user_str(&w->aux->data[SAFE(w->pos)], MAX_PATH, s);
	if (n <= 0) {
		push_empty_str(w);
		return;
	}
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

static __always_inline void push_u8(struct writer *w, u8 v)
{
	w->aux->data[SAFE(w->pos)] = v;
	set_len(w, 1);
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

/* This CPU's ring buffer. */
static __always_inline void *this_ring(void)
{
	u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&rings, &cpu);
}

/* Sends the `len` bytes of an event at `d` to this CPU's ring; counts a drop if they could
 * not go. */
static __always_inline void ring_output(void *d, u32 len)
{
	void *ring = this_ring();
	if (!ring || bpf_ringbuf_output(ring, d, len, BPF_RB_NO_WAKEUP) != 0)
		count(1);
}

/* Sends the event to this CPU's ring; counts it, and counts a drop if it could not go. */
static __always_inline void writer_submit(struct writer *w)
{
	count(0);
	u32 len = w->pos;
	if (w->too_big || len >= HALF || w->param != w->nparams) {
		count(2);
		return;
	}
	/* Newer clangs see that the mask below changes nothing (too_big says so) and drop it;
	 * the verifier cannot see that, and needs the bound. */
	barrier_var(len);
	*(u32 *)&w->aux->data[16] = len;
	ring_output(w->aux->data, len & (HALF - 1));
}

/*
 * Small events, built on the stack. An event of numbers, at most SMALL_DATA bytes of user
 * data and at most an IPv4 or IPv6 tuple (read's, write's, sendto's and recvfrom's, at the
 * default snaplen of 80) is built in the program's stack and sent from there, as the live
 * benchmark's floor does, instead of in the scratch buffer. What that saves is in the copy
 * from user memory: the kernel checks the destination of every such copy (hardened
 * usercopy), and a stack destination passes in a few instructions where a map value goes
 * through the heap checks, about 12 ns of the read/write loop's event. The stack takes
 * only aligned stores, so values are stored a byte at a time (__builtin_memcpy), as clang
 * does anyway at an odd offset.
 */
#define SMALL_DATA 80
#define SMALL_PARAMS 5
/* The largest IPv4 or IPv6 tuple (family, two addresses of 16 bytes, two ports): sendto's
 * and recvfrom's events are small too when their socket is one of those. */
#define TUPLE_INET_MAX 37
#define SMALL_LEN (HDR_LEN + SMALL_PARAMS * 2 + 4 * 8 + SMALL_DATA + TUPLE_INET_MAX)

/* A small event being built in `d`, SMALL_LEN bytes of the caller's stack, 8-byte aligned
 * (put_header). The buffer is apart from the positions so that clang keeps these in
 * registers: the buffer's address goes to a helper, and anything beside it would be
 * reloaded after each call. */
struct small {
	u8 *d;
	u32 pos;      /* where the next value goes */
	u32 nparams;
	u32 param;    /* index of the next parameter */
};

/* Starts a small event of `type`, of `nparams` (at most SMALL_PARAMS) parameters, in `d`. */
static __always_inline void small_start(struct small *e, u8 *d, struct settings *s,
					u64 pid_tgid, u16 type, u32 nparams)
{
	e->d = d;
	put_header(d, s, pid_tgid, type, nparams);
	e->nparams = nparams;
	e->param = 0;
	e->pos = HDR_LEN + nparams * 2;
}

/* The next parameter's length. */
static __always_inline void small_len(struct small *e, u16 len)
{
	if (e->param >= SMALL_PARAMS)
		return;
	__builtin_memcpy(&e->d[HDR_LEN + e->param * 2], &len, 2);
	e->param++;
}

/* A number of `size` bytes (8 or 4), the value at `v`. */
static __always_inline void small_put(struct small *e, const void *v, u32 size)
{
	u32 at = e->pos;
	if (at > SMALL_LEN - 8)
		return;
	__builtin_memcpy(&e->d[at], v, size);
	small_len(e, size);
	e->pos = at + size;
}

static __always_inline void small_u64(struct small *e, u64 v)
{
	small_put(e, &v, 8);
}

static __always_inline void small_u32(struct small *e, u32 v)
{
	small_put(e, &v, 4);
}

/* Up to `snaplen` (at most SMALL_DATA) bytes of a user buffer of `len` bytes. */
static __always_inline void small_user(struct small *e, const void *p, long len,
				       u32 snaplen)
{
	u32 at = e->pos;
	if (at > SMALL_LEN - SMALL_DATA)
		return;
	/* 64 bits wide: clang compared a 32-bit copy of n with the bound and passed the
	 * original to the helper, and 6.1's verifier does not carry the bound across. */
	u64 n = 0;
	if (p && len > 0) {
		n = len > snaplen ? snaplen : len;
		barrier_var(n);
		if (n > SMALL_DATA || bpf_probe_read_user(&e->d[at], n, p) != 0)
			n = 0;
	}
	small_len(e, n);
	e->pos = at + n;
}

/* Sends the small event to this CPU's ring; counts it, and a drop if it could not go. */
static __always_inline void small_submit(struct small *e)
{
	count(0);
	u32 len = e->pos;
	if (len > SMALL_LEN || e->param != e->nparams) {
		count(2);
		return;
	}
	__builtin_memcpy(&e->d[16], &len, 4);
	ring_output(e->d, len);
}

/* This CPU's scratch buffer. */
static __always_inline struct aux *this_aux(void)
{
	u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&aux_map, &cpu);
}

/* A program of the exit dispatcher's table (exit_programs): NAME_x sends the exit event
 * the schema calls NAME, by running `fill`, a call that uses `regs` (the syscall's
 * registers) and `ret` (its result). User space finds it by that name and installs it for
 * each syscall whose exit event it is. Verified on its own, so its size is its own. */
#define SYSCALL_EXIT(name, fill)                                                       \
	SEC("tp_btf/sys_exit") int BPF_PROG(name##_x, struct pt_regs *regs, long ret)  \
	{                                                                              \
		fill;                                                                  \
		return 0;                                                              \
	}

/* A program of the enter dispatcher's table (enter_programs): NAME_e sends the enter event
 * the schema calls NAME, by running `fill`, a call that uses `regs`. */
#define SYSCALL_ENTER(name, fill)                                                      \
	SEC("tp_btf/sys_enter") int BPF_PROG(name##_e, struct pt_regs *regs, long id)  \
	{                                                                              \
		fill;                                                                  \
		return 0;                                                              \
	}
