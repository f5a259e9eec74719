//! The probe's fillers, run for real: the workload tests/live/fillers.c makes one family of
//! syscalls per mode, and each test checks the events the probe reports for them (type,
//! arguments as Peregrine renders them) and that Peregrine's state follows (the fd table
//! after dup or pipe, the cwd after chdir, the ids after setresuid, ...).
//!
//! They need root and a kernel with BTF; without them they print `SKIPPED:`. They run one at
//! a time: each loads its own probe.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use peregrine::Inspector;
use peregrine::capture::live::{LiveConfig, LiveSource};

static SERIAL: Mutex<()> = Mutex::new(());

/// The workload's name, which is its process name.
const WORKLOAD: &str = "pg-fillers";

/// Fields kept for every event.
const FIELDS: &[&str] = &[
    "evt.type",
    "evt.res",
    "evt.args",
    "evt.rawarg.res",
    "thread.tid",
    "proc.pid",
    "proc.ppid",
    "proc.name",
    "proc.cwd",
    "proc.sid",
    "proc.vpgid",
    "user.uid",
    "group.gid",
    "fd.name",
    "fd.type",
    "fd.num",
    "fs.path.name",
    "fs.path.source",
    "fs.path.target",
];

/// Parameter names whose `evt.arg.*` and `evt.rawarg.*` are kept (when the event has them).
const PARAMS: &str = "fd oldfd newfd flags cmd arg fd1 fd2 ino source peer domain type proto \
    initval mask clockid size name entries sq_entries cq_entries features path pid pgid gid \
    rgid egid sgid ruid euid suid cap_inheritable cap_permitted cap_effective option arg2_str \
    arg2_int nstype mode dirfd olddir oldpath newdir newpath target linkpath linkdirfd filename \
    uid pathname resolve dev dir sig tid request addr data creat_flags pos offset out_fd in_fd \
    tuple msgcontrol how level optname val optlen length prot argument img uargs vm_size vm_rss \
    queuepct queuelen queuemax reaper_tid";

/// One captured event: the fields above, by name.
#[derive(Debug, Clone)]
struct Rec(HashMap<String, String>);

impl Rec {
    fn f(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |s| s.as_str())
    }
    fn ty(&self) -> &str {
        self.f("evt.type")
    }
    /// `evt.arg.NAME`, as Peregrine renders it.
    fn arg(&self, name: &str) -> &str {
        self.f(&format!("evt.arg.{name}"))
    }
    /// `evt.rawarg.NAME`.
    fn raw(&self, name: &str) -> &str {
        self.f(&format!("evt.rawarg.{name}"))
    }
    fn raw_i64(&self, name: &str) -> i64 {
        let v = self.raw(name);
        v.parse()
            .unwrap_or_else(|_| panic!("{} {name}={v:?} is not a number", self.ty()))
    }
}

/// Runs the workload in `mode` under a live capture; returns the workload's events, in
/// order, from its execve on.
fn run(mode: &str) -> Vec<Rec> {
    run_at(mode, None)
}

/// `run`, with the probe keeping `snaplen` bytes of data buffers (None: the default).
fn run_at(mode: &str, snaplen: Option<u32>) -> Vec<Rec> {
    let bin = compile_workload(WORKLOAD, "fillers.c");
    let dir = tempdir(mode);
    let mut builder = Inspector::builder();
    if let Some(bytes) = snaplen {
        builder = builder.snaplen(bytes);
    }
    let mut ins = builder
        .live()
        .filter(&format!("proc.name = {WORKLOAD}"))
        .unwrap()
        .build()
        .expect("starting live capture");
    let stop = ins.stop_flag().unwrap();
    let mut child = Command::new(&bin).arg(mode).arg(&dir).spawn().unwrap();
    let root = i64::from(child.id());
    // The capture ends half a second after the workload has exited (events of other CPUs
    // may still come in), or after 30 seconds.
    let waiter = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let t0 = Instant::now();
            let status = loop {
                if let Some(st) = child.try_wait().unwrap() {
                    break Some(st);
                }
                if t0.elapsed() > Duration::from_secs(30) {
                    let _ = child.kill();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            std::thread::sleep(Duration::from_millis(500));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            status
        }
    });
    let mut recs = Vec::new();
    let mut exited = false;
    while let Some(ev) = ins.next().unwrap() {
        let f = |n: &str| ev.field(n).unwrap_or_default();
        if f("proc.name") == WORKLOAD {
            let mut m = HashMap::new();
            for n in FIELDS {
                m.insert(n.to_string(), f(n));
            }
            for p in PARAMS.split_whitespace() {
                for pre in ["evt.arg.", "evt.rawarg."] {
                    let n = format!("{pre}{p}");
                    let v = f(&n);
                    if !v.is_empty() {
                        m.insert(n, v);
                    }
                }
            }
            let rec = Rec(m);
            if rec.f("proc.pid").parse::<i64>() == Ok(root) && rec.ty() == "procexit" {
                exited = true;
            }
            recs.push(rec);
        }
    }
    let status = waiter
        .join()
        .unwrap()
        .expect("the workload did not finish in 30 s");
    let stats = ins.stats().unwrap().unwrap();
    assert_eq!(stats.drops(), 0, "events were dropped: {stats:?}");
    assert!(exited, "the workload's exit was not seen");
    assert!(status.success(), "the workload failed: {status}");
    let start = recs
        .iter()
        .position(|r| r.ty() == "execve")
        .expect("the workload's execve");
    let recs = recs.split_off(start);
    // Every event that is about an fd is about the fd it names (or, for the calls that
    // make one from it, such as fcntl F_DUPFD, the fd made).
    for r in &recs {
        let named = r.raw("fd");
        let num = r.f("fd.num");
        if named.parse::<i64>().is_ok_and(|fd| fd >= 0) && num != "<NA>" {
            assert!(
                num == named || num == r.raw("res"),
                "{} {}: fd.num {num}",
                r.ty(),
                r.f("evt.args")
            );
        }
    }
    recs
}

/// Expected arguments: name and value (raw when a number, else as rendered).
type Args<'a> = &'a [(&'a str, &'a str)];

/// Walks the events in order.
struct Cursor<'a> {
    recs: &'a [Rec],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(recs: &'a [Rec]) -> Self {
        Cursor { recs, at: 0 }
    }
    /// The next event of type `ty` matching `pred`, after the last one found.
    fn next_where(&mut self, ty: &str, pred: impl Fn(&Rec) -> bool) -> &'a Rec {
        let from = self.at;
        match self.recs[from..]
            .iter()
            .position(|r| r.ty() == ty && pred(r))
        {
            Some(i) => {
                self.at = from + i + 1;
                &self.recs[from + i]
            }
            None => {
                let tail: Vec<String> = self.recs[from..]
                    .iter()
                    .take(40)
                    .map(|r| format!("{} {} | {}", r.ty(), r.f("evt.args"), r.f("fd.name")))
                    .collect();
                panic!("no {ty} after event {from}; then:\n{}", tail.join("\n"))
            }
        }
    }
    fn next(&mut self, ty: &str) -> &'a Rec {
        self.next_where(ty, |_| true)
    }
    /// The event right after the last one found.
    fn peek(&self) -> Option<&'a Rec> {
        self.recs.get(self.at)
    }
}

