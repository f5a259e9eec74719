//! How each kind of event changes the thread and fd tables, on synthetic event sequences.

use peregrine::capture::RawEvent;
use peregrine::event::{EventBuilder, EventRef};
use peregrine::fields::EventContext;
use peregrine::parse::Parser;
use peregrine::state::fd::O_CLOEXEC;
use peregrine::state::thread::clone_flags;
use peregrine::state::{FdInfo, FdKind, State, Thread};

/// Event ids of the schema used below.
mod ids {
    pub const CLOSE_E: u16 = 4;
    pub const CLOSE_X: u16 = 5;
    pub const CLONE_20_X: u16 = 223;
    pub const EXECVE_16_X: u16 = 231;
    pub const PROCEXIT_1_E: u16 = 186;
    pub const OPENAT_2_X: u16 = 307;
    pub const DUP2_X: u16 = 363;
    pub const CHDIR_X: u16 = 95;
    pub const SOCKET_E: u16 = 18;
    pub const SOCKET_X: u16 = 19;
    pub const CONNECT_E: u16 = 22;
    pub const CONNECT_X: u16 = 23;
    pub const SENDTO_X: u16 = 31;
}

const AT_FDCWD: i64 = -100;

/// A state and parser fed one event at a time.
struct Sim {
    state: State,
    parser: Parser,
    ts: u64,
    n: u64,
}

impl Sim {
    /// A process `bash` (pid 100, parent 1) with stdin open and cwd `/home/u/`.
    fn new() -> Sim {
        let mut state = State::default();
        let mut bash = Thread::new();
        bash.tid = 100;
        bash.pid = 100;
        bash.ptid = 1;
        bash.comm = b"bash".to_vec();
        bash.exe = b"/bin/bash".to_vec();
        bash.cwd = b"/home/u/".to_vec();
        bash.uid = 1000;
        bash.fds
            .insert(0, FdInfo::new(FdKind::File, "/dev/pts/0"), 100);
        state.add_thread(bash);
        let mut init = Thread::new();
        init.tid = 1;
        init.pid = 1;
        init.comm = b"systemd".to_vec();
        state.add_thread(init);
        Sim {
            state,
            parser: Parser::new(),
            ts: 1_000,
            n: 0,
        }
    }

    fn feed(&mut self, b: EventBuilder, tid: i64) -> EventContext {
        self.ts += 1_000;
        self.n += 1;
        let bytes = b.ts(self.ts).tid(tid).build();
        let raw = RawEvent {
            event: EventRef::new(&bytes).expect("valid event"),
            cpu: 0,
            flags: 0,
            number: self.n,
            offset: 0,
        };
        self.parser.process(&mut self.state, &raw)
    }

    /// Any event of `tid`, to let deferred removals happen.
    fn tick(&mut self, tid: i64) {
        self.feed(EventBuilder::new(ids::CHDIR_X).i64(-2).str(b"/nope"), tid);
    }

    fn thread(&self, tid: i64) -> &Thread {
        self.state
            .threads
            .get(tid)
            .unwrap_or_else(|| panic!("no thread {tid}"))
    }

    fn fd_name(&self, tid: i64, fd: i64) -> Option<String> {
        self.state
            .fd(tid, fd)
            .map(|f| String::from_utf8_lossy(&f.name).into_owned())
    }

    /// A clone exit as the kernel reports it in `tid`: `res` 0 in the child, the child's tid
    /// in the parent; `pid`/`ptid` describe the thread the event comes from.
    fn clone_exit(&mut self, tid: i64, res: i64, pid: i64, ptid: i64, comm: &[u8], flags: u32) {
        let b = EventBuilder::new(ids::CLONE_20_X)
            .i64(res)
            .str(comm)
            .list(&[b"-c", b"ls"])
            .i64(tid)
            .i64(pid)
            .i64(ptid)
            .str(b"")
            .i64(1024)
            .u64(0)
            .u64(0)
            .u32(100)
            .u32(10)
            .u32(0)
            .str(comm)
            .list(&[b"cpu=/user.slice"])
            .u32(flags)
            .u32(1000)
            .u32(1000)
            .i64(tid)
            .i64(pid)
            .u64(0);
        self.feed(b, tid);
    }

