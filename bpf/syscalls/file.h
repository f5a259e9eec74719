/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opening and closing files: open, openat, openat2, creat, close, and the enter events of
 * the four opens.
 *
 * Each program NAME_x (SYSCALL_EXIT) is tail-called by the sys_exit dispatcher for the
 * syscalls whose exit event is NAME.
 */

/* Kernel O_* flags as the schema's PPM_O_* flags (K_O_*: the architecture's own values). */
static __always_inline u32 open_flags_to_ppm(u32 flags)
{
	u32 res = 0;
	switch (flags & 3) {
	case 0: res |= PPM_FILE_FLAGS_O_RDONLY; break;
	case 1: res |= PPM_FILE_FLAGS_O_WRONLY; break;
	case 2: res |= PPM_FILE_FLAGS_O_RDWR; break;
	}
	if (flags & 0100) res |= PPM_FILE_FLAGS_O_CREAT;
	if (flags & 0200) res |= PPM_FILE_FLAGS_O_EXCL;
	if (flags & 01000) res |= PPM_FILE_FLAGS_O_TRUNC;
	if (flags & 02000) res |= PPM_FILE_FLAGS_O_APPEND;
	if (flags & 04000) res |= PPM_FILE_FLAGS_O_NONBLOCK;
	if (flags & 010000) res |= PPM_FILE_FLAGS_O_DSYNC;
	if (flags & K_O_DIRECT) res |= PPM_FILE_FLAGS_O_DIRECT;
	if (flags & K_O_LARGEFILE) res |= PPM_FILE_FLAGS_O_LARGEFILE;
	if (flags & K_O_DIRECTORY) res |= PPM_FILE_FLAGS_O_DIRECTORY;
	if (flags & 02000000) res |= PPM_FILE_FLAGS_O_CLOEXEC;
	if (flags & 04000000) res |= PPM_FILE_FLAGS_O_SYNC;
	if ((flags & 020000000) == 020000000) res |= PPM_FILE_FLAGS_O_TMPFILE;
	return res;
}

/* The mode of open/openat: only meaningful when a file may be created. */
static __always_inline u32 open_mode(u32 flags, u32 mode)
{
	if (flags & (0100 | 020000000))
		return mode & 07777;
	return 0;
}

static __always_inline void fill_open(struct pt_regs *regs, long ret, bool at)
{
	struct writer w;
	u16 type = at ? PPME_SYSCALL_OPENAT_2_X : PPME_SYSCALL_OPEN_X;
	if (!writer_start(&w, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs),
		      a2 = SC_ARG2(regs), a3 = SC_ARG3(regs);
	const char *path = (const char *)(at ? a1 : a0);
	u32 flags = at ? a2 : a1;
	u32 mode = at ? a3 : a2;
	u32 dev;
	u64 ino;
	bool created;
	file_ids(ret, &dev, &ino, &created);
	u32 ppm_flags = open_flags_to_ppm(flags);
	if (created)
		ppm_flags |= PPM_FILE_FLAGS_O_F_CREATED;
	push_u64(&w, ret);
	if (at)
		push_u64(&w, (s64)(int)a0);
	push_user_str(&w, path);
	push_u32(&w, ppm_flags);
	push_u32(&w, open_mode(flags, mode));
	push_u32(&w, dev);
	push_u64(&w, ino);
	writer_submit(&w);
}

static __always_inline void fill_close(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_CLOSE_X))
		return;
	push_u64(&w, ret);
	push_u64(&w, (s64)(int)SC_ARG0(regs));
	writer_submit(&w);
}

/* creat: fd, name, mode, dev, ino, creat_flags (overlay layers: not known, 0). */
static __always_inline void fill_creat(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_CREAT_X))
		return;
	u32 dev;
	u64 ino;
	bool created;
	file_ids(ret, &dev, &ino, &created);
	push_u64(&w, ret);
	push_user_str(&w, (const char *)SC_ARG0(regs));
	push_u32(&w, (u32)SC_ARG1(regs) & 07777);
	push_u32(&w, dev);
	push_u64(&w, ino);
	push_u16(&w, 0);
	writer_submit(&w);
}

/* Kernel RESOLVE_* flags as the schema's. */
static __always_inline u32 resolve_to_ppm(u64 f)
{
	u32 r = 0;
	if (f & 0x01) r |= PPM_OPENAT2_FLAGS_RESOLVE_NO_XDEV;
	if (f & 0x02) r |= PPM_OPENAT2_FLAGS_RESOLVE_NO_MAGICLINKS;
	if (f & 0x04) r |= PPM_OPENAT2_FLAGS_RESOLVE_NO_SYMLINKS;
	if (f & 0x08) r |= PPM_OPENAT2_FLAGS_RESOLVE_BENEATH;
	if (f & 0x10) r |= PPM_OPENAT2_FLAGS_RESOLVE_IN_ROOT;
	if (f & 0x20) r |= PPM_OPENAT2_FLAGS_RESOLVE_CACHED;
	return r;
}