#[test]
fn fd_creating_syscalls_keep_the_fd_table() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let recs = run("fds");
    let dir = tempdir_path("fds");
    let file = format!("{}/file.txt", dir.display());
    // The fd as evt.arg.fd shows it: its type and its name in the fd table.
    let ffile = format!("<f>{file}");
    let mut c = Cursor::new(&recs);

    let open = c.next_where("openat", |r| r.f("fd.name") == file);
    let fd = open.raw_i64("fd");

    // dup: the new fd is the file.
    let dup = c.next("dup");
    assert_eq!(dup.raw_i64("oldfd"), fd);
    let d = dup.raw_i64("res");
    assert!(d > fd);
    assert_eq!(dup.f("fd.name"), file);
    let w = c.next("write");
    assert_eq!((w.raw_i64("fd"), w.arg("fd")), (d, ffile.as_str()));

    // dup2 to 100, dup3 to 101 with O_CLOEXEC.
    let dup2 = c.next("dup2");
    assert_eq!(
        (
            dup2.raw_i64("res"),
            dup2.raw_i64("oldfd"),
            dup2.raw_i64("newfd")
        ),
        (100, fd, 100)
    );
    let w = c.next("write");
    assert_eq!((w.raw_i64("fd"), w.arg("fd")), (100, ffile.as_str()));
    let dup3 = c.next("dup3");
    assert_eq!(
        (
            dup3.raw_i64("res"),
            dup3.raw_i64("oldfd"),
            dup3.raw_i64("newfd")
        ),
        (101, fd, 101)
    );
    assert_eq!(dup3.arg("flags"), "O_CLOEXEC");
    let w = c.next("write");
    assert_eq!((w.raw_i64("fd"), w.arg("fd")), (101, ffile.as_str()));

    // fcntl(F_DUPFD_CLOEXEC, 200).
    let fcntl = c.next("fcntl");
    assert_eq!((fcntl.raw_i64("res"), fcntl.raw_i64("fd")), (200, fd));
    assert_eq!(fcntl.arg("cmd"), "F_DUPFD_CLOEXEC");
    assert_eq!(fcntl.raw_i64("arg"), 200);
    assert_eq!(fcntl.arg("fd"), ffile);
    c.next_where("write", |r| r.raw("fd") == "200");

    // pipe, pipe2, socketpair: both ends in the table, of the right type.
    let pipe = c.next("pipe");
    assert_eq!(pipe.f("evt.res"), "SUCCESS");
    let (r0, w0) = (pipe.raw_i64("fd1"), pipe.raw_i64("fd2"));
    assert!(pipe.raw_i64("ino") > 0);
    let w = c.next("write");
    assert_eq!((w.raw_i64("fd"), w.arg("fd")), (w0, "<p>"));
    let pipe2 = c.next("pipe2");
    assert_eq!(pipe2.arg("flags"), "O_NONBLOCK|O_CLOEXEC");
    assert_ne!(pipe2.raw_i64("ino"), pipe.raw_i64("ino"));
    let w = c.next("write");
    assert_eq!(
        (w.raw_i64("fd"), w.arg("fd")),
        (pipe2.raw_i64("fd2"), "<p>")
    );
    let sp = c.next("socketpair");
    assert_eq!(sp.arg("domain"), "AF_LOCAL|AF_UNIX");
    assert_eq!((sp.raw("type"), sp.raw("proto")), ("1", "0"));
    assert_ne!(sp.raw("source"), "0");
    assert_ne!(sp.raw("peer"), "0");
    let w = c.next("write");
    assert_eq!((w.raw_i64("fd"), w.arg("fd")), (sp.raw_i64("fd1"), "<u>"));
    let cl = c.next_where("close", |r| r.raw_i64("fd") == r0);
    assert_eq!(cl.arg("fd"), "<p>");

    // The small fd-creating calls: each fd is in the table with its type until closed.
    let small: &[(&str, Args, &str)] = &[
        ("eventfd", &[("initval", "5"), ("flags", "0")], "<e>"),
        (
            "eventfd2",
            &[("initval", "7"), ("flags", "O_NONBLOCK|O_CLOEXEC")],
            "<e>",
        ),
        ("signalfd", &[("fd", "-1")], "<s>"),
        ("signalfd4", &[("fd", "-1"), ("flags", "O_CLOEXEC")], "<s>"),
        ("timerfd_create", &[("clockid", "1")], "<t>"),
        ("inotify_init", &[("flags", "0")], "<i>"),
        ("inotify_init1", &[("flags", "O_CLOEXEC")], "<i>"),
        ("epoll_create", &[("size", "16")], "<l>"),
        ("epoll_create1", &[("flags", "EPOLL_CLOEXEC")], "<l>"),
        (
            "memfd_create",
            &[("name", "pg-memfd"), ("flags", "MFD_CLOEXEC")],
            "<m>memfd:pg-memfd",
        ),
        ("userfaultfd", &[("flags", "O_NONBLOCK|O_CLOEXEC")], "<u>"),
        ("io_uring_setup", &[("entries", "4")], "<r>"),
    ];
    for (ty, args, kind) in small {
        let e = c.next(ty);
        for (name, want) in *args {
            let got = if *name == "fd" || want.parse::<i64>().is_ok() {
                e.raw(name)
            } else {
                e.arg(name)
            };
            assert_eq!(got, *want, "{ty} {name}: {}", e.f("evt.args"));
        }
        let res = if *ty == "memfd_create" {
            e.raw_i64("fd")
        } else {
            e.raw_i64("res")
        };
        assert!(res >= 0, "{ty} failed: {}", e.f("evt.args"));
        // The fd's type (and name) as the close finds them in the table.
        let cl = c.next_where("close", |r| r.raw_i64("fd") == res);
        assert_eq!(cl.arg("fd"), *kind, "close after {ty}");
    }
    // timerfd_create's flags are a plain number in the schema: O_NONBLOCK as PPM_O_NONBLOCK.
    let t = recs.iter().find(|r| r.ty() == "timerfd_create").unwrap();
    assert_eq!(t.raw("flags"), "64");
    let u = recs.iter().find(|r| r.ty() == "io_uring_setup").unwrap();
    assert_eq!((u.raw("sq_entries"), u.raw("cq_entries")), ("4", "8"));
    assert!(u.arg("features").contains("IORING_FEAT_SINGLE_MMAP"));
}

