// SPDX-License-Identifier: GPL-2.0
/*
 * Peregrine's probe. Each syscall exit becomes one event in the Falco layout, written into
 * the ring buffer of the CPU it ran on.
 *
 * The attached programs are here: `sys_exit` (tp_btf) tail-calls the program of the syscall
 * (exit_programs, indexed by native syscall number), `NAME_x` in syscalls/, for syscalls
 * with a filler (by a direct jump for those that move data: DIRECT below). The others
 * have no entry, the tail call falls through, and the dispatcher itself writes the generic
 * event if syscall_codes has a code for the syscall (syscalls/generic.h); a syscall nobody
 * asked for has neither, and costs one failed tail call and one table load. The process
 * and CPU filters are checked as an event starts. `sys_enter`, attached only when enter
 * events are asked for, does the same with enter_programs for open, openat, openat2, creat
 * and connect. `sched_process_exit` sends procexit. Each program is verified on its own,
 * so a filler's size is its own, far from the verifier's limit (tests/live.rs checks every
 * program's count).
 *
 * The syscall's registers come as a BTF-typed pointer, read directly (no helper call).
 *
 * Event layout (the scap layout the user-space side reads from files too): a 26-byte header
 * (ts u64, tid u64, len u32, type u16, nparams u32), one u16 length per parameter, then the
 * values.
 *
 * The probe is one compilation unit: the headers below are included in this order, each
 * using what the ones before it define.
 */

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "events.h"

char LICENSE[] SEC("license") = "GPL";

#include "maps.h"
#include "writer.h"

#include "lib/files.h"
#include "lib/process.h"
#include "lib/sockets.h"

#include "syscalls/generic.h"
#include "syscalls/file.h"
#include "syscalls/io.h"
#include "syscalls/fs.h"
#include "syscalls/fd.h"
#include "syscalls/net.h"
#include "syscalls/process.h"
#include "syscalls/memory.h"
#include "syscalls/system.h"

/* A tail call to the program of a syscall that moves data (the commonest events with a
 * program of their own) through a constant index, which the JIT makes a direct jump,
 * patched when user space installs the program. Through a variable index it is an
 * indirect jump, which the retpolines of a kernel mitigating Spectre v2 make about 8 ns
 * dearer an event (the read/write loop's probe: 167 against 159 ns). When the syscall has
 * no program (not captured), the dispatcher goes on as for any other. */
#define DIRECT(nr)                                                    \
	case nr:                                                      \
		bpf_tail_call_static(ctx, &exit_programs, nr);        \
		break;

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	u32 nr = (u32)SC_NR(regs);
	switch (nr) {
	DIRECT(SC_NR_READ)
	DIRECT(SC_NR_WRITE)
	DIRECT(SC_NR_PREAD64)
	DIRECT(SC_NR_PWRITE64)
	DIRECT(SC_NR_READV)
	DIRECT(SC_NR_WRITEV)
	DIRECT(SC_NR_SENDTO)
	DIRECT(SC_NR_RECVFROM)
	DIRECT(SC_NR_SENDMSG)
	DIRECT(SC_NR_RECVMSG)
	}
	if (nr < SYSCALL_TABLE_SIZE) {
		bpf_tail_call(ctx, &exit_programs, nr);
		fill_generic(nr);
	}
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	u32 nr = (u32)id;
	if (nr < SYSCALL_TABLE_SIZE)
		bpf_tail_call(ctx, &enter_programs, nr);
	return 0;
}

/* A process or thread ends: the exit status as wait() reports it, and the thread that
 * adopts its children. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	struct writer w;
	if (!writer_start(&w, PPME_PROCEXIT_1_E))
		return 0;
	s64 code = BPF_CORE_READ(p, exit_code);
	push_u64(&w, code);
	push_u64(&w, (code >> 8) & 0xff);
	push_u8(&w, code & 0x7f);
	push_u8(&w, (code & 0x80) != 0);
	/* The exiting task is the current one (and a scalar, as a global function takes). */
	push_u64(&w, new_reaper(bpf_get_current_task()));
	writer_submit(&w);
	return 0;
}
