/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processes: clone, fork, vfork, clone3, execve, execveat, and the calls that change a
 * process's cwd, root, session, group, ids, capabilities, namespaces or name (chdir,
 * fchdir, chroot, setsid, setpgid, setuid, setgid, setresuid, setresgid, setreuid,
 * setregid, capset, setns, unshare, prctl), signals (kill, tkill, tgkill) and ptrace.
 *
 * Each program NAME_x (SYSCALL_EXIT) is tail-called by the sys_exit dispatcher for the
 * syscalls whose exit event is NAME.
 */

/* Kernel CLONE_* flags as the schema's PPM_CL_* flags. */
static __always_inline u32 clone_flags_to_ppm(u64 f)
{
	u32 r = 0;
	if (f & 0x00000400) r |= PPM_CLONE_FLAGS_CLONE_FILES;
	if (f & 0x00000200) r |= PPM_CLONE_FLAGS_CLONE_FS;
	if (f & 0x80000000) r |= PPM_CLONE_FLAGS_CLONE_IO;
	if (f & 0x08000000) r |= PPM_CLONE_FLAGS_CLONE_NEWIPC;
	if (f & 0x40000000) r |= PPM_CLONE_FLAGS_CLONE_NEWNET;
	if (f & 0x00020000) r |= PPM_CLONE_FLAGS_CLONE_NEWNS;
	if (f & 0x20000000) r |= PPM_CLONE_FLAGS_CLONE_NEWPID;
	if (f & 0x04000000) r |= PPM_CLONE_FLAGS_CLONE_NEWUTS;
	if (f & 0x00008000) r |= PPM_CLONE_FLAGS_CLONE_PARENT;
	if (f & 0x00100000) r |= PPM_CLONE_FLAGS_CLONE_PARENT_SETTID;
	if (f & 0x00002000) r |= PPM_CLONE_FLAGS_CLONE_PTRACE;
	if (f & 0x00000800) r |= PPM_CLONE_FLAGS_CLONE_SIGHAND;
	if (f & 0x00040000) r |= PPM_CLONE_FLAGS_CLONE_SYSVSEM;
	if (f & 0x00010000) r |= PPM_CLONE_FLAGS_CLONE_THREAD;
	if (f & 0x00800000) r |= PPM_CLONE_FLAGS_CLONE_UNTRACED;
	if (f & 0x00000100) r |= PPM_CLONE_FLAGS_CLONE_VM;
	if (f & 0x10000000) r |= PPM_CLONE_FLAGS_CLONE_NEWUSER;
	if (f & 0x00200000) r |= PPM_CLONE_FLAGS_CLONE_CHILD_CLEARTID;
	if (f & 0x01000000) r |= PPM_CLONE_FLAGS_CLONE_CHILD_SETTID;
	if (f & 0x00080000) r |= PPM_CLONE_FLAGS_CLONE_SETTLS;
	if (f & 0x00004000) r |= PPM_CLONE_FLAGS_CLONE_VFORK;
	if (f & 0x02000000) r |= PPM_CLONE_FLAGS_CLONE_NEWCGROUP;
	return r;
}

static __always_inline void fill_clone(struct pt_regs *regs, long ret,
				       u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
		return;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	u64 flags = 0;
	if (type == PPME_SYSCALL_CLONE_20_X) {
		flags = SC_ARG0(regs);
	} else if (type == PPME_SYSCALL_VFORK_20_X) {
		flags = 0x00000100 | 0x00004000;
	} else if (type == PPME_SYSCALL_CLONE3_X) {
		/* struct clone_args starts with the flags. */
		bpf_probe_read_user(&flags, sizeof(flags), (void *)SC_ARG0(regs));
	}
	push_u64(&w, ret);
	push_exe_args(&w, t);
	push_proc_common(&w, t);
	push_u32(&w, clone_flags_to_ppm(flags));
	push_u32(&w, BPF_CORE_READ(t, cred, euid.val));
	push_u32(&w, BPF_CORE_READ(t, cred, egid.val));
	/* Ids in the task's own pid namespace (the host's outside containers). */
	u32 level = ns_level(t);
	push_u64(&w, pid_nr_at((u64)BPF_CORE_READ(t, thread_pid), level));
	push_u64(&w, pid_nr_at((u64)BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]), level));
	/* When its pid namespace's init started (monotonic ns), told to the new task only. */
	push_u64(&w, pidns_init_start((u64)BPF_CORE_READ(t, thread_pid), ret));
	writer_submit(&w);
}