#[test]
fn process_state_calls_move_cwd_session_ids_and_namespaces() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let recs = run("proc");
    let dir = tempdir_path("proc").display().to_string();
    let main_pid: i64 = recs[0].f("proc.pid").parse().unwrap();
    let mut c = Cursor::new(&recs);

    // chdir: relative opens resolve against the new cwd.
    let chdir = c.next("chdir");
    assert_eq!(
        (chdir.f("evt.res"), chdir.arg("path")),
        ("SUCCESS", dir.as_str())
    );
    let a = c.next("openat");
    assert_eq!(a.f("fd.name"), format!("{dir}/a.txt"));
    assert_eq!(a.f("proc.cwd"), format!("{dir}/"));
    // fchdir into sub (opened relative to the new cwd), then b.txt is in sub.
    let sub = c.next_where("openat", |r| r.f("fd.name") == format!("{dir}/sub"));
    let fchdir = c.next("fchdir");
    assert_eq!(fchdir.raw_i64("fd"), sub.raw_i64("fd"));
    assert_eq!(fchdir.arg("fd"), format!("<d>{dir}/sub"));
    let b = c.next("openat");
    // The cwd moved into sub.
    assert_eq!(b.f("fd.name"), format!("{dir}/sub/b.txt"));

    // setsid: the process leads a new session.
    let setsid = c.next("setsid");
    assert_eq!(setsid.raw_i64("res"), main_pid);
    let m = c.next("getppid");
    assert_eq!(m.f("proc.sid"), main_pid.to_string());
    // setpgid(0, 0) in a child: the child leads a new group.
    let setpgid = c.next("setpgid");
    let child: i64 = setpgid.f("thread.tid").parse().unwrap();
    assert_ne!(child, main_pid);
    assert_eq!(
        (
            setpgid.f("evt.res"),
            setpgid.raw("pid"),
            setpgid.raw("pgid")
        ),
        ("SUCCESS", "0", "0")
    );

    // The ids: each marker shows the effective ids in force.
    let setgid = c.next("setgid");
    assert_eq!((setgid.f("evt.res"), setgid.raw("gid")), ("SUCCESS", "0"));
    let setresgid = c.next("setresgid");
    assert_eq!(
        (setresgid.f("evt.res"), setresgid.raw("egid")),
        ("SUCCESS", "1234")
    );
    let setregid = c.next("setregid");
    assert_eq!(
        (setregid.f("evt.res"), setregid.raw("egid")),
        ("SUCCESS", "4321")
    );
    assert_eq!(c.next("getppid").f("group.gid"), "4321");
    let setreuid = c.next("setreuid");
    assert_eq!(
        (setreuid.f("evt.res"), setreuid.raw("euid")),
        ("SUCCESS", "4321")
    );
    assert_eq!(c.next("getppid").f("user.uid"), "4321");
    let setresuid = c.next("setresuid");
    assert_eq!(
        (setresuid.f("evt.res"), setresuid.raw("euid")),
        ("SUCCESS", "0")
    );
    // The exits of setresgid and setresuid set the ids themselves (no enter events).
    assert_eq!(setresuid.f("user.uid"), "0");

    // capset: CAP_NET_RAW (bit 13) out of the effective set, then back.
    const NET_RAW: u64 = 1 << 13;
    let hex = |r: &Rec, n: &str| r.raw(n).parse::<u64>().unwrap();
    let cs = c.next("capset");
    assert_eq!(cs.f("evt.res"), "SUCCESS");
    assert_eq!(hex(cs, "cap_effective") & NET_RAW, 0);
    assert_eq!(hex(cs, "cap_permitted") & NET_RAW, NET_RAW);
    let cs = c.next("capset");
    assert_eq!(hex(cs, "cap_effective") & NET_RAW, NET_RAW);

    // prctl: the name as a string, other arguments as numbers.
    let p = c.next("prctl");
    assert_eq!(
        (p.arg("option"), p.arg("arg2_str")),
        ("PR_SET_NAME", "pg-fillers")
    );
    let p = c.next("prctl");
    assert_eq!(
        (p.arg("option"), p.arg("arg2_str")),
        ("PR_GET_NAME", "pg-fillers")
    );
    let p = c.next("prctl");
    assert_eq!(
        (p.arg("option"), p.raw("arg2_int")),
        ("PR_SET_CHILD_SUBREAPER", "1")
    );
    let p = c.next("prctl");
    assert_eq!(
        (p.arg("option"), p.raw("arg2_int")),
        ("PR_GET_CHILD_SUBREAPER", "1")
    );

    // Namespaces and the root.
    let u = c.next("unshare");
    assert_eq!(
        (u.f("evt.res"), u.arg("flags")),
        ("SUCCESS", "CLONE_NEWUTS")
    );
    let ns = c.next("setns");
    assert_eq!(
        (ns.f("evt.res"), ns.arg("nstype")),
        ("SUCCESS", "CLONE_NEWUTS")
    );
    assert_eq!(ns.arg("fd"), "<f>/proc/self/ns/uts");
    let chroot = c.next("chroot");
    assert_eq!(
        (chroot.f("evt.res"), chroot.arg("path")),
        ("SUCCESS", dir.as_str())
    );
}

