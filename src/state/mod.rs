//! What the events have told so far: threads and their processes, each process's open fds,
//! users and groups, containers. The `parse` module keeps it up to date; fields read it.

pub mod container;
pub mod fd;
pub mod ifaces;
pub mod path;
pub mod sock;
pub mod thread;
pub mod users;

pub use container::{Container, Containers};
pub use fd::{FdFlags, FdInfo, FdKind, FdTable};
pub use ifaces::Interfaces;
pub use thread::{Thread, ThreadTable};
pub use users::{User, Users};

/// Bounds on the state, so that a long capture runs in constant memory. The defaults are
/// libsinsp's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most threads kept; a new thread beyond this is not tracked.
    pub max_threads: usize,
    /// Most open fds kept per process; an fd opened beyond this is not tracked.
    pub max_fds_per_process: usize,
    /// A thread with no event for this long (ns of event time) is dropped.
    pub thread_timeout_ns: u64,
    /// How often (ns of event time) to look for such threads.
    pub inactive_scan_interval_ns: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_threads: 131_072,
            max_fds_per_process: 4096,
            thread_timeout_ns: 1800 * 1_000_000_000,
            inactive_scan_interval_ns: 1200 * 1_000_000_000,
        }
    }
}

/// What was left out or thrown away to stay within [`Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evictions {
    /// New threads not tracked because the table was full.
    pub threads_dropped: u64,
    /// Threads removed after `thread_timeout_ns` without an event.
    pub threads_timed_out: u64,
    /// New fds not tracked because their process's table was full.
    pub fds_dropped: u64,
}

/// The whole state.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Threads and processes, with their fd tables.
    pub threads: ThreadTable,
    /// Users and groups, by id (from the capture or /etc).
    pub users: Users,
    /// Containers, by id.
    pub containers: Containers,
    /// The machine's network interfaces.
    pub interfaces: Interfaces,
    /// The sizes the tables stop growing at.
    pub limits: Limits,
    /// What was dropped or purged because of the limits.
    pub evictions: Evictions,
    /// The thread a container event in the middle of a capture is shown with (libsinsp makes
    /// one up for it): tid and pid -1, the name `container:<id>`, the container's id. Made
    /// by the last such event.
    pub container_event_thread: Option<Thread>,
}

impl State {
    /// An empty state with the given limits.
    pub fn with_limits(limits: Limits) -> State {
        State {
            limits,
            ..State::default()
        }
    }

    /// Whether the last container event described a container whose lookup had not
    /// succeeded; without a filter, libsinsp does not deliver such an event.
    pub fn container_event_hidden(&self) -> bool {
        let t = self.container_event_thread.as_ref();
        t.and_then(|t| self.containers.get(&t.container_id))
            .is_some_and(|c| c.lookup_failed)
    }

    /// The fd `fd` of thread `tid`'s process.
    pub fn fd(&self, tid: i64, fd: i64) -> Option<&FdInfo> {
        self.threads.fds(tid)?.get(fd)
    }

    /// Adds fd `fd` to thread `tid`'s process, counting it as dropped when the table is full.
    /// Returns whether it was added.
    pub fn add_fd(&mut self, tid: i64, fd: i64, info: FdInfo) -> bool {
        let max = self.limits.max_fds_per_process;
        let Some(table) = self.threads.fds_mut(tid) else {
            return false;
        };
        let added = table.insert(fd, info, max);
        if !added {
            self.evictions.fds_dropped += 1;
        }
        added
    }

    /// Adds a thread, unless the table is full (then it is counted as dropped). Returns
    /// whether it was added.
    pub fn add_thread(&mut self, t: Thread) -> bool {
        if self.threads.len() >= self.limits.max_threads && !self.threads.contains(t.tid) {
            self.evictions.threads_dropped += 1;
            return false;
        }
        self.threads.insert(t);
        true
    }
}
