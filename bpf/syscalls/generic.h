/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic event, for the syscalls without a filler of their own: the schema's syscall
 * code and the native number.
 */

static __always_inline void fill_generic(struct pt_regs *regs)
{
	u32 nr = (u32)SC_NR(regs);
	u16 *code = bpf_map_lookup_elem(&syscall_codes, &nr);
	struct writer w;
	if (!code || !writer_start(&w, PPME_GENERIC_X))
		return;
	push_u16(&w, *code);
	push_u16(&w, (u16)nr);
	writer_submit(&w);
}

SYSCALL_EXIT(syscall, fill_generic(regs));