#[test]
fn file_signal_and_ptrace_calls_have_their_arguments() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let recs = run("files");
    let dir = tempdir_path("files").display().to_string();
    let main_pid: i64 = recs[0].f("proc.pid").parse().unwrap();
    let at = |n: &str| format!("{dir}/{n}");
    let mut c = Cursor::new(&recs);
    let dfd = c
        .next_where("openat", |r| r.f("fd.name") == dir)
        .raw_i64("fd");

    // creat and openat2 add their fds; the data goes through them.
    let creat = c.next("creat");
    assert_eq!(
        (creat.arg("name"), creat.raw("mode")),
        (at("c.txt").as_str(), "416")
    );
    assert_eq!(creat.f("fd.name"), at("c.txt"));
    assert!(creat.raw_i64("ino") > 0);
    let fd = creat.raw_i64("fd");
    let w = c.next("write");
    assert_eq!(
        (w.raw_i64("fd"), w.arg("fd")),
        (fd, format!("<f>{}", at("c.txt")).as_str())
    );
    let o2 = c.next("openat2");
    assert_eq!(o2.f("fd.name"), at("c.txt"));
    assert_eq!(
        (o2.arg("flags"), o2.arg("resolve")),
        ("O_RDONLY", "RESOLVE_NO_SYMLINKS")
    );
    assert_eq!(o2.raw("ino"), creat.raw("ino"));
    let r = c.next("read");
    assert_eq!(r.arg("fd"), format!("<f>{}", at("c.txt")));

    // Directories, links: paths as given, and resolved against dirfds.
    let m = c.next("mkdir");
    assert_eq!((m.arg("path"), m.raw("mode")), (at("d1").as_str(), "493"));
    let m = c.next("mkdirat");
    assert_eq!((m.raw_i64("dirfd"), m.raw("path")), (dfd, "d2"));
    assert_eq!(m.f("fs.path.name"), at("d2"));
    assert_eq!(c.next("rmdir").arg("path"), at("d1"));
    let l = c.next("link");
    assert_eq!(
        (l.arg("oldpath"), l.arg("newpath")),
        (at("c.txt").as_str(), at("l1").as_str())
    );
    let l = c.next("linkat");
    assert_eq!((l.raw("olddir"), l.raw_i64("newdir")), ("-100", dfd));
    // (fs.path.* follow libsinsp: the link is the source, the file linked to the target.)
    assert_eq!(l.f("fs.path.target"), at("c.txt"));
    let sl = c.next("symlink");
    assert_eq!(
        (sl.arg("target"), sl.arg("linkpath")),
        ("c.txt", at("s1").as_str())
    );
    let sl = c.next("symlinkat");
    assert_eq!((sl.raw_i64("linkdirfd"), sl.raw("linkpath")), (dfd, "s2"));

    // Modes and owners.
    let ch = c.next("chmod");
    assert_eq!(
        (ch.arg("filename"), ch.arg("mode")),
        (at("c.txt").as_str(), "S_IWUSR|S_IRUSR")
    );
    let ch = c.next("fchmod");
    assert_eq!((ch.raw_i64("fd"), ch.raw("mode")), (fd, "420"));
    let ch = c.next("fchmodat");
    assert_eq!((ch.raw("filename"), ch.raw("mode")), ("c.txt", "2541"));
    assert!(ch.arg("mode").contains("S_ISUID"));
    let co = c.next("chown");
    assert_eq!((co.raw("uid"), co.raw("gid")), ("1000", "1000"));
    let co = c.next("fchown");
    assert_eq!((co.raw_i64("fd"), co.raw("uid")), (fd, "0"));
    let co = c.next("fchownat");
    assert_eq!(
        (co.raw("pathname"), co.arg("flags")),
        ("s2", "AT_SYMLINK_NOFOLLOW")
    );
    let co = c.next("lchown");
    assert_eq!((co.arg("path"), co.raw("uid")), (at("s1").as_str(), "2"));

    // mount and umount2 (in a private mount namespace).
    let mo = c.next("mount");
    assert_eq!((mo.arg("dir"), mo.arg("flags")), ("/", "REC|PRIVATE"));
    let mo = c.next("mount");
    assert_eq!(
        (
            mo.arg("dev"),
            mo.arg("dir"),
            mo.arg("type"),
            mo.arg("flags")
        ),
        ("pg-tmpfs", at("d2").as_str(), "tmpfs", "NOSUID|NODEV")
    );
    let um = c.next("umount2");
    assert_eq!(
        (um.arg("name"), um.arg("flags")),
        (at("d2").as_str(), "DETACH")
    );

    // Signals to itself.
    let k = c.next("kill");
    assert_eq!((k.raw_i64("pid"), k.arg("sig")), (main_pid, "SIGUSR1"));
    let k = c.next("tkill");
    assert_eq!((k.raw_i64("tid"), k.arg("sig")), (main_pid, "SIGUSR1"));
    let k = c.next("tgkill");
    assert_eq!(
        (k.raw_i64("pid"), k.raw_i64("tid"), k.arg("sig")),
        (main_pid, main_pid, "SIGUSR1")
    );

    // ptrace: the child asks to be traced; the parent peeks a word and continues it.
    let tm = c.next("ptrace");
    assert_eq!(tm.arg("request"), "PTRACE_TRACEME");
    let child: i64 = tm.f("thread.tid").parse().unwrap();
    let peek = c.next_where("ptrace", |r| r.arg("request") == "PTRACE_PEEKDATA");
    assert_eq!(peek.raw_i64("pid"), child);
    assert_eq!(peek.f("evt.res"), "SUCCESS");
    assert!(
        peek.arg("data").eq_ignore_ascii_case("5ca1ab1e"),
        "{}",
        peek.arg("data")
    );
    let cont = c.next_where("ptrace", |r| r.arg("request") == "PTRACE_CONT");
    assert_eq!(cont.raw_i64("pid"), child);
}

