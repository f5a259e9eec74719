//! Live capture tests, run for real: they load the probe into this machine's kernel, run the
//! workload under tests/live/ and check what the probe reports: each expected event with its
//! arguments and state fields, the same syscalls strace sees, a file written with `-w` that
//! reads back (and that sysdig reads alike), and exact drop accounting.
//!
//! They need root and a kernel with BTF; without them they print `SKIPPED:` (which CI treats
//! as a failure). They run one at a time: each loads its own probe.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use peregrine::Inspector;

/// Live tests share the machine's syscalls; one at a time keeps them apart.
static SERIAL: Mutex<()> = Mutex::new(());

/// The workload's name, which is its process name.
const WORKLOAD: &str = "pg-workload";

/// One captured event, with the fields the tests look at.
#[derive(Debug, Clone)]
struct Rec {
    num: u64,
    ty: String,
    tid: i64,
    pid: i64,
    name: String,
    pname: String,
    res: String,
    args: String,
    fd_name: String,
    user: String,
    fields: HashMap<&'static str, String>,
}

impl Rec {
    fn arg(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

const ARGS: &[&str] = &[
    "evt.rawarg.fd",
    "fd.num",
    "evt.arg.flags",
    "evt.arg.mode",
    "evt.arg.data",
    "evt.arg.exe",
    "evt.rawarg.res",
    "proc.args",
    "proc.exe",
    "thread.vtid",
    "evt.arg.ID",
    "evt.arg.nativeID",
];

/// Captures live with `filter` while `run` starts the workload; collects the events of the
/// processes named `names` until the process `run` returned has exited (its procexit), or
/// 30 seconds.
fn capture(filter: &str, names: &[&str], run: impl FnOnce() -> u32) -> Vec<Rec> {
    let mut ins = live_inspector(filter);
    let stop = ins.stop_flag().unwrap();
    let root = run();
    let timer = std::thread::spawn({
        let stop = stop.clone();
        move || {
            std::thread::sleep(Duration::from_secs(30));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let mut recs = Vec::new();
    let mut ended_at: Option<Instant> = None;
    let mut tracked = std::collections::HashSet::from([i64::from(root)]);
    while let Some(ev) = ins.next().unwrap() {
        let f = |n: &str| ev.field(n).unwrap_or_default();
        let name = f("proc.name");
        let pid: i64 = f("proc.pid").parse().unwrap_or(-1);
        if pid == i64::from(root) && f("evt.type") == "procexit" && ended_at.is_none() {
            ended_at = Some(Instant::now());
            // Events of other CPUs may still come in a moment (a second under QEMU's
            // emulation, where the kernel matrix runs); then the capture ends.
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(1));
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            });
        }
        // Only the process started and its descendants: another process of the same name
        // (another test's or a benchmark's workload) is not this run's.
        let ppid: i64 = f("proc.ppid").parse().unwrap_or(-1);
        if tracked.contains(&pid) || tracked.contains(&ppid) {
            tracked.insert(pid);
        } else {
            continue;
        }
        if names.contains(&name.as_str()) {
            let mut fields = HashMap::new();
            for a in ARGS {
                fields.insert(*a, f(a));
            }
            let ty = f("evt.type");
            recs.push(Rec {
                num: ev.number(),
                ty,
                tid: f("thread.tid").parse().unwrap_or(-1),
                pid,
                name,
                pname: f("proc.pname"),
                res: f("evt.res"),
                args: f("evt.args"),
                fd_name: f("fd.name"),
                user: f("user.name"),
                fields,
            });
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(timer);
    let stats = ins.stats().unwrap().unwrap();
    assert_eq!(stats.drops(), 0, "events were dropped: {stats:?}");
    assert!(ended_at.is_some(), "the workload's exit was not seen");
    recs
}

/// Index of the first record after `from` matching `pred`, or a panic naming `what`.
fn find(recs: &[Rec], from: usize, what: &str, pred: impl Fn(&Rec) -> bool) -> usize {
    recs[from..]
        .iter()
        .position(pred)
        .map(|i| from + i)
        .unwrap_or_else(|| {
            let tail: Vec<String> = recs[from..]
                .iter()
                .take(40)
                .map(|r| format!("{} {} {} {} {}", r.num, r.tid, r.name, r.ty, r.args))
                .collect();
            panic!("no {what} after event {from}; then:\n{}", tail.join("\n"))
        })
}

#[test]
fn workload_events_have_their_arguments_and_state() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let bin = compile_workload(WORKLOAD, "workload.c");
    let dir = fresh_dir("live-events");
    let data = format!("{}/data.txt", dir.display());
    let mut child = None;
    let recs = capture(
        "proc.name in (pg-workload, true)",
        &[WORKLOAD, "true"],
        || {
            let c = Command::new(&bin).arg(&dir).spawn().unwrap();
            let pid = c.id();
            child = Some(c);
            pid
        },
    );
    assert!(child.unwrap().wait().unwrap().success());
    let main_pid = recs.iter().find(|r| r.name == WORKLOAD).unwrap().pid;

    // Every event that is about an fd is about the fd it names (exit events carry it; there
    // are no enter events to take it from).
    let mut checked = 0;
    for r in &recs {
        let arg = r.arg("evt.rawarg.fd");
        if arg.parse::<i64>().is_ok_and(|fd| fd >= 0) && r.arg("fd.num") != "<NA>" {
            assert_eq!(r.arg("fd.num"), arg, "event {} {} {}", r.num, r.ty, r.args);
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} events with an fd");

    // 1. The data file: created, written, closed.
    let open = find(&recs, 0, "openat of data.txt", |r| {
        r.ty == "openat" && r.fd_name == data
    });
    let o = &recs[open];
    assert_eq!(o.tid, main_pid);
    assert_eq!(o.user, "root");
    let flags = o.arg("evt.arg.flags");
    for f in ["O_CREAT", "O_WRONLY", "O_TRUNC"] {
        assert!(flags.contains(f), "openat flags {flags} lack {f}");
    }
    assert_eq!(o.arg("evt.arg.mode"), "0644");
    let write = find(&recs, open, "write to data.txt", |r| {
        r.ty == "write" && r.fd_name == data
    });
    assert_eq!(recs[write].res, "SUCCESS");
    assert_eq!(recs[write].arg("evt.rawarg.res"), "20");
    assert_eq!(recs[write].arg("evt.arg.data"), "peregrine-live-test.");
    let close = find(&recs, write, "close of data.txt", |r| {
        r.ty == "close" && r.fd_name == data
    });

    // 2. Renamed and removed.
    let rename = find(&recs, close, "rename", |r| r.ty.starts_with("rename"));
    let unlink = find(&recs, rename, "unlink", |r| r.ty.starts_with("unlink"));

    // 3. A loopback connection.
    let socket = find(&recs, unlink, "socket", |r| r.ty == "socket");
    let bind = find(&recs, socket, "bind", |r| r.ty == "bind");
    let listen = find(&recs, bind, "listen", |r| r.ty == "listen");
    let connect = find(&recs, listen, "connect", |r| r.ty == "connect");
    let accept = find(&recs, connect, "accept", |r| r.ty.starts_with("accept"));

    // 4. A thread: created with clone3 (CLONE_THREAD), its own events under its own tid.
    let clone3 = find(&recs, accept, "clone3 in the parent", |r| {
        r.ty == "clone3" && r.tid == main_pid && r.res == "SUCCESS"
    });
    let thread_tid: i64 = recs[clone3].arg("evt.rawarg.res").parse().unwrap();
    assert_ne!(thread_tid, main_pid);
    assert!(recs[clone3].args.contains("CLONE_THREAD"));
    let getppid = find(&recs, 0, "getppid in the thread", |r| {
        r.ty == "getppid" && r.tid == thread_tid
    });
    let t = &recs[getppid];
    assert_eq!((t.pid, t.name.as_str()), (main_pid, WORKLOAD));
    // getppid has no event of its own: the generic event carries the syscall's schema code
    // (shown by name) and its native number.
    assert_eq!(
        (t.arg("evt.arg.ID"), t.arg("evt.arg.nativeID")),
        ("getppid".to_string(), libc::SYS_getppid.to_string())
    );
    let tw = find(&recs, getppid, "write in the thread", |r| {
        r.ty == "write" && r.tid == thread_tid
    });
    assert_eq!(recs[tw].fd_name, "/dev/null");
    assert_eq!(recs[tw].arg("evt.arg.data"), "thread.");

    // 5. A failed setuid.
    let setuid = find(&recs, clone3, "setuid", |r| {
        r.ty == "setuid" && r.tid == main_pid
    });
    assert_ne!(recs[setuid].res, "SUCCESS");

    // 6. fork, then the child execs /bin/true with its arguments and exits.
    let fork = find(&recs, setuid, "the fork", |r| {
        r.ty == "clone" && r.tid == main_pid && r.res == "SUCCESS"
    });
    let child_pid: i64 = recs[fork].arg("evt.rawarg.res").parse().unwrap();
    let exec = find(&recs, 0, "the child's execve", |r| {
        r.ty == "execve" && r.tid == child_pid && r.name == "true"
    });
    let e = &recs[exec];
    assert_eq!(e.pname, WORKLOAD);
    assert_eq!(e.arg("proc.args"), "first-arg second-arg");
    assert_eq!(e.arg("evt.arg.exe"), "true");
    find(&recs, exec, "the child's exit", |r| {
        r.ty == "procexit" && r.tid == child_pid
    });
    find(&recs, fork, "the workload's exit", |r| {
        r.ty == "procexit" && r.tid == main_pid
    });
}

/// strace's view of a run: per thread, the names of the syscalls it made, in order
/// (syscalls that never return, exit and exit_group, left out).
fn strace_syscalls(log: &str) -> HashMap<i64, Vec<String>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for line in log.lines() {
        let Some((tid, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(tid) = tid.parse::<i64>() else {
            continue;
        };
        let rest = rest.trim_start();
        if rest.starts_with("<...") || rest.starts_with("---") || rest.starts_with("+++") {
            continue;
        }
        let Some(name) = rest.split('(').next() else {
            continue;
        };
        if name == "exit" || name == "exit_group" {
            continue;
        }
        out.entry(tid).or_default().push(name.to_string());
    }
    out
}

#[test]
fn workload_syscalls_are_those_strace_sees() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    if Command::new("strace").arg("-V").output().is_err() {
        skip("strace is not installed (scripts/install-deps installs it)");
        return;
    }
    let bin = compile_workload(WORKLOAD, "workload.c");
    let dir = fresh_dir("live-strace");
    let log = dir.join("strace.log");
    let mut child = None;
    let recs = capture(
        "proc.name in (pg-workload, true, strace)",
        &[WORKLOAD, "true"],
        || {
            let c = Command::new("strace")
                .args(["-f", "-qq", "-o"])
                .arg(&log)
                .arg(&bin)
                .arg(&dir)
                .spawn()
                .unwrap();
            let pid = c.id();
            child = Some(c);
            pid
        },
    );
    assert!(child.unwrap().wait().unwrap().success());
    let traced = strace_syscalls(&std::fs::read_to_string(&log).unwrap());

    // The probe's view, per thread, from the workload's execve on; the child side of a
    // clone (which strace shows only in the parent) left out.
    let mut probe: HashMap<i64, Vec<String>> = HashMap::new();
    let start = recs
        .iter()
        .position(|r| r.ty == "execve" && r.name == WORKLOAD)
        .expect("the workload's execve");
    for r in &recs[start..] {
        let child_side = matches!(r.ty.as_str(), "clone" | "clone3" | "fork" | "vfork")
            && r.arg("evt.rawarg.res") == "0";
        if child_side || r.ty == "procexit" {
            continue;
        }
        // The schema names these events after the syscalls' old names.
        let name = match r.ty.as_str() {
            "pread" => "pread64",
            "pwrite" => "pwrite64",
            other => other,
        };
        probe.entry(r.tid).or_default().push(name.to_string());
    }
    assert_eq!(
        probe.len(),
        traced.len(),
        "threads: probe {:?}, strace {:?}",
        probe.keys().collect::<Vec<_>>(),
        traced.keys().collect::<Vec<_>>()
    );
    let mut compared = 0;
    for (tid, names) in &traced {
        let ours = probe
            .get(tid)
            .unwrap_or_else(|| panic!("thread {tid} not captured"));
        assert_eq!(ours, names, "thread {tid}: probe vs strace");
        compared += names.len();
    }
    eprintln!(
        "{compared} syscalls in {} threads agree with strace",
        traced.len()
    );
    assert!(compared > 50);
}

#[test]
fn written_capture_reads_back_and_sysdig_reads_it_alike() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !live_ready() || !have_sysdig() {
        return;
    }
    let bin = compile_workload(WORKLOAD, "workload.c");
    let dir = fresh_dir("live-write");
    let file = dir.join("live.scap");
    let mut cli = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .arg("-w")
        .arg(&file)
        // sysdig 0.29 crashes on generic events of syscalls newer than its table (rseq, whose
        // code is past its PPM_SC_MAX), so they stay out of this file.
        .args([
            "-M",
            "4",
            "proc.name in (pg-workload, true) and evt.type != rseq",
        ])
        .spawn()
        .unwrap();
    // The workload runs well inside the four seconds, counted from the start.
    wait_until_capturing(&file);
    assert!(Command::new(&bin).arg(&dir).status().unwrap().success());
    assert!(cli.wait().unwrap().success());

    let ours = peregrine_ok(&["-r", file.to_str().unwrap(), "-p", STATELESS_FORMAT]);
    assert!(ours.lines().count() > 50, "few events written:\n{ours}");
    assert!(ours.contains(" openat "), "no openat in:\n{ours}");
    let theirs = modern_syscall_names(&sysdig(&[
        "-r",
        file.to_str().unwrap(),
        "-p",
        STATELESS_FORMAT,
    ]));
    assert!(
        ours == theirs,
        "sysdig reads the file otherwise: {}",
        first_difference(&ours, &theirs)
    );
    // And the state fields survive the round trip through the file.
    let names = peregrine_ok(&[
        "-r",
        file.to_str().unwrap(),
        "-p",
        "%proc.name %proc.pname %evt.type",
        "evt.type=execve and proc.name=true",
    ]);
    assert!(
        names.starts_with(&format!("true {WORKLOAD} execve")),
        "{names}"
    );
    // execve's flags as sysdig reads them: /bin/true, run as root, is writable by its user.
    let args = [
        "-r",
        file.to_str().unwrap(),
        "-p",
        "%proc.name %proc.is_exe_writable",
        "evt.type=execve and proc.name=true",
    ];
    let ours = peregrine_ok(&args);
    assert!(ours.starts_with("true true\n"), "{ours}");
    assert_eq!(ours, sysdig(&args));
}

/// A live inspector with `filter` and rings of `ring` bytes on the workload's process alone,
/// returned once the workload has called getppid `n` times and exited.
fn getppid_loop_captured(n: u64, filter: &str, ring: usize) -> Inspector {
    let bin = compile_workload(WORKLOAD, "workload.c");
    let mut child = Command::new(&bin)
        .args(["--loop", &n.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let ins = Inspector::builder()
        .live()
        .buffer_size(ring)
        .only_process(child.id())
        .filter(filter)
        .unwrap()
        .build()
        .unwrap();
    go_and_wait(std::slice::from_mut(&mut child));
    ins
}

#[test]
fn drops_are_counted_exactly() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    const N: u64 = 20_000;
    // One page of ring per CPU holds a few dozen events; nothing is read until the loop
    // has ended, so most of them are dropped.
    let mut ins = getppid_loop_captured(N, "evt.type=getppid", 4096);
    let stop = ins.stop_flag().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut delivered = 0u64;
    let mut getppid = 0u64;
    while let Some(ev) = ins.next().unwrap() {
        delivered += 1;
        if ev.field("evt.type").unwrap() == "getppid" {
            getppid += 1;
        }
    }
    let s = ins.stats().unwrap().unwrap();
    eprintln!("{s:?}, getppid delivered {getppid}");
    // The loop's getppid calls and the process's exit, nothing else of it.
    assert_eq!(s.events, N + 1, "{s:?}");
    assert_eq!(s.delivered, delivered);
    assert_eq!(delivered + s.drops(), N + 1, "{s:?}");
    assert!(s.drops_buffer > 0, "a stalled consumer must drop: {s:?}");
    assert!(getppid < N);
}

/// A syscall the filter cannot match never leaves the kernel: it has no entry in the
/// probe's program table, so the probe produces nothing for it. getppid has no event of its
/// own (it goes out as the generic event), the case a table keyed by event would miss.
#[test]
fn syscalls_the_filter_excludes_are_not_produced() {
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let mut ins = getppid_loop_captured(20_000, "evt.type=open", 8 << 20);
    ins.stop_flag()
        .unwrap()
        .store(true, std::sync::atomic::Ordering::Relaxed);
    while ins.next().unwrap().is_some() {}
    let s = ins.stats().unwrap().unwrap();
    // The read of "go", the getppid calls and exit_group are left out; procexit, which keeps
    // the state right (and which the filter then drops), is all the probe sends.
    assert_eq!((s.events, s.delivered, s.drops()), (1, 1, 0), "{s:?}");
}

/// Without the privileges live capture needs, the CLI says so in one line and fails.
#[test]
fn without_privileges_one_line_says_what_is_missing() {
    if !live_ready() {
        return;
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_peregrine"))
        .args(["-M", "1"])
        .output()
        .expect("setpriv (util-linux)");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("peregrine: live capture: ")
            && err.contains("Operation not permitted")
            && err.contains("needs root, or CAP_BPF and CAP_PERFMON"),
        "{err}"
    );
}

/// Tells every one of `children` (workloads told to start by a line on stdin) to go, then waits for them all to end.
fn go_and_wait(children: &mut [std::process::Child]) {
    for child in children.iter_mut() {
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    }
    for child in children {
        assert!(child.wait().unwrap().success());
    }
}

/// The serial lock and the getppid workload, pinned to CPUs 0 and 1 by `pinned_loop`; `None`
/// (after saying why) without root or with fewer than two CPUs.
fn two_cpu_setup(why: &str) -> Option<(std::sync::MutexGuard<'static, ()>, PathBuf)> {
    let serial = live_serial(&SERIAL)?;
    let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get());
    if ncpu < 2 {
        skip(&format!("{why} needs two CPUs"));
        return None;
    }
    Some((serial, compile_workload(WORKLOAD, "workload.c")))
}

/// The workload `bin` running a getppid loop of `n` calls on CPU `cpu` once told to go.
fn pinned_loop(bin: &Path, cpu: usize, n: u64) -> std::process::Child {
    Command::new("taskset")
        .args(["-c", &cpu.to_string()])
        .arg(bin)
        .args(["--loop", &n.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

/// With a CPU selection, only what runs on those CPUs is captured: a getppid loop pinned
/// to the other CPU gives nothing, pinned to a selected one every call.
#[test]
fn cpu_selection_captures_only_those_cpus() {
    let Some((_serial, bin)) = two_cpu_setup("CPU selection") else {
        return;
    };
    const N: u64 = 1000;
    let run_on = |cpu: usize| -> (u64, peregrine::capture::live::LiveStats) {
        let mut child = pinned_loop(&bin, cpu, N);
        let mut ins = Inspector::builder()
            .live()
            .cpus([0])
            .only_process(child.id())
            .filter("evt.type=getppid")
            .unwrap()
            .build()
            .unwrap();
        go_and_wait(std::slice::from_mut(&mut child));
        ins.stop_flag()
            .unwrap()
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let mut n = 0;
        while let Some(ev) = ins.next().unwrap() {
            n += u64::from(ev.field("evt.type").unwrap() == "getppid");
        }
        (n, ins.stats().unwrap().unwrap())
    };
    let (on_0, s0) = run_on(0);
    assert_eq!((on_0, s0.drops()), (N, 0), "{s0:?}");
    let (on_1, s1) = run_on(1);
    assert_eq!(on_1, 0, "{s1:?}");
    // A CPU that does not exist is refused.
    let err = Inspector::builder()
        .live()
        .cpus([100_000])
        .build()
        .err()
        .expect("an error");
    assert!(
        err.to_string().contains("CPU 100000 does not exist"),
        "{err}"
    );
}

/// An Inspector capturing the getppid calls of `children`, with rings of 64 MiB.
fn getppid_inspector(children: &[std::process::Child]) -> Inspector {
    let pids: Vec<String> = children.iter().map(|c| c.id().to_string()).collect();
    Inspector::builder()
        .live()
        .buffer_size(64 << 20)
        .filter(&format!(
            "evt.type=getppid and proc.pid in ({})",
            pids.join(",")
        ))
        .unwrap()
        .build()
        .unwrap()
}

/// Reads `ins` to its end, checking that timestamps never go back; returns the events of
/// each CPU (CPU 1 and above counted as 1) and how often the stream switched CPUs.
fn read_in_order(ins: &mut Inspector) -> ([u64; 2], u64) {
    let (mut last, mut n, mut per_cpu, mut switches) = (0u64, 0u64, [0u64; 2], 0u64);
    let mut last_cpu = None;
    while let Some(ev) = ins.next().unwrap() {
        let ts = ev.raw().event.ts();
        assert!(ts >= last, "event {n}: {ts} after {last}");
        last = ts;
        let cpu = ev.raw().cpu as usize;
        per_cpu[cpu.min(1)] += 1;
        switches += u64::from(last_cpu.is_some_and(|c| c != cpu));
        last_cpu = Some(cpu);
        n += 1;
    }
    (per_cpu, switches)
}

/// Events from every CPU's ring come out in timestamp order: two getppid loops, pinned to
/// two CPUs, run while nothing reads, so both rings hold long runs of events that
/// interleave in time; once both loops are done, every record is complete and the merge
/// must give them all, sorted, whichever ring it takes the next one from.
#[test]
fn events_of_all_cpus_come_out_in_timestamp_order() {
    let Some((_serial, bin)) = two_cpu_setup("the merge across CPUs") else {
        return;
    };
    const N: u64 = 200_000;
    let mut children: Vec<_> = (0..2).map(|cpu| pinned_loop(&bin, cpu, N)).collect();
    let mut ins = getppid_inspector(&children);
    go_and_wait(&mut children);
    ins.stop_flag()
        .unwrap()
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (per_cpu, switches) = read_in_order(&mut ins);
    let stats = ins.stats().unwrap().unwrap();
    assert_eq!((per_cpu, stats.drops()), ([N, N], 0), "{stats:?}");
    // The loops ran at the same time: the merged stream goes back and forth.
    assert!(switches > 100, "only {switches} switches between CPUs");
}

/// A backlog on one CPU is read while both CPUs keep sending: the reader skips looking at
/// a ring it found empty while the backlog it reads is older than that look (less the
/// probe's commit lag), and must still merge what that ring gets later in order.
#[test]
fn a_backlog_merges_in_order_with_events_sent_while_it_is_read() {
    let Some((_serial, bin)) = two_cpu_setup("the merge of a backlog") else {
        return;
    };
    const N: u64 = 200_000;
    let mut children: Vec<_> = [0, 0, 1].map(|cpu| pinned_loop(&bin, cpu, N)).into();
    let mut ins = getppid_inspector(&children);
    // The backlog: a loop on CPU 0 while nothing reads.
    go_and_wait(&mut children[..1]);
    std::thread::sleep(Duration::from_millis(50));
    // Then a loop on each CPU while the backlog is read.
    let stop = ins.stop_flag().unwrap();
    let mut later = children.split_off(1);
    let waiter = std::thread::spawn(move || {
        go_and_wait(&mut later);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let (per_cpu, _) = read_in_order(&mut ins);
    waiter.join().unwrap();
    let stats = ins.stats().unwrap().unwrap();
    assert_eq!((per_cpu, stats.drops()), ([2 * N, N], 0), "{stats:?}");
}

/// Each of the probe's programs is verified on its own, and each must stay within a fifth
/// of the verifier's limit of a million processed instructions: the count moves by large
/// factors with the compiler, the kernel's verifier and its BTF (one monolithic program
/// once verified at 630,000 on one machine and over a million on another), so only a wide
/// margin makes the probe load wherever it should.
#[test]
fn every_probe_program_leaves_the_verifier_room() {
    const BUDGET: u32 = peregrine::capture::live::VERIFIER_LIMIT / 5;
    let Some(_serial) = live_serial(&SERIAL) else {
        return;
    };
    let stats = peregrine::capture::live::probe_stats().expect("the probe loads");
    let clang = peregrine::capture::live::PROBE_COMPILER;
    let largest = stats
        .iter()
        .max_by_key(|s| s.verified_insns)
        .expect("programs");
    eprintln!(
        "{} programs built by {clang}; the largest, {}, took {} instructions",
        stats.len(),
        largest.name,
        largest.verified_insns
    );
    // The dispatchers (the exit one writes the generic event), procexit and a filler of
    // each family at least.
    for name in [
        "sys_exit",
        "sys_enter",
        "sched_process_exit",
        "execve_x",
        "openat_e",
    ] {
        let s = stats.iter().find(|s| s.name == name);
        assert!(s.is_some_and(|s| s.verified_insns > 0), "{name}: {s:?}");
    }
    let over: Vec<String> = stats
        .iter()
        .filter(|s| s.verified_insns > BUDGET)
        .map(|s| format!("{} ({} instructions)", s.name, s.verified_insns))
        .collect();
    assert!(
        over.is_empty(),
        "built by {clang}, these programs exceed the budget of {BUDGET} verified instructions: {}",
        over.join(", ")
    );
}