static __always_inline void fill_execve(struct pt_regs *regs, long ret,
					bool at)
{
	struct writer w;
	u16 type = at ? PPME_SYSCALL_EXECVEAT_X : PPME_SYSCALL_EXECVE_19_X;
	if (!writer_start(&w, type))
		return;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	push_u64(&w, ret);
	push_exe_args(&w, t);
	push_proc_common(&w, t);
	push_env(&w, t);
	push_u32(&w, task_tty(t));
	push_u64(&w, process_group(t, true));	/* vpgid */
	push_u32(&w, BPF_CORE_READ(t, loginuid.val));
	push_u32(&w, ret == 0 ? exe_flags((u64)t) : 0);	/* flags */
	push_u64(&w, task_caps((u64)t, CAPS_INHERITABLE));
	push_u64(&w, task_caps((u64)t, CAPS_PERMITTED));
	push_u64(&w, task_caps((u64)t, CAPS_EFFECTIVE));
	push_u64(&w, exe_inode((u64)t, ret, EXE_INO));
	push_u64(&w, exe_inode((u64)t, ret, EXE_CTIME));
	push_u64(&w, exe_inode((u64)t, ret, EXE_MTIME));
	push_u32(&w, BPF_CORE_READ(t, cred, euid.val));
	set_len(&w, (u16)exe_path_into(w.aux, w.pos, (u64)t, ret));	/* trusted_exepath */
	push_u64(&w, process_group(t, false));	/* pgid */
	push_u32(&w, BPF_CORE_READ(t, cred, egid.val));
	if (!at) {
		/* The path asked for; after a successful exec the old memory is gone. */
		if (ret < 0)
			push_user_str(&w, (const char *)SC_ARG0(regs));
		else
			push_empty_str(&w);
	}
	writer_submit(&w);
}

static __always_inline void fill_setuid(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_SETUID_X))
		return;
	push_u64(&w, ret);
	push_u32(&w, (u32)SC_ARG0(regs));
	writer_submit(&w);
}

/* The calls that change the process's cwd, root, session, group, ids, capabilities,
 * namespaces or name: chdir, fchdir, chroot, setsid, setpgid, setgid, setresuid,
 * setresgid, setreuid, setregid, capset, setns, unshare. */
static __always_inline void fill_proc_op(struct pt_regs *regs, long ret,
					 u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
		return;
	unsigned long a0 = SC_ARG0(regs), a1 = SC_ARG1(regs), a2 = SC_ARG2(regs);
	push_u64(&w, ret);
	switch (type) {
	case PPME_SYSCALL_CHDIR_X:
	case PPME_SYSCALL_CHROOT_X:
		push_user_str(&w, (const char *)a0);
		break;
	case PPME_SYSCALL_FCHDIR_X:
		push_u64(&w, fd_arg(a0));
		break;
	case PPME_SYSCALL_SETSID_X:
		break;
	case PPME_SYSCALL_SETPGID_X:
		push_u64(&w, (s64)(int)a0);
		push_u64(&w, (s64)(int)a1);
		break;
	case PPME_SYSCALL_SETGID_X:
		push_u32(&w, (u32)a0);
		break;
	case PPME_SYSCALL_SETRESUID_X:
	case PPME_SYSCALL_SETRESGID_X:
		push_u32(&w, (u32)a0);
		push_u32(&w, (u32)a1);
		push_u32(&w, (u32)a2);
		break;
	case PPME_SYSCALL_SETREUID_X:
	case PPME_SYSCALL_SETREGID_X:
		push_u32(&w, (u32)a0);
		push_u32(&w, (u32)a1);
		break;
	case PPME_SYSCALL_CAPSET_X: {
		/* The sets as they are after the call (the schema's bits are the kernel's). */
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		push_u64(&w, task_caps((u64)t, CAPS_INHERITABLE));
		push_u64(&w, task_caps((u64)t, CAPS_PERMITTED));
		push_u64(&w, task_caps((u64)t, CAPS_EFFECTIVE));
		break;
	}
	case PPME_SYSCALL_SETNS_X:
		push_u64(&w, fd_arg(a0));
		push_u32(&w, clone_flags_to_ppm((u32)a1));
		break;
	default: /* unshare */
		push_u32(&w, clone_flags_to_ppm((u32)a0));
		break;
	}
	writer_submit(&w);
}

