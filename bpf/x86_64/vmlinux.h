/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel types the probe reads, for x86_64: the common ones (kernel.h), the syscall
 * registers, and the values of the kernel's flags that differ between architectures. The
 * layout of pt_regs is the architecture's ABI and is stable.
 */
#ifndef PEREGRINE_VMLINUX_H
#define PEREGRINE_VMLINUX_H

#include "kernel.h"

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

#pragma clang attribute pop

/* The syscall's number and arguments, at its entry and at its exit. */
#define SC_NR(regs) ((regs)->orig_ax)
#define SC_ARG0(regs) ((regs)->di)
#define SC_ARG1(regs) ((regs)->si)
#define SC_ARG2(regs) ((regs)->dx)
#define SC_ARG3(regs) ((regs)->r10)
#define SC_ARG4(regs) ((regs)->r8)
#define SC_ARG5(regs) ((regs)->r9)

/* Native numbers of the syscalls that move data: the dispatcher reaches their programs by
 * direct tail calls, and the live benchmark's reference probe copies the data of read,
 * write, sendto and recvfrom. */
#define SC_NR_READ 0
#define SC_NR_WRITE 1
#define SC_NR_PREAD64 17
#define SC_NR_PWRITE64 18
#define SC_NR_READV 19
#define SC_NR_WRITEV 20
#define SC_NR_SENDTO 44
#define SC_NR_RECVFROM 45
#define SC_NR_SENDMSG 46
#define SC_NR_RECVMSG 47

/* O_* flags whose values are the architecture's own. */
#define K_O_DIRECT 040000
#define K_O_LARGEFILE 0100000
#define K_O_DIRECTORY 0200000

#endif