#[test]
fn data_socket_memory_and_module_calls_have_their_arguments() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let recs = run("io");
    let dir = tempdir_path("io").display().to_string();
    let file = format!("{dir}/io.txt");
    let mut c = Cursor::new(&recs);
    let fd = c
        .next_where("openat", |r| r.f("fd.name") == file)
        .raw_i64("fd");
    let out = c.next("openat").raw_i64("fd");

    // Positioned reads and writes: the data, the fd, the position (events named pread and
    // pwrite after the syscalls' old names).
    for ty in ["pwrite", "pread"] {
        let r = c.next(ty);
        assert_eq!(r.raw_i64("fd"), fd, "{ty}");
        assert_eq!(r.f("fd.name"), file, "{ty}");
        assert_eq!(r.f("evt.arg.data"), "pwrite-data.", "{ty}");
        assert_eq!(r.f("evt.arg.pos"), "100", "{ty}");
    }
    // Vectored reads and writes: the data moved, sizes, positions.
    let checks: &[(&str, &str, &str, &str)] = &[
        ("writev", "wv-a.wv-b.", "10", "<NA>"),
        ("readv", "wv-a.wv-", "8", "<NA>"),
        ("pwritev", "pwv.", "4", "200"),
        ("preadv", "pwv.", "4", "200"),
    ];
    for (ty, data, size, pos) in checks {
        let e = c.next(ty);
        assert_eq!(e.raw_i64("fd"), fd, "{ty}");
        assert_eq!(e.arg("fd"), format!("<f>{file}"), "{ty}");
        assert_eq!((e.arg("data"), e.raw("size")), (*data, *size), "{ty}");
        assert_eq!(e.raw("pos"), *pos, "{ty}");
        assert_eq!(e.raw("res"), *size, "{ty}");
    }
    let sf = c.next("sendfile");
    assert_eq!(
        (
            sf.raw_i64("out_fd"),
            sf.raw_i64("in_fd"),
            sf.raw("offset"),
            sf.raw("size")
        ),
        (out, fd, "10", "10")
    );

    // UDP over loopback: data and the connection, the peer taken from the address given.
    let srv = c.next("bind").raw_i64("fd");
    let st = c.next("sendto");
    assert_eq!((st.arg("data"), st.raw("size")), ("udp-sendto.", "11"));
    let tuple = st.arg("tuple").to_string();
    let (from, to) = tuple.split_once("->").expect("a tuple");
    assert!(to.starts_with("127.0.0.1:"), "{tuple}");
    let port = from.rsplit(':').next().unwrap();
    assert_ne!(port, "0", "{tuple}");
    let rf = c.next("recvfrom");
    assert_eq!((rf.raw_i64("fd"), rf.arg("data")), (srv, "udp-sendto."));
    assert_eq!(rf.arg("tuple"), format!("127.0.0.1:{port}->{to}"));
    let sm = c.next("sendmsg");
    assert_eq!((sm.arg("data"), sm.raw("size")), ("msg-a.msg-b.", "12"));
    assert_eq!(sm.arg("tuple"), tuple);
    let rm = c.next("recvmsg");
    assert_eq!((rm.raw_i64("fd"), rm.arg("data")), (srv, "msg-a.msg-b."));
    assert_eq!(rm.raw("size"), "12");
    assert_eq!(rm.arg("tuple"), format!("127.0.0.1:{port}->{to}"));
    // The m variants: an event per message, its result the message's length.
    for data in ["mmsg-one.", "mmsg-two."] {
        let smm = c.next("sendmmsg");
        assert_eq!(
            (smm.raw("res"), smm.raw("size"), smm.arg("data")),
            ("9", "9", data)
        );
        assert_eq!(smm.arg("tuple"), tuple);
    }
    // recvmmsg (MSG_WAITFORONE) returns one or both datagrams.
    let rmm = c.next("recvmmsg");
    assert_eq!(
        (rmm.raw_i64("fd"), rmm.raw("res"), rmm.arg("data")),
        (srv, "9", "mmsg-one.")
    );
    // It asks for no sender address (msg_name): the peer of the unconnected socket is unknown.
    assert_eq!(rmm.arg("tuple"), format!("0.0.0.0:0->{to}"));
    if let Some(second) = c.peek().filter(|r| r.ty() == "recvmmsg") {
        assert_eq!(second.arg("data"), "mmsg-two.");
    }

    // A unix stream connection: both ends' tuples name the same two sockets and the path;
    // the accepted fd is in the table with that name.
    let upath = format!("{dir}/u.sock");
    let co = c.next("connect");
    assert_eq!(
        (co.f("evt.res"), co.arg("addr")),
        ("SUCCESS", upath.as_str())
    );
    let ut = co.arg("tuple").to_string();
    assert!(ut.ends_with(&format!(" {upath}")), "{ut}");
    assert!(ut.contains("->"), "{ut}");
    let ac = c.next("accept");
    assert_eq!(ac.arg("tuple"), ut);
    // The listening socket's queue: listen(us, 1), and the one connection taken.
    assert_eq!(
        (ac.raw("queuelen"), ac.raw("queuemax"), ac.raw("queuepct")),
        ("0", "1", "0")
    );
    let st = c.next("sendto");
    assert_eq!(
        (st.arg("data"), st.arg("tuple")),
        ("unix-send.", ut.as_str())
    );
    let rf = c.next("recvfrom");
    assert_eq!(
        (rf.arg("data"), rf.arg("tuple")),
        ("unix-send.", ut.as_str())
    );
    assert_eq!(rf.arg("fd"), format!("<u>{ut}"));

    let sp = c.next("socketpair");
    let sh = c.next("shutdown");
    assert_eq!(
        (sh.raw_i64("fd"), sh.arg("how")),
        (sp.raw_i64("fd1"), "SHUT_WR")
    );
    let so = c.next("setsockopt");
    assert_eq!(
        (
            so.arg("level"),
            so.arg("optname"),
            so.arg("val"),
            so.raw("optlen")
        ),
        ("SOL_SOCKET", "SO_RCVBUF", "65536", "4")
    );
    let go = c.next("getsockopt");
    assert_eq!((go.arg("optname"), go.arg("val")), ("SO_RCVBUF", "131072"));
    let go = c.next("getsockopt");
    assert_eq!((go.arg("optname"), go.raw("optlen")), ("SO_ERROR", "4"));

    // Memory: the sizes after the call, with the 8 MiB the workload made resident before
    // (the kernel's global counters may lag by a few hundred KiB).
    let mm = c.next("mmap");
    let kb = |n: &str| mm.raw(n).parse::<u64>().unwrap();
    assert!(kb("vm_rss") >= 7_900, "vm_rss {}", kb("vm_rss"));
    assert!(
        kb("vm_size") >= kb("vm_rss") + 8,
        "{} {}",
        kb("vm_size"),
        kb("vm_rss")
    );
    assert_eq!(
        (
            mm.raw("length"),
            mm.arg("prot"),
            mm.arg("flags"),
            mm.raw("fd")
        ),
        (
            "8192",
            "PROT_READ|PROT_WRITE",
            "MAP_PRIVATE|MAP_ANONYMOUS",
            "-1"
        )
    );
    let addr = mm.raw("res").to_string();
    let mp = c.next("mprotect");
    assert_eq!(
        (mp.raw("addr"), mp.raw("length"), mp.arg("prot")),
        (addr.as_str(), "4096", "PROT_READ")
    );
    let fm = c.next("mmap");
    assert_eq!((fm.raw_i64("fd"), fm.arg("flags")), (fd, "MAP_SHARED"));

    // ioctl, bpf (a map fd in the table), and the module calls (which fail).
    let io = c.next("ioctl");
    assert_eq!(
        (io.raw_i64("fd"), io.raw("request")),
        (sp.raw_i64("fd2"), "21531")
    );
    let b = c.next("bpf");
    assert_eq!(b.arg("cmd"), "BPF_MAP_CREATE");
    let map = b.raw_i64("fd");
    assert!(map >= 0);
    let cl = c.next_where("close", |r| r.raw_i64("fd") == map);
    assert_eq!(cl.arg("fd"), "<b>");
    let im = c.next("init_module");
    assert_ne!(im.f("evt.res"), "SUCCESS");
    assert_eq!(
        (im.arg("img"), im.raw("length"), im.arg("uargs")),
        ("not-a-module", "12", "pg=1")
    );
    let fi = c.next("finit_module");
    assert_eq!((fi.raw_i64("fd"), fi.arg("uargs")), (fd, "pg=1"));
    let dm = c.next("delete_module");
    assert_eq!(
        (dm.arg("name"), dm.arg("flags")),
        ("pg_no_such_module", "O_NONBLOCK")
    );
}

/// One raw event of the enter-events test: type, thread, parameters.
struct RawRec {
    ty: u16,
    tid: i64,
    params: Vec<Vec<u8>>,
}

impl RawRec {
    fn u32(&self, i: usize) -> u32 {
        u32::from_le_bytes(self.params[i][..4].try_into().unwrap())
    }
    fn i64(&self, i: usize) -> i64 {
        i64::from_le_bytes(self.params[i][..8].try_into().unwrap())
    }
    fn str(&self, i: usize) -> String {
        let b = &self.params[i];
        assert_eq!(b.last(), Some(&0), "a string parameter ends with its NUL");
        String::from_utf8_lossy(&b[..b.len() - 1]).into_owned()
    }
}

#[test]
fn enter_events_of_opens_and_connect_carry_the_arguments_as_called() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let bin = compile_workload(WORKLOAD, "fillers.c");
    let dir = tempdir("enter").display().to_string();
    let mut child = spawn_waiting(&bin, "enter", &dir);
    let pid = child.id();
    let config = LiveConfig {
        only_process: Some(pid),
        enter_events: true,
        ..LiveConfig::default()
    };
    let mut src = LiveSource::open(&config, None).expect("starting live capture");
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    assert!(child.wait().unwrap().success());
    src.stop_flag()
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let mut recs = Vec::new();
    while let Some(raw) = src.next_event().unwrap() {
        let ev = raw.event;
        let params = (0..ev.nparams())
            .map(|i| ev.param_bytes(i).unwrap_or_default().to_vec())
            .collect();
        recs.push(RawRec {
            ty: ev.event_type(),
            tid: ev.tid(),
            params,
        });
    }
    assert_eq!(src.stats().unwrap().drops(), 0);
    // Each enter event is followed by its exit (the next event of the thread).
    let pair = |enter: u16| -> (&RawRec, &RawRec) {
        let i = recs
            .iter()
            .position(|r| r.ty == enter)
            .unwrap_or_else(|| panic!("no enter event {enter}"));
        let e = &recs[i];
        let x = recs[i + 1..]
            .iter()
            .find(|r| r.tid == e.tid)
            .expect("an event after the enter");
        assert_eq!(x.ty, enter + 1, "enter {enter} is followed by its exit");
        (e, x)
    };
    const AT_FDCWD: i64 = -100;
    // open: name, flags (O_CREAT|O_WRONLY as PPM flags), mode.
    let (e, x) = pair(2);
    assert_eq!(e.str(0), format!("{dir}/t-open"));
    assert_eq!((e.u32(1), e.u32(2)), (4 | 2, 0o600));
    assert!(x.i64(0) >= 0);
    // openat: dirfd, name, flags (O_CREAT|O_RDWR), mode.
    let (e, x) = pair(306);
    assert_eq!((e.i64(0), e.str(1)), (AT_FDCWD, format!("{dir}/t-openat")));
    assert_eq!((e.u32(2), e.u32(3)), (4 | 3, 0o640));
    assert!(x.i64(0) >= 0);
    // openat2: dirfd, name, flags (O_RDONLY), mode, resolve (RESOLVE_NO_SYMLINKS).
    let (e, _) = pair(326);
    assert_eq!((e.i64(0), e.str(1)), (AT_FDCWD, format!("{dir}/t-openat")));
    assert_eq!((e.u32(2), e.u32(3), e.u32(4)), (1, 0, 8));
    // creat: name, mode.
    let (e, _) = pair(58);
    assert_eq!((e.str(0), e.u32(1)), (format!("{dir}/t-creat"), 0o644));
    // connect: fd, the address (AF_INET, 127.0.0.1, a port).
    let (e, x) = pair(22);
    assert_eq!(e.i64(0), x.i64(2), "the enter's fd is the exit's");
    let addr = &e.params[1];
    assert_eq!(addr.len(), 7);
    assert_eq!((addr[0], &addr[1..5]), (2, &[127, 0, 0, 1][..]));
    assert_ne!(u16::from_le_bytes([addr[5], addr[6]]), 0);
    assert_eq!(&x.params[3], addr, "the exit names the same address");
    // No other enter events (even ids; procexit, 186, is one too).
    let others: Vec<u16> = recs
        .iter()
        .map(|r| r.ty)
        .filter(|t| t % 2 == 0 && ![2, 22, 58, 186, 306, 326].contains(t))
        .collect();
    assert!(others.is_empty(), "unexpected enter events {others:?}");
}