#define K_PR_SET_NAME 15
#define K_PR_GET_NAME 16
#define K_PR_GET_CHILD_SUBREAPER 37

/* prctl: res, option (the schema's PR_* values are the kernel's), the name for
 * PR_SET_NAME/PR_GET_NAME, else arg2 as a number (read through the pointer for
 * PR_GET_CHILD_SUBREAPER). */
static __always_inline void fill_prctl(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_PRCTL_X))
		return;
	u32 option = (u32)SC_ARG0(regs);
	unsigned long arg2 = SC_ARG1(regs);
	push_u64(&w, ret);
	push_u32(&w, option);
	if (option == K_PR_SET_NAME || option == K_PR_GET_NAME) {
		push_user_str(&w, (const char *)arg2);
		push_u64(&w, 0);
	} else if (option == K_PR_GET_CHILD_SUBREAPER) {
		s32 v = 0;
		bpf_probe_read_user(&v, sizeof(v), (void *)arg2);
		push_empty_str(&w);
		push_u64(&w, (s64)v);
	} else {
		push_empty_str(&w);
		push_u64(&w, arg2);
	}
	writer_submit(&w);
}

/* kill, tkill, tgkill: res, the target(s), the signal (the schema's numbers are the
 * kernel's). */
static __always_inline void fill_kill(struct pt_regs *regs, long ret, u16 type)
{
	struct writer w;
	if (!writer_start(&w, type))
		return;
	push_u64(&w, ret);
	push_u64(&w, (s64)(int)SC_ARG0(regs));
	if (type == PPME_SYSCALL_TGKILL_X) {
		push_u64(&w, (s64)(int)SC_ARG1(regs));
		push_u8(&w, (u8)SC_ARG2(regs));
	} else {
		push_u8(&w, (u8)SC_ARG1(regs));
	}
	writer_submit(&w);
}