    fn openat(&mut self, tid: i64, fd: i64, name: &[u8], flags: u32) {
        let b = EventBuilder::new(ids::OPENAT_2_X)
            .i64(fd)
            .i64(AT_FDCWD)
            .str(name)
            .u32(flags)
            .u32(0)
            .u32(0)
            .u64(0);
        self.feed(b, tid);
    }

    fn execve(&mut self, tid: i64, comm: &[u8]) {
        let b = EventBuilder::new(ids::EXECVE_16_X)
            .i64(0)
            .str(comm)
            .list(&[b"x"])
            .i64(tid)
            .i64(tid)
            .i64(100)
            .str(b"/home/u")
            .u64(1024)
            .u64(0)
            .u64(0)
            .u32(0)
            .u32(0)
            .u32(0)
            .str(comm)
            .list(&[b"cpu=/user.slice"])
            .list(&[b"PATH=/bin"]);
        self.feed(b, tid);
    }

    fn close(&mut self, tid: i64, fd: i64, res: i64) {
        self.feed(EventBuilder::new(ids::CLOSE_E).i64(fd), tid);
        self.feed(EventBuilder::new(ids::CLOSE_X).i64(res).i64(fd), tid);
    }

    fn exit(&mut self, tid: i64, reaper: i64) {
        let b = EventBuilder::new(ids::PROCEXIT_1_E)
            .i64(0)
            .i64(0)
            .u8(0)
            .u8(0)
            .i64(reaper);
        self.feed(b, tid);
    }
}

const FORK: u32 = 0;
const THREAD: u32 = clone_flags::CLONE_THREAD | clone_flags::CLONE_FILES | clone_flags::CLONE_FS;

#[test]
fn clone_in_the_parent_first_makes_the_child_from_the_parent() {
    let mut s = Sim::new();
    s.clone_exit(100, 200, 100, 1, b"bash", FORK);
    let child = s.thread(200);
    assert_eq!((child.pid, child.ptid), (200, 100));
    assert_eq!(child.comm, b"bash");
    assert_eq!(
        child.cwd, b"/home/u/",
        "a new process starts in its parent's directory"
    );
    assert_eq!(
        s.fd_name(200, 0).as_deref(),
        Some("/dev/pts/0"),
        "fds are copied"
    );
    // The child's own return changes nothing.
    s.clone_exit(200, 0, 200, 100, b"other", FORK);
    assert_eq!(s.thread(200).comm, b"bash");
}

#[test]
fn clone_in_the_child_first_makes_the_child_from_its_own_event() {
    let mut s = Sim::new();
    s.clone_exit(200, 0, 200, 100, b"child", FORK);
    let child = s.thread(200);
    assert_eq!((child.pid, child.ptid), (200, 100));
    assert_eq!(child.comm, b"child");
    assert!(child.flags & clone_flags::CLONE_INVERTED != 0);
    // The parent's return, arriving late, does not replace it.
    s.clone_exit(100, 200, 100, 1, b"bash", FORK);
    assert_eq!(s.thread(200).comm, b"child");
}

#[test]
fn threads_share_their_process_fds_and_directory() {
    let mut s = Sim::new();
    s.clone_exit(100, 101, 100, 1, b"bash", THREAD);
    assert_eq!(s.thread(101).pid, 100);
    assert_eq!(s.thread(100).nchilds, 1);
    // An fd opened by the thread belongs to the process.
    s.openat(101, 5, b"notes.txt", 1);
    assert_eq!(s.fd_name(100, 5).as_deref(), Some("/home/u/notes.txt"));
    assert_eq!(s.fd_name(101, 5).as_deref(), Some("/home/u/notes.txt"));
    // So does a directory change.
    s.feed(EventBuilder::new(ids::CHDIR_X).i64(0).str(b"/tmp"), 101);
    assert_eq!(s.state.threads.cwd_of(s.thread(100)), b"/tmp/");
}

#[test]
fn execve_closes_close_on_exec_fds_and_renames_the_process() {
    let mut s = Sim::new();
    s.openat(100, 5, b"/etc/ld.so.cache", 1 | O_CLOEXEC);
    s.openat(100, 6, b"/var/log/kept", 1);
    s.execve(100, b"ls");
    assert_eq!(s.thread(100).comm, b"ls");
    assert_eq!(s.fd_name(100, 5), None, "O_CLOEXEC fd closed by execve");
    assert_eq!(s.fd_name(100, 6).as_deref(), Some("/var/log/kept"));
    assert_eq!(s.fd_name(100, 0).as_deref(), Some("/dev/pts/0"));
}

