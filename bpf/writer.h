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

/* The header's fields but its length, at `d`: the timestamp (read now), the thread, the
 * event type and its number of parameters. */
static __always_inline void put_header(u8 *d, struct settings *s, u64 pid_tgid, u16 type,
				       u32 nparams)
{
	*(u64 *)&d[0] = bpf_ktime_get_boot_ns() + s->boot_time;
	*(u64 *)&d[8] = (u32)pid_tgid;
	*(u16 *)&d[20] = type;
	*(u32 *)&d[22] = nparams;
}

/* Starts an event of `type` with the schema's number of parameters for it (ppm_nparams,
 * generated with the event ids; a constant when the type is). False, and nothing to send,
 * when the current process is not to be captured. */
static __always_inline bool writer_start(struct writer *w, u16 type)
{
	u64 pid_tgid;
	struct settings *s = capturing(&pid_tgid);
	if (!s)
		return false;
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
	void *ring = this_ring();
	if (!ring) {
		count(1);
		return;
	}
	if (bpf_ringbuf_output(ring, w->aux->data, len & (HALF - 1), BPF_RB_NO_WAKEUP) != 0)
		count(1);
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