/// Runs `command` to its end while capturing with `filter`; returns the `N` fields of each
/// event kept.
fn capture_while<const N: usize>(
    filter: &str,
    command: &mut Command,
    fields: &[&str; N],
) -> Vec<[String; N]> {
    let mut ins = live_inspector(filter);
    let status = command.status().expect("running the command");
    assert!(status.success(), "{command:?} failed: {status}");
    ins.stop_flag()
        .unwrap()
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let mut seen = Vec::new();
    while let Some(ev) = ins.next().unwrap() {
        seen.push(fields.map(|n| ev.field(n).unwrap_or_default()));
    }
    seen
}

/// Clone and execve carry the process's cgroups (cpuset, cpu, cpuacct, io, memory), so a
/// process started during the capture has them: one moved into a fresh cpu cgroup, then
/// exec'd, shows that cgroup, and the subsystems it did not move in show its parent's.
#[test]
fn clone_and_execve_carry_the_cgroups() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    // The cpu controller's hierarchy: cgroup v1 (its own mount), else the v2 one.
    let (base, v1) = if Path::new("/sys/fs/cgroup/cpu/cgroup.procs").exists() {
        ("/sys/fs/cgroup/cpu", true)
    } else {
        ("/sys/fs/cgroup", false)
    };
    let name = format!("peregrine-test-{}", std::process::id());
    let dir = Path::new(base).join(&name);
    let _ = std::fs::remove_dir(&dir);
    std::fs::create_dir(&dir).expect("creating a cgroup");
    // Removed however the test ends (empty once its one process has exited).
    struct Remove<'a>(&'a Path);
    impl Drop for Remove<'_> {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir(self.0);
        }
    }
    let _remove = Remove(&dir);
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec sleep 0.31415",
        dir.display()
    );
    let seen = capture_while(
        "evt.type=execve and proc.name=sleep and proc.args contains 0.31415",
        Command::new("sh").args(["-c", &script]),
        &[
            "thread.cgroups",
            "thread.cgroup.cpu",
            "thread.cgroup.memory",
        ],
    );
    let [[all, cpu, memory]] = &seen[..] else {
        panic!("one execve expected: {seen:?}");
    };
    let ours = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    if v1 {
        assert_eq!(cpu, &format!("/{name}"), "{all}");
        // Memory stays where this test runs (sleep inherited it).
        if let Some(line) = ours.lines().find(|l| l.split(':').nth(1) == Some("memory")) {
            assert_eq!(memory, line.splitn(3, ':').nth(2).unwrap(), "{all}");
        }
    } else {
        assert!(all.contains(&format!("/{name}")), "{all}");
    }
    assert!(
        all.starts_with("cpuset=") || all.starts_with("cpu="),
        "{all}"
    );
}

/// A process in a new pid namespace gets its ids there from clone (1: it is that namespace's
/// init), while its host pid stays its own.
#[test]
fn clone_gives_the_ids_in_the_process_pid_namespace() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let seen = capture_while(
        "evt.type=execve and proc.name=sleep and proc.args contains 0.27182",
        Command::new("unshare").args(["--pid", "--fork", "sh", "-c", "exec sleep 0.27182"]),
        &["proc.pid", "proc.vpid", "thread.vtid", "proc.vpgid"],
    );
    let [[pid, vpid, vtid, vpgid]] = &seen[..] else {
        panic!("one execve expected: {seen:?}");
    };
    assert_ne!(pid, "1");
    assert_eq!((vpid.as_str(), vtid.as_str()), ("1", "1"), "pid {pid}");
    // Its process group was made outside the namespace: not in it, so 0, as getpgrp() says.
    assert_eq!(vpgid, "0");
}

/// execve tells the controlling terminal (the kernel's encoding, as /proc/PID/stat's
/// tty_nr), the executable's inode number and change and modification times (ns since the
/// epoch, as stat(2) gives them) and its path as the kernel knows it.
#[test]
fn execve_tells_the_terminal_and_the_executables_inode() {
    use std::os::unix::fs::MetadataExt;
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    // `cut` prints field 7 of its own stat line under a pseudo-terminal that `script` opens.
    let out = tempdir_path("tty").with_extension("out");
    let script = format!(
        "script -qec \"cut -d' ' -f7 /proc/self/stat\" /dev/null > {}",
        out.display()
    );
    let seen = capture_while(
        "evt.type=execve and proc.name=cut",
        Command::new("sh").args(["-c", &script]),
        &[
            "proc.tty",
            "evt.rawarg.exe_ino",
            "evt.rawarg.exe_ino_ctime",
            "evt.rawarg.exe_ino_mtime",
            "evt.rawarg.trusted_exepath",
            "proc.exepath",
        ],
    );
    let printed = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let [[tty, ino, ctime, mtime, exepath, state_exepath]] = &seen[..] else {
        panic!("one execve expected: {seen:?}");
    };
    assert_eq!(tty, printed.trim());
    assert_ne!(tty, "0", "script gives cut a terminal");
    // The executable's own path, symbolic links resolved, from the root of the mounts.
    let real = std::fs::canonicalize("/usr/bin/cut").unwrap();
    assert_eq!(exepath, real.to_str().unwrap());
    // And the state takes it (without enter events, the only path it has).
    assert_eq!(state_exepath, exepath);
    let m = std::fs::metadata("/usr/bin/cut").unwrap();
    let ns = |s: i64, n: i64| (s * 1_000_000_000 + n).to_string();
    assert_eq!(
        (ino.as_str(), ctime.clone(), mtime.clone()),
        (
            m.ino().to_string().as_str(),
            ns(m.ctime(), m.ctime_nsec()),
            ns(m.mtime(), m.mtime_nsec())
        )
    );
}

