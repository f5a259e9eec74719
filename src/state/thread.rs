//! Threads and processes: what each thread is running, as whom, where, and which fds its
//! process holds.

use hashbrown::HashMap;

use super::fd::FdTable;

/// `PPM_CL_*` flags kept on a thread: the clone flags of the clone events' `flags`, plus the
/// bookkeeping bits libsinsp adds.
pub mod clone_flags {
    /// Shares the fd table with its parent (`PPM_CL_CLONE_FILES`).
    pub const CLONE_FILES: u32 = 1 << 0;
    /// Shares the cwd and root with its parent.
    pub const CLONE_FS: u32 = 1 << 1;
    /// Has its creator's parent as its parent.
    pub const CLONE_PARENT: u32 = 1 << 8;
    /// A thread of its creator's process.
    pub const CLONE_THREAD: u32 = 1 << 13;
    /// Shares its creator's memory.
    pub const CLONE_VM: u32 = 1 << 15;
    /// The child's clone returned before the parent's (the child made its own entry).
    pub const CLONE_INVERTED: u32 = 1 << 16;
    /// Its program changed (a new thread, an execve), as libsinsp marks it.
    pub const NAME_CHANGED: u32 = 1 << 17;
    /// The thread has exited; it goes when its last event is done.
    pub const CLOSED: u32 = 1 << 18;
    /// Made an event since the last scan for silent threads.
    pub const ACTIVE: u32 = 1 << 19;
    /// The thread `dup`ed onto stdout / stdin: one end of a shell pipe.
    pub const PIPE_SRC: u32 = 1 << 21;
    /// The other end of a shell pipe (see `PIPE_SRC`).
    pub const PIPE_DST: u32 = 1 << 22;
    /// Made by vfork.
    pub const CLONE_VFORK: u32 = 1 << 27;
    /// The child runs in another pid namespace.
    pub const CHILD_IN_PIDNS: u32 = 1 << 29;
    /// The main thread of its process (tid = pid).
    pub const IS_MAIN_THREAD: u32 = 1 << 30;
}

/// The event type that means "no enter event pending" (`PPM_EVENT_MAX`).
pub const NO_EVENT: u16 = u16::MAX;