#[test]
fn dup2_over_an_open_fd_replaces_it() {
    let mut s = Sim::new();
    s.openat(100, 3, b"/tmp/out", 2);
    s.feed(EventBuilder::new(ids::DUP2_X).i64(0).i64(3).i64(0), 100);
    assert_eq!(s.fd_name(100, 0).as_deref(), Some("/tmp/out"));
    assert_eq!(s.fd_name(100, 3).as_deref(), Some("/tmp/out"));
    assert!(s.thread(100).flags & clone_flags::PIPE_DST != 0);
}

#[test]
fn close_removes_the_fd_after_the_close_event() {
    let mut s = Sim::new();
    s.openat(100, 3, b"/tmp/f", 1);
    s.close(100, 3, 0);
    // The close itself can still be shown with the fd's name...
    assert_eq!(s.fd_name(100, 3).as_deref(), Some("/tmp/f"));
    // ...which goes when the next event starts.
    s.tick(100);
    assert_eq!(s.fd_name(100, 3), None);
}

#[test]
fn close_of_an_unknown_fd_changes_nothing() {
    let mut s = Sim::new();
    s.close(100, 99, -9);
    s.close(100, 98, 0);
    s.tick(100);
    assert_eq!(s.state.fd(100, 99), None);
    assert_eq!(s.fd_name(100, 0).as_deref(), Some("/dev/pts/0"));
    assert_eq!(s.state.threads.fds(100).unwrap().len(), 1);
}

#[test]
fn exit_removes_the_thread_and_gives_its_children_to_the_reaper() {
    let mut s = Sim::new();
    s.clone_exit(100, 200, 100, 1, b"bash", FORK);
    s.clone_exit(200, 300, 200, 100, b"bash", FORK);
    assert_eq!(s.thread(300).ptid, 200);
    s.exit(200, 1);
    assert!(
        s.state.threads.get(200).is_some(),
        "kept for its exit event"
    );
    s.tick(100);
    assert!(s.state.threads.get(200).is_none());
    assert_eq!(s.thread(300).ptid, 1, "orphan adopted by the reaper");
}

#[test]
fn a_process_with_live_threads_stays_until_they_go() {
    let mut s = Sim::new();
    s.clone_exit(100, 101, 100, 1, b"bash", THREAD);
    s.exit(100, 0);
    s.tick(101);
    assert!(
        s.state.threads.get(100).is_some(),
        "main thread kept for its threads"
    );
    assert_eq!(s.thread(101).pid, 100);
}

#[test]
fn an_unknown_thread_is_made_up_from_its_first_event() {
    let mut s = Sim::new();
    s.tick(777);
    let t = s.thread(777);
    assert_eq!((t.pid, t.ptid, t.comm.as_slice()), (777, -1, &b"<NA>"[..]));
    assert!(t.is_fake());
}

#[test]
fn connect_names_the_socket_with_its_tuple() {
    let mut s = Sim::new();
    // socket(AF_INET, SOCK_STREAM, 0)
    s.feed(EventBuilder::new(ids::SOCKET_E).u32(2).u32(1).u32(0), 100);
    s.feed(EventBuilder::new(ids::SOCKET_X).i64(4), 100);
    let f = s.state.fd(100, 4).unwrap();
    assert_eq!((f.kind, f.name.as_slice()), (FdKind::Ipv4Socket, &b""[..]));
    s.feed(
        EventBuilder::new(ids::CONNECT_E)
            .i64(4)
            .sockaddr_v4([10, 0, 0, 9], 80),
        100,
    );
    s.feed(
        EventBuilder::new(ids::CONNECT_X).i64(0).socktuple_v4(
            [10, 0, 0, 1],
            40000,
            [10, 0, 0, 9],
            80,
        ),
        100,
    );
    let f = s.state.fd(100, 4).unwrap();
    assert_eq!(f.name, b"10.0.0.1:40000->10.0.0.9:80");
    assert!(f.is_client());
    assert_eq!(f.l4_char(), Some('t'));
}