/// A new process is told when the init of its pid namespace started (monotonic ns; sysdig
/// adds the boot time): in the host's namespace, pid 1's start, which /proc/1/stat gives
/// in clock ticks since boot.
#[test]
fn clone_tells_the_child_when_its_pid_namespace_began() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let seen = capture_while(
        "evt.type=clone and evt.rawarg.res=0 and proc.args contains 0.1414",
        Command::new("sh").args(["-c", "sleep 0.1414 & wait"]),
        &["evt.rawarg.pidns_init_start_ts"],
    );
    let [[ts]] = &seen[..] else {
        panic!("one clone child expected: {seen:?}");
    };
    let stat = std::fs::read_to_string("/proc/1/stat").unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let ticks: u64 = after_comm.split(' ').nth(19).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    let expected = ticks * 1_000_000_000 / hz;
    let ts: u64 = ts.parse().unwrap();
    assert!(
        ts.abs_diff(expected) <= 2_000_000_000 / hz,
        "pidns_init_start_ts {ts}, pid 1 started at {expected} ns"
    );
}

/// A process that exits leaving a child names the thread that adopts it, the one the
/// kernel gives the orphan as its parent (init or a child subreaper), and the state moves
/// the child there.
#[test]
fn procexit_names_the_reaper_of_the_orphans() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let pidfile = tempdir_path("reaper").with_extension("pid");
    let script = format!("sleep 3.1415 & echo $! > {}", pidfile.display());
    let mut ins = live_inspector("evt.type=procexit and proc.args contains 3.1415");
    let status = Command::new("sh").args(["-c", &script]).status().unwrap();
    assert!(status.success());
    // Removals (and the reparenting with them) happen at the event after the exit.
    Command::new("true").status().unwrap();
    let orphan: i64 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _ = std::fs::remove_file(&pidfile);
    // The sleep's parent now, as the kernel says.
    let stat = std::fs::read_to_string(format!("/proc/{orphan}/stat")).unwrap();
    let ppid: i64 = stat[stat.rfind(')').unwrap() + 2..]
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    ins.stop_flag()
        .unwrap()
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let mut reapers = Vec::new();
    while let Some(ev) = ins.next().unwrap() {
        reapers.push(ev.field("evt.rawarg.reaper_tid").unwrap());
    }
    let adopted = ins.state().threads.get(orphan).map(|t| t.ptid);
    // SAFETY: kill has no memory preconditions; orphan is the sleep started above.
    unsafe { libc::kill(orphan as i32, libc::SIGKILL) };
    assert_eq!(reapers, [ppid.to_string()], "the shell's exit");
    assert_eq!(adopted, Some(ppid));
}

/// An orphan goes to the nearest ancestor that is a child subreaper: the exit of its parent
/// names that process, and the state moves the orphan there.
#[test]
fn procexit_names_a_child_subreaper() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let recs = run("reaper");
    let root = recs[0].f("proc.pid").to_string();
    let exits: Vec<&Rec> = recs.iter().filter(|r| r.ty() == "procexit").collect();
    let [child, grandchild, workload] = exits[..] else {
        panic!("three exits expected: {exits:?}");
    };
    assert_eq!(child.f("proc.ppid"), root);
    assert_eq!(child.raw("reaper_tid"), root, "the child leaves an orphan");
    assert_eq!(grandchild.f("proc.ppid"), root, "adopted");
    assert_eq!(grandchild.raw("reaper_tid"), "0", "no children");
    assert_eq!(workload.f("proc.pid"), root);
}

/// A process found running at the start (read from /proc) carries what execve would have
/// told of its executable: inode number and times, and whether its user may write it (root
/// owns it here); the state has it too.
#[test]
fn processes_found_at_start_know_their_executable() {
    use std::os::unix::fs::MetadataExt;
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let ins = live_inspector("evt.type=getppid");
    let pid = child.id();
    let record = ins
        .metadata()
        .threads
        .iter()
        .find(|t| t.tid == u64::from(pid))
        .cloned();
    let writable = ins
        .state()
        .threads
        .get(i64::from(pid))
        .map(|t| t.exe_writable);
    let m = std::fs::metadata(format!("/proc/{pid}/exe")).unwrap();
    drop(ins);
    let _ = child.kill();
    let _ = child.wait();
    let record = record.expect("sleep is in the process list");
    let ns = |s: i64, n: i64| (s * 1_000_000_000 + n) as u64;
    assert_eq!(
        (
            record.exe_ino,
            record.exe_ino_ctime,
            record.exe_ino_mtime,
            record.exe_writable,
            record.exe_from_memfd
        ),
        (
            m.ino(),
            ns(m.ctime(), m.ctime_nsec()),
            ns(m.mtime(), m.mtime_nsec()),
            true,
            false
        )
    );
    assert_eq!(writable, Some(true));
}

/// execve's flags: an executable its user may write (root, the owner here) is marked
/// writable, one run from a memfd is marked so (a successful execveat reads as execve, as in
/// libsinsp), and one `nobody` may not write is not.
#[test]
fn execve_flags_tell_writable_and_memfd_executables() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let bin = compile_workload(WORKLOAD, "fillers.c");
    let flags = |filter: &str, command: &mut Command| -> String {
        let seen = capture_while(filter, command, &["evt.arg.flags"]);
        let [[f]] = &seen[..] else {
            panic!("one execve expected: {seen:?}");
        };
        f.clone()
    };
    let seen = capture_while(
        "evt.type=execve and proc.args contains pg-memfd-run",
        Command::new(&bin).args(["memfd", "-"]),
        &["evt.arg.flags", "evt.rawarg.trusted_exepath"],
    );
    let [[memfd, exepath]] = &seen[..] else {
        panic!("one execve expected: {seen:?}");
    };
    assert!(memfd.contains("EXE_FROM_MEMFD"), "{memfd}");
    // A file outside the mount tree: its name alone.
    assert_eq!(exepath, "memfd:pg-true");
    // Where / is an overlay (a container, a virtual machine over its host's files), sleep
    // comes from its lower layer, and the flags say so too.
    let fs = Command::new("stat")
        .args(["-f", "-L", "-c", "%T", "/bin/sleep"])
        .output()
        .unwrap();
    let layer = if String::from_utf8_lossy(&fs.stdout).trim() == "overlayfs" {
        "EXE_LOWER_LAYER"
    } else {
        ""
    };
    let with_layer = |f: &str| match (f, layer) {
        (f, "") => f.to_string(),
        ("", l) => l.to_string(),
        (f, l) => format!("{f}|{l}"),
    };
    let root = flags(
        "evt.type=execve and proc.name=sleep and proc.args contains 0.1618",
        Command::new("sleep").arg("0.1618"),
    );
    assert_eq!(root, with_layer("EXE_WRITABLE"));
    let nobody = flags(
        "evt.type=execve and proc.name=sleep and proc.args contains 0.1619",
        Command::new("setpriv").args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "sleep",
            "0.1619",
        ]),
    );
    assert_eq!(nobody, if layer.is_empty() { "0" } else { layer });
}

