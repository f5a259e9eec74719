/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One BPF ring buffer per CPU, in an array of maps indexed by CPU. User space sizes the
 * array to the number of CPUs, sets the inner map template to the ring size it wants, and
 * inserts one ring per CPU (src/capture/live/mod.rs). Shared by the probe and the live
 * benchmark's reference probes, so both write the same way.
 */
#ifndef PEREGRINE_RINGS_H
#define PEREGRINE_RINGS_H

struct ringbuf_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096 * 64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, u32);
	__array(values, struct ringbuf_map);
} rings SEC(".maps");

#endif