/// One thread.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    /// Thread id.
    pub tid: i64,
    /// Process id: the main thread's tid.
    pub pid: i64,
    /// Parent thread id (the process's parent for the main thread).
    pub ptid: i64,
    /// Session id.
    pub sid: i64,
    /// Process group id (`-1` if unknown).
    pub pgid: i64,
    /// Process group id, as seen in the process's pid namespace.
    pub vpgid: i64,
    /// Thread id in the process's pid namespace.
    pub vtid: i64,
    /// Process id in the process's pid namespace.
    pub vpid: i64,
    /// Command name (at most 16 bytes in Linux).
    pub comm: Vec<u8>,
    /// `argv[0]`, or the path executed.
    pub exe: Vec<u8>,
    /// The full path of the executable.
    pub exepath: Vec<u8>,
    /// Whether the executable is writable by the user who ran it (execve's flags).
    pub exe_writable: bool,
    /// execve's `EXE_*` flags (writable, upper layer, memfd, lower layer).
    pub exe_flags: u32,
    /// Inode number of the executable (0 if unknown).
    pub exe_ino: u64,
    /// Status change time of the executable's inode (ns since the epoch, 0 if unknown).
    pub exe_ino_ctime: u64,
    /// Modification time of the executable's inode.
    pub exe_ino_mtime: u64,
    /// Arguments after `argv[0]`, each NUL-terminated.
    pub args: Vec<u8>,
    /// Environment, each entry NUL-terminated.
    pub env: Vec<u8>,
    /// `subsys=path` entries, each NUL-terminated.
    pub cgroups: Vec<u8>,
    /// Root directory (after chroot).
    pub root: Vec<u8>,
    /// Working directory, ending with `/`. Only the main thread's is used: threads of one
    /// process share it.
    pub cwd: Vec<u8>,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Login user id (`auid`), u32::MAX when none.
    pub loginuid: u32,
    /// Controlling terminal (device number), 0 when none.
    pub tty: u32,
    /// `clone_flags::*` and the other `PPM_CL_*` bits of the clone that made the thread.
    pub flags: u32,
    /// Open-file limit (`RLIMIT_NOFILE`).
    pub fdlimit: i64,
    /// Virtual memory size, KiB.
    pub vmsize_kb: u32,
    /// Resident memory, KiB.
    pub vmrss_kb: u32,
    /// Swapped memory, KiB.
    pub vmswap_kb: u32,
    /// Major page faults.
    pub pfmajor: u64,
    /// Minor page faults.
    pub pfminor: u64,
    /// Permitted capabilities (bit mask).
    pub cap_permitted: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// When the thread was created (0 if unknown).
    pub clone_ts: u64,
    /// When it last called execve (0 if unknown).
    pub lastexec_ts: u64,
    /// Timestamp of its last event.
    pub last_event_ts: u64,
    /// Container id from the cgroups (empty on the host).
    pub container_id: String,
    /// Open fds; used when this thread owns them (a main thread, or a thread that does not
    /// share its process's table).
    pub fds: FdTable,
    /// A copy of the last stored enter event, so that its exit can use its parameters.
    pub last_enter: Vec<u8>,
    /// Whether `last_enter` belongs to the exit being parsed.
    pub last_enter_valid: bool,
    /// Type of the last enter event ([`NO_EVENT`] if none).
    pub lastevent_type: u16,
    /// The fd the last enter event was about (`-1` if none).
    pub lastevent_fd: i64,
    /// When the last enter event happened.
    pub last_latency_entertime: u64,
    /// Time between the last enter and its exit.
    pub latency: u64,
    /// Timestamp of the event before the last one.
    pub prev_event_ts: u64,
    /// For a main thread: how many other threads of its process are in the table.
    pub nchilds: u32,
}

impl Thread {
    /// Whether this is the main thread of its process.
    pub fn is_main(&self) -> bool {
        self.tid == self.pid
    }

    /// Whether this thread uses its main thread's fd table (it was cloned with
    /// `CLONE_FILES`).
    pub fn shares_fds(&self) -> bool {
        !self.is_main() && self.flags & clone_flags::CLONE_FILES != 0
    }

    /// Whether the thread was made up from an event of a thread that neither the capture's
    /// process list nor a clone event described.
    pub fn is_fake(&self) -> bool {
        self.comm == b"<NA>" && self.uid == u32::MAX
    }

    /// A thread that nothing is known about but its id.
    pub fn unknown(tid: i64) -> Thread {
        Thread {
            tid,
            pid: tid,
            ptid: -1,
            comm: b"<NA>".to_vec(),
            exe: b"<NA>".to_vec(),
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            ..Thread::new()
        }
    }

    /// A thread with libsinsp's initial values.
    pub fn new() -> Thread {
        Thread {
            pid: -1,
            sid: -1,
            pgid: -1,
            vpgid: -1,
            vtid: -1,
            vpid: -1,
            fdlimit: -1,
            flags: clone_flags::NAME_CHANGED,
            lastevent_type: NO_EVENT,
            ..Thread::default()
        }
    }

    /// The arguments, one by one.
    pub fn args(&self) -> impl Iterator<Item = &[u8]> {
        nul_list(&self.args)
    }

    /// The environment, one `NAME=value` by one.
    pub fn env(&self) -> impl Iterator<Item = &[u8]> {
        nul_list(&self.env)
    }

    /// The cgroups, one `subsys=path` by one.
    pub fn cgroups(&self) -> impl Iterator<Item = &[u8]> + Clone {
        nul_list(&self.cgroups)
    }
}

/// The items of a list of NUL-terminated strings (the last NUL may be missing): `a\0b\0`
/// is `a`, `b`; `\0` is one empty item; an empty list has none.
pub fn nul_list(b: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    let mut it = (!b.is_empty()).then(|| b.strip_suffix(&[0]).unwrap_or(b).split(|&c| c == 0));
    std::iter::from_fn(move || it.as_mut()?.next())
}

