/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic event, for the syscalls without a filler of their own: the schema's syscall
 * code and the native number.
 *
 * The most frequent event of most workloads (every syscall without a filler), and the only
 * one whose size is fixed: it is written in place in the ring, reserved at its exact size,
 * without the scratch buffer and the copy out of it that the writer makes.
 */

#define GENERIC_LEN (HDR_LEN + 2 * 2 + 2 + 2)

static __always_inline void fill_generic(struct pt_regs *regs)
{
	u32 nr = (u32)SC_NR(regs);
	u16 *code = bpf_map_lookup_elem(&syscall_codes, &nr);
	u64 pid_tgid;
	struct settings *s = capturing(&pid_tgid);
	if (!code || !s)
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

SYSCALL_EXIT(syscall, fill_generic(regs));
