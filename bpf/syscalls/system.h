/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel itself: ioctl, bpf, init_module, finit_module, delete_module.
 *
 * Each program NAME_x (SYSCALL_EXIT) is tail-called by the sys_exit dispatcher for the
 * syscalls whose exit event is NAME.
 */

/* ioctl, bpf, init_module, finit_module, delete_module. */
static __always_inline void fill_misc(struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a2 = SC_ARG2(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_IOCTL_3_X:
		push_u64(&w, fd_arg(a0));
		push_u64(&w, a1);
		push_u64(&w, a2);
		break;
	case PPME_SYSCALL_BPF_2_X:
		push_u32(&w, (u32)a0);	/* the schema's commands are the kernel's */
		break;
	case PPME_SYSCALL_INIT_MODULE_X:
		push_user_buf(&w, (const void *)a0, a1);
		push_u64(&w, a1);
		push_user_str(&w, (const char *)a2);
		break;
	case PPME_SYSCALL_FINIT_MODULE_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2 & 7);	/* MODULE_INIT_*: the kernel's values */
		break;
	default: { /* delete_module */
		push_user_str(&w, (const char *)a0);
		u32 f = 0;
		if (a1 & K_O_NONBLOCK) f |= PPM_DELETE_MODULE_FLAGS_O_NONBLOCK;
		if (a1 & 01000 /* O_TRUNC */) f |= PPM_DELETE_MODULE_FLAGS_O_TRUNC;
		push_u32(&w, f);
		break;
	}
	}
	writer_submit(&w);
}

SYSCALL_EXIT(ioctl, fill_misc(regs, ret, PPME_SYSCALL_IOCTL_3_X));
SYSCALL_EXIT(bpf, fill_misc(regs, ret, PPME_SYSCALL_BPF_2_X));
SYSCALL_EXIT(init_module, fill_misc(regs, ret, PPME_SYSCALL_INIT_MODULE_X));
SYSCALL_EXIT(finit_module, fill_misc(regs, ret, PPME_SYSCALL_FINIT_MODULE_X));
SYSCALL_EXIT(delete_module, fill_misc(regs, ret, PPME_SYSCALL_DELETE_MODULE_X));