/// All known threads, by tid.
#[derive(Debug, Clone, Default)]
pub struct ThreadTable {
    threads: HashMap<i64, Thread>,
}

impl ThreadTable {
    /// The thread `tid`.
    pub fn get(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// The thread `tid`, to update.
    pub fn get_mut(&mut self, tid: i64) -> Option<&mut Thread> {
        self.threads.get_mut(&tid)
    }

    /// Whether `tid` is known.
    pub fn contains(&self, tid: i64) -> bool {
        self.threads.contains_key(&tid)
    }

    /// Adds or replaces a thread.
    pub fn insert(&mut self, t: Thread) {
        self.threads.insert(t.tid, t);
    }

    /// Removes a thread.
    pub fn remove(&mut self, tid: i64) -> Option<Thread> {
        self.threads.remove(&tid)
    }

    /// Number of threads.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// All threads, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Thread> {
        self.threads.values()
    }

    /// All threads, to update.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Thread> {
        self.threads.values_mut()
    }

    /// Keeps the threads for which `keep` says so.
    pub fn retain(&mut self, mut keep: impl FnMut(&Thread) -> bool) {
        self.threads.retain(|_, t| keep(t));
    }

    /// The main thread of `t`'s process (`t` itself if it is the main thread, or if the
    /// main thread is unknown).
    pub fn main_of<'a>(&'a self, t: &'a Thread) -> &'a Thread {
        if t.is_main() {
            return t;
        }
        self.threads.get(&t.pid).unwrap_or(t)
    }

    /// The main thread of `t`'s process, if known (`t` itself for a main thread).
    pub fn main_of_opt<'a>(&'a self, t: &'a Thread) -> Option<&'a Thread> {
        if t.is_main() || t.flags & clone_flags::IS_MAIN_THREAD != 0 {
            Some(t)
        } else {
            self.threads.get(&t.pid)
        }
    }

    /// The tid that owns the fd table `tid` uses: its own, or its main thread's when it was
    /// cloned with `CLONE_FILES` (none if that main thread is unknown).
    pub fn fd_owner(&self, tid: i64) -> Option<i64> {
        let t = self.threads.get(&tid)?;
        if !t.shares_fds() {
            Some(tid)
        } else if self.threads.contains_key(&t.pid) {
            Some(t.pid)
        } else {
            None
        }
    }

    /// The fd table `tid` uses.
    pub fn fds(&self, tid: i64) -> Option<&FdTable> {
        self.fds_of(self.threads.get(&tid)?)
    }

    /// The fd table `t` (a thread of this table) uses: its own, or its main thread's when it
    /// was cloned with `CLONE_FILES` (none if that main thread is unknown). The same as
    /// [`ThreadTable::fds`] of its tid, without looking `t` up again.
    #[inline]
    pub fn fds_of<'a>(&'a self, t: &'a Thread) -> Option<&'a FdTable> {
        if !t.shares_fds() {
            Some(&t.fds)
        } else {
            self.threads.get(&t.pid).map(|m| &m.fds)
        }
    }

    /// The fd table `tid` uses, to update.
    pub fn fds_mut(&mut self, tid: i64) -> Option<&mut FdTable> {
        let owner = self.fd_owner(tid)?;
        self.threads.get_mut(&owner).map(|t| &mut t.fds)
    }

    /// The working directory `t` uses: its main thread's (threads of a process share it),
    /// `./` when the main thread is unknown.
    pub fn cwd_of<'a>(&'a self, t: &'a Thread) -> &'a [u8] {
        if t.is_main() {
            return &t.cwd;
        }
        self.threads.get(&t.pid).map_or(b"./", |m| &m.cwd)
    }

    /// The parent of `t`.
    pub fn parent_of(&self, t: &Thread) -> Option<&Thread> {
        self.threads.get(&t.ptid)
    }
}