/* struct open_how (uapi): flags, mode, resolve, each a u64. */
struct open_how_k {
	u64 flags;
	u64 mode;
	u64 resolve;
};

/* openat2: fd, dirfd, name, flags, mode, resolve, dev, ino. */
static __always_inline void fill_openat2(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_OPENAT2_X))
		return;
	struct open_how_k how = {};
	if (bpf_probe_read_user(&how, sizeof(how), (void *)SC_ARG2(regs)) != 0)
		__builtin_memset(&how, 0, sizeof(how));
	u32 dev;
	u64 ino;
	bool created;
	file_ids(ret, &dev, &ino, &created);
	u32 flags = open_flags_to_ppm((u32)how.flags);
	if (created)
		flags |= PPM_FILE_FLAGS_O_F_CREATED;
	push_u64(&w, ret);
	push_u64(&w, fd_arg(SC_ARG0(regs)));
	push_user_str(&w, (const char *)SC_ARG1(regs));
	push_u32(&w, flags);
	push_u32(&w, open_mode((u32)how.flags, (u32)how.mode));
	push_u32(&w, resolve_to_ppm(how.resolve));
	push_u32(&w, dev);
	push_u64(&w, ino);
	writer_submit(&w);
}

/*
 * Enter events, for the syscalls whose arguments user memory could change between the call
 * and its exit (time of check, time of use): open, openat, openat2, creat and connect. The
 * sys_enter program sends them for the syscalls user space marked (`enter` in the table);
 * it is attached only when enter events are asked for.
 */
static __always_inline void fill_open_enter(struct pt_regs *regs, u16 exit_event)
{
	struct writer w;
	u16 type;
	switch (exit_event) {
	case PPME_SYSCALL_OPEN_X:
		type = PPME_SYSCALL_OPEN_E;
		break;
	case PPME_SYSCALL_OPENAT_2_X:
		type = PPME_SYSCALL_OPENAT_2_E;
		break;
	case PPME_SYSCALL_OPENAT2_X:
		type = PPME_SYSCALL_OPENAT2_E;
		break;
	default:
		type = PPME_SYSCALL_CREAT_E;
		break;
	}
	if (!writer_start(&w, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a2 = SC_ARG2(regs), a3 = SC_ARG3(regs);
	switch (exit_event) {
	case PPME_SYSCALL_OPEN_X:
		push_user_str(&w, (const char *)a0);
		push_u32(&w, open_flags_to_ppm((u32)a1));
		push_u32(&w, open_mode((u32)a1, (u32)a2));
		break;
	case PPME_SYSCALL_OPENAT_2_X:
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, open_flags_to_ppm((u32)a2));
		push_u32(&w, open_mode((u32)a2, (u32)a3));
		break;
	case PPME_SYSCALL_OPENAT2_X: {
		struct open_how_k how = {};
		if (bpf_probe_read_user(&how, sizeof(how), (void *)a2) != 0)
			__builtin_memset(&how, 0, sizeof(how));
		push_u64(&w, fd_arg(a0));
		push_user_str(&w, (const char *)a1);
		push_u32(&w, open_flags_to_ppm((u32)how.flags));
		push_u32(&w, open_mode((u32)how.flags, (u32)how.mode));
		push_u32(&w, resolve_to_ppm(how.resolve));
		break;
	}
	default: /* creat */
		push_user_str(&w, (const char *)a0);
		push_u32(&w, (u32)a1 & 07777);
		break;
	}
	writer_submit(&w);
}

SYSCALL_EXIT(open, fill_open(regs, ret, false));
SYSCALL_EXIT(openat, fill_open(regs, ret, true));
SYSCALL_EXIT(close, fill_close(regs, ret));
SYSCALL_EXIT(creat, fill_creat(regs, ret));
SYSCALL_EXIT(openat2, fill_openat2(regs, ret));

/* Enter events: the arguments as the call started, before user memory could change them
 * (time of check, time of use). */
SYSCALL_ENTER(open, fill_open_enter(regs, PPME_SYSCALL_OPEN_X));
SYSCALL_ENTER(openat, fill_open_enter(regs, PPME_SYSCALL_OPENAT_2_X));
SYSCALL_ENTER(openat2, fill_open_enter(regs, PPME_SYSCALL_OPENAT2_X));
SYSCALL_ENTER(creat, fill_open_enter(regs, PPME_SYSCALL_CREAT_X));
