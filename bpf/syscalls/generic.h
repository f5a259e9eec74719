/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic event, for the syscalls without a filler of their own: the schema's syscall
 * code and the native number.
 *
 * The most frequent event of most workloads (every syscall without a filler), and the only
 * one whose size is fixed: it is written in place in the ring, reserved at its exact size,
 * without the scratch buffer and the copy out of it that the writer makes. It is not a
 * program of the table but the dispatcher's own code, run when the tail call falls
 * through, so the commonest event pays no tail call: syscall_codes has the code of each
 * generic syscall to capture, and 0 (no code: not captured) for every other.
 */

#define GENERIC_LEN (HDR_LEN + 2 * 2 + 2 + 2)

static __always_inline void fill_generic(u32 nr)
{
	u16 *code = bpf_map_lookup_elem(&syscall_codes, &nr);
	if (!code || *code == 0)
		return;
	u64 pid_tgid;
	struct settings *s = capturing(&pid_tgid);
	if (!s)
		return;
	count(0);
	void *ring = this_ring();
	u8 *e = ring ? bpf_ringbuf_reserve(ring, GENERIC_LEN, 0) : NULL;
	if (!e) {
		count(1);
		return;
	}
	put_header(e, s, pid_tgid, PPME_GENERIC_X, 2);
	*(u32 *)&e[16] = GENERIC_LEN;
	*(u16 *)&e[26] = 2;
	*(u16 *)&e[28] = 2;
	*(u16 *)&e[30] = *code;
	*(u16 *)&e[32] = (u16)nr;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}