/// On an overlay file system, execve tells whether the executable comes from the upper
/// layer or only from a lower one.
#[test]
fn execve_flags_tell_the_overlay_layer() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let dir = tempdir("overlay");
    let [lower, upper, work, merged] = ["lower", "upper", "work", "merged"].map(|d| {
        let p = Path::new(&dir).join(d);
        std::fs::create_dir_all(&p).unwrap();
        p
    });
    std::fs::copy("/bin/true", lower.join("pg-ovl-low")).unwrap();
    std::fs::copy("/bin/true", upper.join("pg-ovl-up")).unwrap();
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    let mounted = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &options])
        .arg(&merged)
        .status()
        .unwrap();
    assert!(mounted.success(), "mounting an overlay file system");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(merged.clone());
    for (name, layer) in [
        ("pg-ovl-low", "EXE_LOWER_LAYER"),
        ("pg-ovl-up", "EXE_UPPER_LAYER"),
    ] {
        let seen = capture_while(
            &format!("evt.type=execve and proc.name={name}"),
            &mut Command::new(merged.join(name)),
            &["evt.arg.flags"],
        );
        let [[flags]] = &seen[..] else {
            panic!("one execve expected: {seen:?}");
        };
        assert!(flags.contains(layer), "{name}: {flags}");
        assert!(flags.contains("EXE_WRITABLE"), "{name}: {flags}");
    }
}

/// The CLI's `--enter-events`: the enter events come out with the exits, and the open's fd
/// takes its name from them; without the option there are none.
#[test]
fn cli_enter_events_option_sends_them() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let bin = compile_workload(WORKLOAD, "fillers.c");
    let run = |option: Option<&str>| -> String {
        let dir = tempdir("enter-cli").display().to_string();
        let mut child = spawn_waiting(&bin, "enter", &dir);
        let filter = format!(
            "proc.pid={} and evt.type in (open, openat, creat, connect)",
            child.id()
        );
        let file = tempdir_path("enter-cli.scap");
        let _ = std::fs::remove_file(&file);
        let mut cli = Command::new(env!("CARGO_BIN_EXE_peregrine"))
            .args(option)
            .arg("-w")
            .arg(&file)
            .args(["-M", "3", &filter])
            .spawn()
            .unwrap();
        // The workload runs well inside the three seconds, counted from the start.
        wait_until_capturing(&file);
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        assert!(child.wait().unwrap().success());
        assert!(cli.wait().unwrap().success());
        // `*`: the enter events have no fd yet, whose name would otherwise hide them.
        let file = file.to_str().unwrap();
        peregrine_ok(&["-r", file, "-p", "*%evt.dir %evt.type %fd.name"]).replace(&dir, "DIR")
    };
    let with = run(Some("--enter-events"));
    for line in [
        "> open ",
        "< open DIR/t-open",
        "> openat ",
        "< openat DIR/t-openat",
        "> creat ",
        "< creat DIR/t-creat",
        "> connect ",
        "< connect 127.0.0.1:",
    ] {
        assert!(
            with.lines().any(|l| l.starts_with(line)),
            "no line starting {line:?} in:\n{with}"
        );
    }
    let without = run(None);
    assert!(without.contains("< open DIR/t-open"), "{without}");
    assert!(!without.lines().any(|l| l.starts_with('>')), "{without}");
}

/// The workload in `mode` on `dir`, waiting for a line on its stdin to start.
fn spawn_waiting(bin: &Path, mode: &str, dir: &str) -> std::process::Child {
    Command::new(bin)
        .arg(mode)
        .arg(dir)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The scratch directory of a mode, fresh.
fn tempdir(name: &str) -> PathBuf {
    let d = tempdir_path(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tempdir_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fillers-{name}-{}", std::process::id()))
}

/// Reads, writes, sendto and recvfrom keep the first `snaplen` bytes of their data, with
/// their other parameters exact, whichever way the probe builds the event: on its stack up
/// to 80 bytes of data (the default snaplen), in its scratch buffer above.
#[test]
fn data_is_cut_at_the_snaplen() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let pattern: String = (0..200).map(|i| char::from(b'0' + i % 10)).collect();
    for snaplen in [None, Some(16), Some(80), Some(81), Some(150), Some(1000)] {
        let recs = run_at("data", snaplen);
        let kept = snaplen.unwrap_or(80) as usize;
        let file = format!("{}/d.txt", tempdir_path("data").display());
        let mut c = Cursor::new(&recs);
        let fd = c
            .next_where("openat", |r| r.f("fd.name") == file)
            .raw_i64("fd");
        let at = format!("snaplen {snaplen:?}");
        for (ty, pos) in [
            ("write", None),
            ("pwrite", Some("300")),
            ("read", None),
            ("pread", Some("300")),
        ] {
            let r = c.next(ty);
            assert_eq!(r.raw_i64("fd"), fd, "{ty}, {at}");
            assert_eq!((r.raw("res"), r.raw("size")), ("200", "200"), "{ty}, {at}");
            // evt.arg.data shows at most 80 bytes, as sysdig does; the raw value has all.
            assert_eq!(r.raw("data"), &pattern[..kept.min(200)], "{ty}, {at}");
            assert_eq!(r.f("evt.arg.pos"), pos.unwrap_or("<NA>"), "{ty}, {at}");
        }
        // Nothing moved: no data, the size asked for.
        for (res, size, fd_want) in [("0", "0", fd), ("0", "200", fd), ("-9", "200", -1)] {
            let r = c.next("read");
            assert_eq!(r.raw_i64("fd"), fd_want, "read of {size}, {at}");
            assert_eq!((r.raw("res"), r.raw("size")), (res, size), "read, {at}");
            assert_eq!(r.raw("data"), "", "read of {size}, {at}");
        }
        // sendto and recvfrom, built on the stack too up to 80 bytes, but for unix
        // sockets: the same data, and the connection from client to server both ways. The
        // client's socket is not bound: its own address is the unspecified one, and the
        // server's recvfrom names the client's by the address the call returns.
        for (family, any, lo) in [("IPv4", "0.0.0.0:", "127.0.0.1:"), ("IPv6", ":::", "::1:")] {
            let at = format!("{family}, {at}");
            let st = c.next("sendto");
            let rf = c.next("recvfrom");
            for r in [&st, &rf] {
                assert_eq!((r.raw("res"), r.raw("size")), ("200", "200"), "{at}");
                assert_eq!(r.raw("data"), &pattern[..kept.min(200)], "{at}");
            }
            let (sent, got) = (st.arg("tuple"), rf.arg("tuple"));
            let (from, to) = got.split_once("->").expect("a tuple");
            assert!(from.starts_with(lo) && to.starts_with(lo), "{got}, {at}");
            assert!(!from.ends_with(":0") && !to.ends_with(":0"), "{got}, {at}");
            assert_eq!(sent.strip_prefix(any), got.strip_prefix(lo), "{sent}, {at}");
        }
        let st = c.next("sendto");
        assert_eq!((st.raw_i64("fd"), st.raw("res")), (-1, "-9"), "{at}");
        assert_eq!((st.raw("data"), st.raw("tuple")), ("", ""), "{at}");
    }
}