/* Kernel PTRACE_* requests as the schema's PPM_PTRACE_* values. */
static __always_inline u16 ptrace_request_to_ppm(u32 req)
{
	switch (req) {
	case 0: return PPM_PTRACE_REQUESTS_PTRACE_TRACEME;
	case 1: return PPM_PTRACE_REQUESTS_PTRACE_PEEKTEXT;
	case 2: return PPM_PTRACE_REQUESTS_PTRACE_PEEKDATA;
	case 3: return PPM_PTRACE_REQUESTS_PTRACE_PEEKUSR;
	case 4: return PPM_PTRACE_REQUESTS_PTRACE_POKETEXT;
	case 5: return PPM_PTRACE_REQUESTS_PTRACE_POKEDATA;
	case 6: return PPM_PTRACE_REQUESTS_PTRACE_POKEUSR;
	case 7: return PPM_PTRACE_REQUESTS_PTRACE_CONT;
	case 8: return PPM_PTRACE_REQUESTS_PTRACE_KILL;
	case 9: return PPM_PTRACE_REQUESTS_PTRACE_SINGLESTEP;
	case 12: return PPM_PTRACE_REQUESTS_PTRACE_GETREGS;
	case 13: return PPM_PTRACE_REQUESTS_PTRACE_SETREGS;
	case 14: return PPM_PTRACE_REQUESTS_PTRACE_GETFPREGS;
	case 15: return PPM_PTRACE_REQUESTS_PTRACE_SETFPREGS;
	case 16: return PPM_PTRACE_REQUESTS_PTRACE_ATTACH;
	case 17: return PPM_PTRACE_REQUESTS_PTRACE_DETACH;
	case 18: return PPM_PTRACE_REQUESTS_PTRACE_GETFPXREGS;
	case 19: return PPM_PTRACE_REQUESTS_PTRACE_SETFPXREGS;
	case 21: return PPM_PTRACE_REQUESTS_PTRACE_OLDSETOPTIONS;
	case 24: return PPM_PTRACE_REQUESTS_PTRACE_SYSCALL;
	case 25: return PPM_PTRACE_REQUESTS_PTRACE_GET_THREAD_AREA;
	case 26: return PPM_PTRACE_REQUESTS_PTRACE_SET_THREAD_AREA;
	case 30: return PPM_PTRACE_REQUESTS_PTRACE_ARCH_PRCTL;
	case 31: return PPM_PTRACE_REQUESTS_PTRACE_SYSEMU;
	case 32: return PPM_PTRACE_REQUESTS_PTRACE_SYSEMU_SINGLESTEP;
	case 33: return PPM_PTRACE_REQUESTS_PTRACE_SINGLEBLOCK;
	case 0x4200: return PPM_PTRACE_REQUESTS_PTRACE_SETOPTIONS;
	case 0x4201: return PPM_PTRACE_REQUESTS_PTRACE_GETEVENTMSG;
	case 0x4202: return PPM_PTRACE_REQUESTS_PTRACE_GETSIGINFO;
	case 0x4203: return PPM_PTRACE_REQUESTS_PTRACE_SETSIGINFO;
	case 0x4204: return PPM_PTRACE_REQUESTS_PTRACE_GETREGSET;
	case 0x4205: return PPM_PTRACE_REQUESTS_PTRACE_SETREGSET;
	case 0x4206: return PPM_PTRACE_REQUESTS_PTRACE_SEIZE;
	case 0x4207: return PPM_PTRACE_REQUESTS_PTRACE_INTERRUPT;
	case 0x4208: return PPM_PTRACE_REQUESTS_PTRACE_LISTEN;
	case 0x4209: return PPM_PTRACE_REQUESTS_PTRACE_PEEKSIGINFO;
	case 0x420a: return PPM_PTRACE_REQUESTS_PTRACE_GETSIGMASK;
	case 0x420b: return PPM_PTRACE_REQUESTS_PTRACE_SETSIGMASK;
	default: return PPM_PTRACE_REQUESTS_PTRACE_UNKNOWN;
	}
}

/* The schema's ptrace_dynamic_param: a one-byte index, then a u64 (index 0) or a signal
 * (index 1). */
#define PTRACE_IDX_UINT64 0
#define PTRACE_IDX_SIGTYPE 1

static __always_inline void push_ptrace_u64(struct writer *w, u64 v)
{
	u8 *d = &w->aux->data[SAFE(w->pos)];
	d[0] = PTRACE_IDX_UINT64;
	__builtin_memcpy(&d[1], &v, 8);
	set_len(w, 9);
}

/* ptrace: res, addr, data (what a PEEK read, the signal of CONT/SINGLESTEP/DETACH/SYSCALL,
 * else the argument; 0 on failure), request, pid. */
