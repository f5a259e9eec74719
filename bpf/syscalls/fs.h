/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file system calls that name paths: unlink, unlinkat, rename, renameat, renameat2,
 * mkdir, mkdirat, rmdir, link, linkat, symlink, symlinkat, chmod, fchmod, fchmodat, chown,
 * lchown, fchown, fchownat, mount, umount2.
 *
 * Each program NAME_x (SYSCALL_EXIT) is tail-called by the sys_exit dispatcher for the
 * syscalls whose exit event is NAME.
 */

/* unlink, unlinkat, rename, renameat, renameat2: paths relative to directory fds. */
static __always_inline void fill_path_op(struct pt_regs *regs, long ret,
					 u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs),
		      a2 = SC_ARG2(regs), a3 = SC_ARG3(regs),
		      a4 = SC_ARG4(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_UNLINK_2_X:
		push_user_str(&w, (const char *)a0);
		break;
	case PPME_SYSCALL_UNLINKAT_2_X:
		push_u64(&w, (s64)(int)a0);
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2 & 0x200);
		break;
	case PPME_SYSCALL_RENAME_X:
		push_user_str(&w, (const char *)a0);
		push_user_str(&w, (const char *)a1);
		break;
	default: /* renameat, renameat2 */
		push_u64(&w, (s64)(int)a0);
		push_user_str(&w, (const char *)a1);
		push_u64(&w, (s64)(int)a2);
		push_user_str(&w, (const char *)a3);
		if (type == PPME_SYSCALL_RENAMEAT2_X)
			push_u32(&w, (u32)a4 & 7);
		break;
	}
	writer_submit(&w);
}

#define K_AT_SYMLINK_NOFOLLOW 0x100
#define K_AT_EMPTY_PATH 0x1000
#define MS_MGC_MSK 0xffff0000u
#define MS_MGC_VAL 0xc0ed0000u

/* The filesystem calls that name paths: mount, umount2, mkdir, mkdirat, rmdir, link,
 * linkat, symlink, symlinkat, chmod, fchmod, fchmodat, chown, lchown, fchown, fchownat.
 * The schema's mount, umount, linkat and chmod flag values are the kernel's. */
static __always_inline void fill_fs_op(struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a2 = SC_ARG2(regs), a3 = SC_ARG3(regs),
		      a4 = SC_ARG4(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_MOUNT_X: {
		push_user_str(&w, (const char *)a0);
		push_user_str(&w, (const char *)a1);
		push_user_str(&w, (const char *)a2);
		u32 flags = (u32)a3;
		/* The magic number old callers put in the top half is no flag. */
		if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
			flags &= ~MS_MGC_MSK;
		push_u32(&w, flags);
		break;
	}
	case PPME_SYSCALL_UMOUNT2_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1 & 0xf);
		break;
	case PPME_SYSCALL_MKDIR_2_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1);
		break;
	case PPME_SYSCALL_MKDIRAT_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2);
		break;
	case PPME_SYSCALL_RMDIR_2_X:
		push_user_str(&w, (const char *)a0);
		break;
	case PPME_SYSCALL_LINK_2_X:
	case PPME_SYSCALL_SYMLINK_X:
		push_user_str(&w, (const char *)a0);
		push_user_str(&w, (const char *)a1);
		break;
	case PPME_SYSCALL_LINKAT_2_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u64(&w, fd_arg(a2));
		push_user_str(&w, (const char *)a3);
		push_u32(&w, (u32)a4 & (PPM_LINKAT_FLAGS_AT_SYMLINK_FOLLOW |
					PPM_LINKAT_FLAGS_AT_EMPTY_PATH));
		break;
	case PPME_SYSCALL_SYMLINKAT_X:
		push_user_str(&w, (const char *)a0);
		push_u64(&w, fd_arg(a1));
		push_user_str(&w, (const char *)a2);
		break;
	case PPME_SYSCALL_CHMOD_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1 & 07777);
		break;
	case PPME_SYSCALL_FCHMOD_X:
		push_u64(&w, fd_arg(a0));
		push_u32(&w, (u32)a1 & 07777);
		break;
	case PPME_SYSCALL_FCHMODAT_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2 & 07777);
		break;
	case PPME_SYSCALL_CHOWN_X:
	case PPME_SYSCALL_LCHOWN_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1);
		push_u32(&w, (u32)a2);
		break;
	case PPME_SYSCALL_FCHOWN_X:
		push_u64(&w, fd_arg(a0));
		push_u32(&w, (u32)a1);
		push_u32(&w, (u32)a2);
		break;
	default: { /* fchownat */
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, (u32)a2);
		push_u32(&w, (u32)a3);
		u32 f = 0;
		if (a4 & K_AT_SYMLINK_NOFOLLOW) f |= PPM_FCHOWNAT_FLAGS_AT_SYMLINK_NOFOLLOW;
		if (a4 & K_AT_EMPTY_PATH) f |= PPM_FCHOWNAT_FLAGS_AT_EMPTY_PATH;
		push_u32(&w, f);
		break;
	}
	}
	writer_submit(&w);
}

