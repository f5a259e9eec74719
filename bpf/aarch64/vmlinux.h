/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel types the probe reads, for aarch64: the common ones (kernel.h), the syscall
 * registers, and the values of the kernel's flags that differ between architectures. The
 * fields of pt_regs are found by name (CO-RE), inside the kernel's anonymous union too.
 */
#ifndef PEREGRINE_VMLINUX_H
#define PEREGRINE_VMLINUX_H

#include "kernel.h"

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	u64 regs[31];
	u64 sp;
	u64 pc;
	u64 pstate;
	u64 orig_x0;
	s32 syscallno;
};

#pragma clang attribute pop

/* The syscall's number and arguments, at its entry and at its exit: x0 holds the result at
 * the exit, the first argument stays in orig_x0. */
#define SC_NR(regs) ((regs)->syscallno)
#define SC_ARG0(regs) ((regs)->orig_x0)
#define SC_ARG1(regs) ((regs)->regs[1])
#define SC_ARG2(regs) ((regs)->regs[2])
#define SC_ARG3(regs) ((regs)->regs[3])
#define SC_ARG4(regs) ((regs)->regs[4])
#define SC_ARG5(regs) ((regs)->regs[5])

/* Native numbers of the syscalls that move data: the dispatcher reaches their programs by
 * direct tail calls, and the live benchmark's reference probe copies the data of read,
 * write, sendto and recvfrom. */
#define SC_NR_READ 63
#define SC_NR_WRITE 64
#define SC_NR_PREAD64 67
#define SC_NR_PWRITE64 68
#define SC_NR_READV 65
#define SC_NR_WRITEV 66
#define SC_NR_SENDTO 206
#define SC_NR_RECVFROM 207
#define SC_NR_SENDMSG 211
#define SC_NR_RECVMSG 212

/* O_* flags whose values are the architecture's own. */
#define K_O_DIRECTORY 040000
#define K_O_DIRECT 0200000
#define K_O_LARGEFILE 0400000

#endif