static __always_inline void fill_ptrace(struct pt_regs *regs, long ret)
{
	struct writer w;
	if (!writer_start(&w, PPME_SYSCALL_PTRACE_X))
		return;
	u16 req = ptrace_request_to_ppm((u32)SC_ARG0(regs));
	unsigned long addr = SC_ARG2(regs), data = SC_ARG3(regs);
	push_u64(&w, ret);
	push_ptrace_u64(&w, ret < 0 ? 0 : addr);
	if (ret < 0) {
		push_ptrace_u64(&w, 0);
	} else if (req == PPM_PTRACE_REQUESTS_PTRACE_PEEKTEXT ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_PEEKDATA ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_PEEKUSR) {
		u64 v = 0;
		bpf_probe_read_user(&v, sizeof(v), (void *)data);
		push_ptrace_u64(&w, v);
	} else if (req == PPM_PTRACE_REQUESTS_PTRACE_CONT ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_SINGLESTEP ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_DETACH ||
		   req == PPM_PTRACE_REQUESTS_PTRACE_SYSCALL) {
		u8 *d = &w.aux->data[SAFE(w.pos)];
		d[0] = PTRACE_IDX_SIGTYPE;
		d[1] = (u8)data;
		set_len(&w, 2);
	} else {
		push_ptrace_u64(&w, data);
	}
	push_u16(&w, req);
	push_u64(&w, (s64)(int)SC_ARG1(regs));
	writer_submit(&w);
}

SYSCALL_EXIT(clone, fill_clone(regs, ret, PPME_SYSCALL_CLONE_20_X));
SYSCALL_EXIT(fork, fill_clone(regs, ret, PPME_SYSCALL_FORK_20_X));
SYSCALL_EXIT(vfork, fill_clone(regs, ret, PPME_SYSCALL_VFORK_20_X));
SYSCALL_EXIT(clone3, fill_clone(regs, ret, PPME_SYSCALL_CLONE3_X));
SYSCALL_EXIT(execve, fill_execve(regs, ret, false));
SYSCALL_EXIT(execveat, fill_execve(regs, ret, true));
SYSCALL_EXIT(setuid, fill_setuid(regs, ret));
SYSCALL_EXIT(chdir, fill_proc_op(regs, ret, PPME_SYSCALL_CHDIR_X));
SYSCALL_EXIT(fchdir, fill_proc_op(regs, ret, PPME_SYSCALL_FCHDIR_X));
SYSCALL_EXIT(chroot, fill_proc_op(regs, ret, PPME_SYSCALL_CHROOT_X));
SYSCALL_EXIT(setsid, fill_proc_op(regs, ret, PPME_SYSCALL_SETSID_X));
SYSCALL_EXIT(setpgid, fill_proc_op(regs, ret, PPME_SYSCALL_SETPGID_X));
SYSCALL_EXIT(setgid, fill_proc_op(regs, ret, PPME_SYSCALL_SETGID_X));
SYSCALL_EXIT(setresuid, fill_proc_op(regs, ret, PPME_SYSCALL_SETRESUID_X));
SYSCALL_EXIT(setresgid, fill_proc_op(regs, ret, PPME_SYSCALL_SETRESGID_X));
SYSCALL_EXIT(setreuid, fill_proc_op(regs, ret, PPME_SYSCALL_SETREUID_X));
SYSCALL_EXIT(setregid, fill_proc_op(regs, ret, PPME_SYSCALL_SETREGID_X));
SYSCALL_EXIT(capset, fill_proc_op(regs, ret, PPME_SYSCALL_CAPSET_X));
SYSCALL_EXIT(setns, fill_proc_op(regs, ret, PPME_SYSCALL_SETNS_X));
SYSCALL_EXIT(unshare, fill_proc_op(regs, ret, PPME_SYSCALL_UNSHARE_X));
SYSCALL_EXIT(prctl, fill_prctl(regs, ret));
SYSCALL_EXIT(kill, fill_kill(regs, ret, PPME_SYSCALL_KILL_X));
SYSCALL_EXIT(tkill, fill_kill(regs, ret, PPME_SYSCALL_TKILL_X));
SYSCALL_EXIT(tgkill, fill_kill(regs, ret, PPME_SYSCALL_TGKILL_X));
SYSCALL_EXIT(ptrace, fill_ptrace(regs, ret));
