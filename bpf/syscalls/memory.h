/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory: mmap, mprotect.
 *
 * Each program NAME_x (SYSCALL_EXIT) is tail-called by the sys_exit dispatcher for the
 * syscalls whose exit event is NAME.
 */

/* Kernel PROT_* and MAP_* (x86_64) as the schema's. */
static __always_inline u32 prot_to_ppm(u64 p)
{
	u32 r = p & 0xf; /* READ, WRITE, EXEC, SEM: the same bits */
	if (p & 0x01000000) r |= PPM_PROT_FLAGS_PROT_GROWSDOWN;
	if (p & 0x02000000) r |= PPM_PROT_FLAGS_PROT_GROWSUP;
	return r;
}

static __always_inline u32 mmap_flags_to_ppm(u64 f)
{
	u32 r = 0;
	if (f & 0x01) r |= PPM_MMAP_FLAGS_MAP_SHARED;
	if (f & 0x02) r |= PPM_MMAP_FLAGS_MAP_PRIVATE;
	if (f & 0x10) r |= PPM_MMAP_FLAGS_MAP_FIXED;
	if (f & 0x20) r |= PPM_MMAP_FLAGS_MAP_ANONYMOUS;
	if (f & 0x40) r |= PPM_MMAP_FLAGS_MAP_32BIT;
	if (f & 0x100) r |= PPM_MMAP_FLAGS_MAP_GROWSDOWN;
	if (f & 0x800) r |= PPM_MMAP_FLAGS_MAP_DENYWRITE;
	if (f & 0x1000) r |= PPM_MMAP_FLAGS_MAP_EXECUTABLE;
	if (f & 0x2000) r |= PPM_MMAP_FLAGS_MAP_LOCKED;
	if (f & 0x4000) r |= PPM_MMAP_FLAGS_MAP_NORESERVE;
	if (f & 0x8000) r |= PPM_MMAP_FLAGS_MAP_POPULATE;
	if (f & 0x10000) r |= PPM_MMAP_FLAGS_MAP_NONBLOCK;
	return r;
}

/* mmap: res, the memory sizes after the call (KiB), addr,
 * length, prot, flags, fd, offset. mprotect: res, addr, length, prot. */
static __always_inline void fill_mmap(struct pt_regs *regs, long ret, bool map)
{
	struct writer w;
	u16 type = map ? PPME_SYSCALL_MMAP_X : PPME_SYSCALL_MPROTECT_X;
	if (!writer_start(&w, type))
		return;
	push_u64(&w, ret);
	if (map)
		push_vm_sizes(&w);
	push_u64(&w, SC_ARG0(regs));
	push_u64(&w, SC_ARG1(regs));
	push_u32(&w, prot_to_ppm(SC_ARG2(regs)));
	if (map) {
		push_u32(&w, mmap_flags_to_ppm(SC_ARG3(regs)));
		push_u64(&w, fd_arg(SC_ARG4(regs)));
		push_u64(&w, SC_ARG5(regs));
	}
	writer_submit(&w);
}

SYSCALL_EXIT(mmap, fill_mmap(regs, ret, true));
SYSCALL_EXIT(mprotect, fill_mmap(regs, ret, false));