SYSCALL_EXIT(unlink, fill_path_op(regs, ret, PPME_SYSCALL_UNLINK_2_X));
SYSCALL_EXIT(unlinkat, fill_path_op(regs, ret, PPME_SYSCALL_UNLINKAT_2_X));
SYSCALL_EXIT(rename, fill_path_op(regs, ret, PPME_SYSCALL_RENAME_X));
SYSCALL_EXIT(renameat, fill_path_op(regs, ret, PPME_SYSCALL_RENAMEAT_X));
SYSCALL_EXIT(renameat2, fill_path_op(regs, ret, PPME_SYSCALL_RENAMEAT2_X));
SYSCALL_EXIT(mount, fill_fs_op(regs, ret, PPME_SYSCALL_MOUNT_X));
SYSCALL_EXIT(umount2, fill_fs_op(regs, ret, PPME_SYSCALL_UMOUNT2_X));
SYSCALL_EXIT(mkdir, fill_fs_op(regs, ret, PPME_SYSCALL_MKDIR_2_X));
SYSCALL_EXIT(mkdirat, fill_fs_op(regs, ret, PPME_SYSCALL_MKDIRAT_X));
SYSCALL_EXIT(rmdir, fill_fs_op(regs, ret, PPME_SYSCALL_RMDIR_2_X));
SYSCALL_EXIT(link, fill_fs_op(regs, ret, PPME_SYSCALL_LINK_2_X));
SYSCALL_EXIT(linkat, fill_fs_op(regs, ret, PPME_SYSCALL_LINKAT_2_X));
SYSCALL_EXIT(symlink, fill_fs_op(regs, ret, PPME_SYSCALL_SYMLINK_X));
SYSCALL_EXIT(symlinkat, fill_fs_op(regs, ret, PPME_SYSCALL_SYMLINKAT_X));
SYSCALL_EXIT(chmod, fill_fs_op(regs, ret, PPME_SYSCALL_CHMOD_X));
SYSCALL_EXIT(fchmod, fill_fs_op(regs, ret, PPME_SYSCALL_FCHMOD_X));
SYSCALL_EXIT(fchmodat, fill_fs_op(regs, ret, PPME_SYSCALL_FCHMODAT_X));
SYSCALL_EXIT(chown, fill_fs_op(regs, ret, PPME_SYSCALL_CHOWN_X));
SYSCALL_EXIT(lchown, fill_fs_op(regs, ret, PPME_SYSCALL_LCHOWN_X));
SYSCALL_EXIT(fchown, fill_fs_op(regs, ret, PPME_SYSCALL_FCHOWN_X));
SYSCALL_EXIT(fchownat, fill_fs_op(regs, ret, PPME_SYSCALL_FCHOWNAT_X));