/// A file written from a current probe has no enter events: its exits carry the
/// arguments. The first exit that shows it makes the parser read them, so a connect names
/// its socket as it does in live capture; before, an exit without its enter event has no fd
/// (sysdig 0.29's reading of its own captures).
#[test]
fn exits_carrying_their_arguments_are_read_without_enter_events() {
    let mut s = Sim::new();
    let (client, server) = ([10, 0, 0, 1], [10, 0, 0, 9]);
    s.feed(EventBuilder::new(ids::SOCKET_E).u32(2).u32(1).u32(0), 100);
    s.feed(EventBuilder::new(ids::SOCKET_X).i64(3), 100);
    // sysdig 0.29's connect exit: the result and the tuple.
    s.feed(
        EventBuilder::new(ids::CONNECT_X)
            .i64(0)
            .socktuple_v4(client, 40000, server, 80),
        100,
    );
    assert_eq!(s.fd_name(100, 3).as_deref(), Some(""));
    // A current one: the fd and the address too.
    s.feed(
        EventBuilder::new(ids::SOCKET_X).i64(4).u32(2).u32(1).u32(0),
        100,
    );
    s.feed(
        EventBuilder::new(ids::CONNECT_X)
            .i64(0)
            .socktuple_v4(client, 40002, server, 80)
            .i64(4)
            .sockaddr_v4(server, 80),
        100,
    );
    let f = s.state.fd(100, 4).unwrap();
    assert_eq!(f.name, b"10.0.0.1:40002->10.0.0.9:80");
    assert_eq!(f.l4_char(), Some('t'));
    // And from then on, for the exits of every kind: close names its fd.
    s.feed(EventBuilder::new(ids::CLOSE_X).i64(0).i64(4), 100);
    s.tick(100);
    assert_eq!(s.fd_name(100, 4), None);
}

/// Live capture (exits only): a datagram socket learns its peer from sendto's exit, which
/// carries the tuple the enter event had in older captures.
#[test]
fn sendto_exit_names_a_datagram_socket_without_its_enter_event() {
    let mut s = Sim::new();
    s.parser.set_exit_args(true);
    s.feed(
        EventBuilder::new(ids::SOCKET_X).i64(5).u32(2).u32(2).u32(0),
        100,
    );
    s.feed(
        EventBuilder::new(ids::SENDTO_X)
            .i64(5)
            .raw(b"hello")
            .i64(5)
            .u32(5)
            .socktuple_v4([10, 0, 0, 1], 40000, [8, 8, 8, 8], 53),
        100,
    );
    let f = s.state.fd(100, 5).unwrap();
    assert_eq!(f.name, b"10.0.0.1:40000->8.8.8.8:53");
    assert_eq!(f.l4_char(), Some('u'));
}

#[test]
fn tables_stop_growing_at_their_limits() {
    let mut s = Sim::new();
    s.state.limits.max_fds_per_process = 3;
    s.state.limits.max_threads = 4;
    for fd in 3..10 {
        s.openat(100, fd, b"/tmp/x", 1);
    }
    assert_eq!(s.state.threads.fds(100).unwrap().len(), 3);
    assert_eq!(s.state.evictions.fds_dropped, 5);
    for tid in 500..505 {
        s.tick(tid);
    }
    assert_eq!(s.state.threads.len(), 4);
    assert!(s.state.evictions.threads_dropped >= 3);
}

#[test]
fn live_sources_drop_threads_silent_for_longer_than_the_timeout() {
    let mut s = Sim::new();
    s.parser.set_purge_inactive(true);
    s.state.limits.thread_timeout_ns = 10_000;
    s.state.limits.inactive_scan_interval_ns = 5_000;
    s.tick(100);
    for _ in 0..30 {
        s.tick(1);
    }
    assert!(s.state.threads.get(100).is_none(), "silent thread dropped");
    assert!(s.state.threads.get(1).is_some());
    assert_eq!(s.state.evictions.threads_timed_out, 1);
}

#[test]
fn execve_ends_the_other_threads_of_the_process() {
    let mut s = Sim::new();
    s.clone_exit(100, 101, 100, 1, b"bash", THREAD);
    s.clone_exit(100, 102, 100, 1, b"bash", THREAD);
    assert_eq!(s.thread(100).nchilds, 2);
    s.execve(100, b"ls");
    assert!(s.state.threads.get(101).is_none() && s.state.threads.get(102).is_none());
    assert_eq!(s.thread(100).nchilds, 0);
}
