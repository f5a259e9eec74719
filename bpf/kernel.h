/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel types the probe reads, the same on every architecture; each architecture's
 * vmlinux.h (bpf/<arch>/) includes this and adds its pt_regs. Only the fields the probe
 * uses are declared: with CO-RE (preserve_access_index) libbpf relocates each field access
 * to the running kernel's layout from its BTF, so the order and the missing fields here do
 * not matter.
 */
#ifndef PEREGRINE_KERNEL_H
#define PEREGRINE_KERNEL_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef long long loff_t;
typedef unsigned short umode_t;
typedef unsigned int dev_t;

enum bpf_map_type {
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct list_head {
	struct list_head *next;
	struct list_head *prev;
};

struct qstr {
	const unsigned char *name;
};

struct inode;

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
};

typedef struct {
	uid_t val;
} kuid_t;

typedef struct {
	gid_t val;
} kgid_t;

struct super_block {
	dev_t s_dev;
	unsigned long s_flags;
	unsigned long s_magic;
};

struct timespec64 {
	s64 tv_sec;
	long tv_nsec;
};

struct inode {
	umode_t i_mode;
	kuid_t i_uid;
	kgid_t i_gid;
	unsigned int i_flags;
	unsigned long i_ino;
	struct super_block *i_sb;
	struct timespec64 i_ctime;	/* before Linux 6.6 */
	struct timespec64 i_mtime;	/* before Linux 6.7 */
};

/* The inode's change and modification times moved twice; CO-RE matches these flavours to
 * struct inode and bpf_core_field_exists tells which the running kernel has. */
struct inode___v6_6 {
	struct timespec64 __i_ctime;	/* 6.6 to 6.10 */
	struct timespec64 __i_mtime;	/* 6.7 to 6.10 */
};

/* An overlay file system's inode: the VFS inode and the upper layer's dentry, NULL while
 * the file is only in a lower layer. Its type may be missing (overlay not built, or a
 * module without BTF): bpf_core_type_exists tells. */
struct ovl_inode {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
};

struct inode___v6_11 {
	s64 i_ctime_sec;
	u32 i_ctime_nsec;
	s64 i_mtime_sec;
	u32 i_mtime_nsec;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

/* The mount a vfsmount is part of (`mnt` is a member of struct mount, found by its
 * offset in the running kernel). */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct in6_addr {
	u8 s6_addr[16];
};

/* Fields of the anonymous unions of the kernel's sock_common, declared flat: CO-RE finds
 * them by name inside the anonymous members. */
struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	u32 sk_ack_backlog;	/* read with their size in the running kernel */
	u32 sk_max_ack_backlog;
};

struct socket {
	struct sock *sk;
};

struct sockaddr_un {
	unsigned short sun_family;
	char sun_path[108];
};

struct unix_address {
	struct sockaddr_un name[0];
};

struct unix_sock {
	struct sock *peer;
	struct unix_address *addr;
};

struct file {
	void *private_data;
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
	unsigned int f_mode;
	loff_t f_pos;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

/* Only as a type for kword() (lib/files.h): a struct whose first member is a word, the same
 * in every kernel. */
struct rb_node {
	unsigned long __rb_parent_color;
};

struct files_struct {
	struct fdtable *fdt;
};

typedef struct {
	u64 val;
} kernel_cap_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
	kernel_cap_t cap_inheritable;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
};

/* Before 6.3, a capability set was two u32 words. */
struct kernel_cap_struct___v6_2 {
	u32 cap[2];
};

struct cred___v6_2 {
	struct kernel_cap_struct___v6_2 cap_inheritable;
	struct kernel_cap_struct___v6_2 cap_permitted;
	struct kernel_cap_struct___v6_2 cap_effective;
};

struct rlimit {
	unsigned long rlim_cur;
	unsigned long rlim_max;
};

/* The kernel's upid also holds its namespace: its size is taken from the running kernel
 * (bpf_core_type_size), never from this declaration. */
struct pid_namespace;

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

struct tty_driver {
	int major;
	int minor_start;
};

struct tty_struct {
	int index;
	struct tty_driver *driver;
};

struct signal_struct {
	struct rlimit rlim[16];
	struct pid *pids[4];
	struct tty_struct *tty;
	struct list_head thread_head;	/* the threads of the group, by task_struct.thread_node */
	unsigned int is_child_subreaper : 1;
	unsigned int has_child_subreaper : 1;
};

typedef struct {
	s64 counter;
} atomic_long_t;

/* The resident and swapped page counters (file, anon, swap entries, shmem) before Linux
 * 6.2, atomic counters in mm_struct.rss_stat. */
struct mm_rss_stat {
	atomic_long_t count[4];
};

/* Since Linux 6.2 they are per-CPU counters; `count` is their global value. */
struct percpu_counter {
	s64 count;
};

struct mm_struct___v6_2 {
	struct percpu_counter rss_stat[4];
};

struct mm_struct {
	struct mm_rss_stat rss_stat;
	unsigned long total_vm;
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long env_start;
	unsigned long env_end;
	struct file *exe_file;
};

struct kernfs_node {
	struct kernfs_node *parent;
	const char *name;
};

/* Since Linux 6.15 the parent is `__parent`; CO-RE matches this flavour to kernfs_node. */
struct kernfs_node___v6_15 {
	struct kernfs_node *__parent;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys {
	const char *name;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys *ss;
};

struct css_set {
	struct cgroup_subsys_state *subsys[14];
};

/* The values are the running kernel's, relocated by CO-RE (bpf_core_enum_value). */
enum cgroup_subsys_id {
	cpuset_cgrp_id,
	cpu_cgrp_id,
	cpuacct_cgrp_id,
	io_cgrp_id,
	memory_cgrp_id,
};

struct task_struct {
	pid_t pid;
	pid_t tgid;
	char comm[16];
	int exit_code;
	unsigned long maj_flt;
	unsigned long min_flt;
	kuid_t loginuid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct files_struct *files;
	struct mm_struct *mm;
	const struct cred *cred;
	struct signal_struct *signal;
	struct css_set *cgroups;
	struct pid *thread_pid;
	u64 start_time;	/* monotonic ns */
	unsigned int flags;	/* PF_* */
	struct list_head children;
	struct list_head thread_node;
};

struct pid_namespace {
	struct task_struct *child_reaper;
};

#pragma clang attribute pop

#endif
