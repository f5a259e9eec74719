// SPDX-License-Identifier: GPL-2.0
/*
 * Reference probes for the live benchmark, on the same tracepoint as Peregrine's probe:
 * `empty` does nothing (the cost of having a program attached at all), `floor` submits a
 * fixed 26-byte event header per syscall exit into the ring buffer of its CPU, without
 * wake-ups (the least any probe that reports every syscall can do), `floor_copy` is the
 * floor that also sends the data of read, write, sendto and recvfrom, as every probe that
 * reports it must.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* One ring buffer per CPU, created and inserted by user space. */
#include "rings.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} drops SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(empty, struct pt_regs *regs, long ret)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor, struct pt_regs *regs, long ret)
{
	u8 hdr[26] = {};
	*(u64 *)&hdr[0] = bpf_ktime_get_boot_ns();
	*(u64 *)&hdr[8] = bpf_get_current_pid_tgid();
	u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);
	if (!ring || bpf_ringbuf_output(ring, hdr, sizeof(hdr), BPF_RB_NO_WAKEUP) != 0) {
		u32 zero = 0;
		u64 *d = bpf_map_lookup_elem(&drops, &zero);
		if (d)
			(*d)++;
	}
	return 0;
}

/* The floor plus the one thing every read, write, sendto or recvfrom event carries that
 * the floor leaves out: up to 80 bytes of the data, copied from user memory as any probe
 * must. (Until 2026-12-05 only read's and write's: redis's replies and requests go by
 * sendto and recvfrom as much as by read and write.) The buffer is the second argument of
 * all four. */
SEC("tp_btf/sys_exit")
int BPF_PROG(floor_copy, struct pt_regs *regs, long ret)
{
	u8 ev[26 + 80] = {};
	u32 len = 26;
	*(u64 *)&ev[0] = bpf_ktime_get_boot_ns();
	*(u64 *)&ev[8] = bpf_get_current_pid_tgid();
	u64 nr = SC_NR(regs);
	bool data = nr == SC_NR_READ || nr == SC_NR_WRITE || nr == SC_NR_SENDTO ||
		    nr == SC_NR_RECVFROM;
	if (data && ret > 0) {
		u32 n = ret > 80 ? 80 : (u32)ret;
		if (bpf_probe_read_user(&ev[26], n, (void *)SC_ARG1(regs)) == 0)
			len += n;
	}
	u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);
	if (!ring || bpf_ringbuf_output(ring, ev, len, BPF_RB_NO_WAKEUP) != 0) {
		u32 zero = 0;
		u64 *d = bpf_map_lookup_elem(&drops, &zero);
		if (d)
			(*d)++;
	}
	return 0;
}
