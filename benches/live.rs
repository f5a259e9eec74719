//! Live capture benchmark (root): how fast a tight syscall loop (getppid; read and write;
//! sendto and recvfrom over UDP on the loopback) runs with nothing attached,
//! with an empty program on sys_exit, with the floor probe (a fixed 26-byte header per
//! syscall exit into per-CPU ring buffers, drained by libbpf's consumer), with the floor
//! that also copies the data of read, write, sendto and recvfrom (what any probe that sends
//! the data pays on top of the floor), and with Peregrine capturing everything through
//! `Inspector::next()`; and, with a filter that excludes the loop's syscall, Peregrine
//! against the empty program. All in one run.
//!
//! Then redis-benchmark (SET and GET) against a local redis-server: no tracing, the floor
//! probe, the floor with the data copy, Peregrine capturing everything, and Peregrine's
//! probe read by `LiveSource` alone: each run's rate, and the machine's busy CPU time per
//! request (/proc/stat), from which what each setup adds to a request, steadier than the
//! rate (on two CPUs the rate moves with how the scheduler fits a reader in).
//!
//! The machine's speed drifts between runs, so each comparison runs in interleaved rounds
//! (one run of every setup per round, `PEREGRINE_BENCH_ROUNDS`, default 5; redis four
//! times as many, of short runs) and reports the median with the range, and ratios taken
//! within each round.
//!
//! The loops run on the last CPU and the benchmark's readers on the others (see
//! `pin_loops`; `PEREGRINE_BENCH_PIN=0` lets them run anywhere).
//!
//! Each loop is also run seven more times per probe with the kernel's BPF run-time
//! statistics on, which give what the probe itself costs per syscall exit in nanoseconds,
//! the least and the median (the statistics add their own clock reads, so those runs are
//! not used for the rates).
//!
//! With `PEREGRINE_SCAP_OPEN` naming libs 0.25.4's `scap-open` (built with the modern probe;
//! docs/PERFORMANCE.md), Falco's modern probe runs as one more setup of every part: what it
//! costs the loops and redis, and how fast `scap-open` drains waiting events (issue 17).
//!
//! `cargo build --release && cargo bench --bench live`; `PEREGRINE_BENCH_ONLY=loop`, `rw`,
//! `net`, `drain` or `redis` runs one part.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::*;
use libbpf_rs::{MapCore, MapFlags, MapHandle, MapType, ObjectBuilder, RingBufferBuilder};
use peregrine::Inspector;
use peregrine::capture::live::{IDLE_SLEEP_MAX, IDLE_SLEEP_START, LiveConfig, LiveSource};

/// The reference probes (`benches/live/floor.bpf.c`), compiled once by the clang that built
/// Peregrine's probe (`PEREGRINE_CLANG`, default `clang`); the crate's build script leaves
/// them to the benchmark, which is the only user.
fn floor_object() -> &'static [u8] {
    static OBJECT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    OBJECT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let obj = bench_data().join("floor.bpf.o");
        let arch = std::env::consts::ARCH;
        let clang = std::env::var_os("PEREGRINE_CLANG").unwrap_or_else(|| "clang".into());
        let bpf = root.join("bpf");
        let arch_dir = bpf.join(arch);
        libbpf_cargo::SkeletonBuilder::new()
            .source(root.join("benches/live/floor.bpf.c"))
            .clang(&clang)
            .clang_args([
                "-I".as_ref(),
                bpf.as_os_str(),
                "-I".as_ref(),
                arch_dir.as_os_str(),
                "-O2".as_ref(),
                "-g".as_ref(),
            ])
            .obj(&obj)
            .build()
            .expect("compiling benches/live/floor.bpf.c (scripts/install-deps installs clang)");
        std::fs::read(&obj).unwrap()
    })
}

const RING: u32 = 8 << 20;

fn workload() -> PathBuf {
    let out = bench_data().join("pg-workload");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/workload.c");
    let st = Command::new("cc")
        .args(["-O2", "-pthread", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    out
}

/// The CPU the loops run on when the benchmark pins them (`pin_loops`), the last one; the
/// benchmark's own threads (the readers) and the processes it starts then keep to the
/// others.
static LOOP_CPU: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();

/// Keeps process or thread `pid` (0: the calling thread) to the CPUs `cpus`.
fn set_cpus(pid: i32, cpus: impl Iterator<Item = usize>) {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET writes inside it for any CPU
    // below CPU_SETSIZE, which the filter keeps to; sched_setaffinity reads the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for cpu in cpus.filter(|&c| c < libc::CPU_SETSIZE as usize) {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Pins the loops to the last CPU and the benchmark's threads to the others, or, with
/// `on` false, lets everything run anywhere again. Unpinned, the scheduler now and then
/// puts a reader on the loop's CPU for a while, which slows the loop by whatever that
/// reader costs per event and moves a round's ratio by up to a third; pinned, the loop
/// pays for the probe alone and the readers' CPU time is measured apart. Off with
/// `PEREGRINE_BENCH_PIN=0`, and on a machine of one CPU.
fn pin_loops(on: bool) {
    let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = std::env::var("PEREGRINE_BENCH_PIN").map_or(true, |v| v != "0");
    let cpu = *LOOP_CPU.get_or_init(|| (wanted && ncpu > 1).then_some(ncpu - 1));
    match cpu {
        Some(last) if on => set_cpus(0, 0..last),
        _ => set_cpus(0, 0..ncpu),
    }
}

/// Runs the workload's loop (`--loop` or `--rw`) of `n` iterations; returns syscalls/s.
fn run_loop(bin: &Path, mode: &str, n: u64) -> f64 {
    let mut child = Command::new(bin)
        .args([mode, &n.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(Some(cpu)) = LOOP_CPU.get() {
        set_cpus(child.id() as i32, std::iter::once(*cpu));
    }
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    assert!(child.wait().unwrap().success());
    let per_iter = if mode == "--loop" { 1.0 } else { 2.0 };
    n as f64 * per_iter / t.elapsed().as_secs_f64()
}

/// Nanoseconds per run of the loaded `tp_btf/sys_exit` program named `prog` while `f` runs,
/// from the kernel's BPF run-time statistics (enabled for the duration of `f`).
fn probe_cost(prog: &str, f: impl FnOnce()) -> f64 {
    let totals = || {
        libbpf_rs::query::ProgInfoIter::default()
            .filter(|p| p.name.to_str() == Some(prog))
            .fold((0u64, 0u64), |(t, n), p| (t + p.run_time_ns, n + p.run_cnt))
    };
    // SAFETY: BPF_ENABLE_STATS has no preconditions; it returns a descriptor that keeps the
    // statistics on until it is closed.
    let fd = unsafe {
        libbpf_rs::libbpf_sys::bpf_enable_stats(libbpf_rs::libbpf_sys::BPF_STATS_RUN_TIME)
    };
    assert!(fd >= 0, "BPF_ENABLE_STATS failed");
    let before = totals();
    f();
    let after = totals();
    // SAFETY: fd is the descriptor opened above and closed once.
    unsafe { libc::close(fd) };
    (after.0 - before.0) as f64 / (after.1 - before.1).max(1) as f64
}

/// What each probe costs per syscall exit while `f` runs, from `n` runs each with
/// the BPF statistics on, taken in turn: the floor, the floor with the copy, Peregrine's
/// probe (capturing everything) and, with `falco`, Falco's modern probe (its dispatcher is
/// named sys_exit too; measured while scap-open runs). The least of each is what the probe
/// costs when the machine does not get in its way; the median, what a run sees.
fn probe_costs(n: usize, falco: Option<&ScapOpen>, f: impl Fn()) -> String {
    let mut runs: Vec<Vec<f64>> = vec![Vec::new(); 4];
    for _ in 0..n {
        runs[0].push(probe_cost("floor", || {
            with_reference("floor", &f);
        }));
        runs[1].push(probe_cost("floor_copy", || {
            with_reference("floor_copy", &f);
        }));
        runs[2].push(probe_cost("sys_exit", || {
            with_peregrine("", &f);
        }));
        if let Some(falco) = falco {
            runs[3].push(falco.with(|| probe_cost("sys_exit", &f)).0);
        }
    }
    let mut line = String::new();
    let names = ["floor", "floor + copy", "peregrine", "falco's modern probe"];
    for (name, v) in names.iter().zip(&mut runs).filter(|(_, v)| !v.is_empty()) {
        let median = median(v);
        let sep = if line.is_empty() { "" } else { "; " };
        // median() left `v` sorted: its first is the least.
        line += &format!("{sep}{name} {:.0} (median {median:.0})", v[0]);
    }
    format!("least of {n} runs, ns: {line}")
}

/// CPU time the consumer thread of the last setup run (`with_reference`'s,
/// `with_peregrine`'s, `with_source`'s) spent reading, and the events it took: what
/// reading costs the machine, which on two cores the traced program pays too.
static READER: std::sync::Mutex<(Duration, u64)> = std::sync::Mutex::new((Duration::ZERO, 0));

/// The CPU time of the calling thread so far.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Ends a consumer thread's work: records in [`READER`] its CPU time since `start` (taken
/// once the probe was loaded, whose verification is not reading) and its `events`.
fn reader_done(start: Duration, events: u64) {
    *READER.lock().unwrap() = (thread_cpu() - start, events);
}

/// The reference probe `prog` attached while `f` runs; with a ring consumer for the floors.
/// Returns what `f` returns and the events consumed and dropped.
fn with_reference<T>(prog: &str, f: impl FnOnce() -> T) -> (T, u64, u64) {
    let ncpu = libbpf_rs::num_possible_cpus().unwrap();
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
        ..Default::default()
    };
    let template = MapHandle::create(MapType::RingBuf, Some("tmpl"), 0, 0, RING, &opts).unwrap();
    let mut open = ObjectBuilder::default()
        .open_memory(floor_object())
        .unwrap();
    for mut m in open.maps_mut() {
        if m.name() == "rings" {
            m.set_max_entries(ncpu as u32).unwrap();
            m.set_inner_map_fd(template.as_fd()).unwrap();
        }
    }
    let obj = open.load().unwrap();
    let rings_map = obj.maps().find(|m| m.name() == "rings").unwrap();
    let rings: Vec<MapHandle> = (0..ncpu)
        .map(|cpu| {
            let h = MapHandle::create(MapType::RingBuf, Some("ring"), 0, 0, RING, &opts).unwrap();
            let fd = std::os::fd::AsRawFd::as_raw_fd(&h.as_fd()) as u32;
            rings_map
                .update(
                    &(cpu as u32).to_ne_bytes(),
                    &fd.to_ne_bytes(),
                    MapFlags::ANY,
                )
                .unwrap();
            h
        })
        .collect();
    let link = obj
        .progs_mut()
        .find(|p| p.name() == prog)
        .unwrap()
        .attach()
        .unwrap();
    let consumed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let consumer = prog.starts_with("floor").then(|| {
        let (consumed, stop) = (consumed.clone(), stop.clone());
        let rings: Vec<MapHandle> = rings
            .iter()
            .map(|r| MapHandle::try_from(r).unwrap())
            .collect();
        std::thread::spawn(move || {
            let mut b = RingBufferBuilder::new();
            for r in &rings {
                let c = consumed.clone();
                b.add(r, move |_| {
                    c.fetch_add(1, Ordering::Relaxed);
                    0
                })
                .unwrap();
            }
            let rb = b.build().unwrap();
            let start = thread_cpu();
            // The same polling as Peregrine's reader.
            let mut backoff = IDLE_SLEEP_START;
            loop {
                if rb.consume_raw() > 0 {
                    backoff = IDLE_SLEEP_START;
                } else if stop.load(Ordering::Relaxed) {
                    break;
                } else {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(IDLE_SLEEP_MAX);
                }
            }
            reader_done(start, consumed.load(Ordering::Relaxed));
        })
    });
    let out = f();
    drop(link);
    stop.store(true, Ordering::Relaxed);
    if let Some(c) = consumer {
        c.join().unwrap();
    }
    let drops_map = obj.maps().find(|m| m.name() == "drops").unwrap();
    let drops: u64 = drops_map
        .lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY)
        .unwrap()
        .unwrap_or_default()
        .iter()
        .map(|v| u64::from_ne_bytes(v[..8].try_into().unwrap()))
        .sum();
    (out, consumed.load(Ordering::Relaxed), drops)
}

/// Peregrine's source alone while `f` runs: the probe and the rings, a consumer calling
/// `LiveSource::next_event` on every event and parsing nothing. What Peregrine costs
/// without its state, to tell the probe's share from the consumer's. Returns what `f`
/// returns and the events dropped.
fn with_source<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let (tx, rx) = mpsc::channel();
    let consumer = std::thread::spawn(move || {
        let mut source = LiveSource::open(&LiveConfig::default(), None).unwrap();
        tx.send(source.stop_flag()).unwrap();
        let start = thread_cpu();
        let mut n = 0u64;
        while source.next_event().unwrap().is_some() {
            n += 1;
        }
        reader_done(start, n);
        source.stats().unwrap().drops()
    });
    let stop = rx.recv().unwrap();
    let out = f();
    stop.store(true, Ordering::Relaxed);
    let drops = consumer.join().unwrap();
    (out, drops)
}

/// Peregrine capturing with `filter` while `f` runs, a consumer calling `next()` on every
/// event. Returns what `f` returns, the events delivered and dropped.
fn with_peregrine<T>(filter: &str, f: impl FnOnce() -> T) -> (T, u64, u64) {
    let (tx, rx) = mpsc::channel();
    let filter = filter.to_string();
    let consumer = std::thread::spawn(move || {
        let mut ins = Inspector::builder()
            .live()
            .filter(&filter)
            .unwrap()
            .build()
            .unwrap();
        tx.send(ins.stop_flag().unwrap()).unwrap();
        let start = thread_cpu();
        let mut n = 0u64;
        while ins.next().unwrap().is_some() {
            n += 1;
        }
        reader_done(start, n);
        let s = ins.stats().unwrap().unwrap();
        (n, s.drops())
    });
    let stop = rx.recv().unwrap();
    let out = f();
    stop.store(true, Ordering::Relaxed);
    let (n, drops) = consumer.join().unwrap();
    (out, n, drops)
}

/// The peak resident memory of process `pid` so far, in KiB (VmHWM).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Runs `child` (a capture that runs until SIGINT) while `f` runs, once its probe is
/// attached; returns its peak resident memory in KiB, read just before it is stopped.
fn peak_rss_while(mut child: Child, f: impl FnOnce()) -> u64 {
    wait_attached();
    f();
    let kib = peak_rss_kib(child.id());
    signal(&child, libc::SIGINT);
    child.wait().unwrap();
    kib
}

/// The peak memory of a whole capture process while the getppid loop runs: the `peregrine`
/// command capturing everything and printing nothing (every event parsed into state, as
/// in the rounds), and `scap-open`.
fn peak_memory(bin: &Path, iters: u64, falco: Option<&ScapOpen>) {
    let Some(cli) = peregrine_bin() else {
        println!("  peak RSS: build the release CLI first (cargo build --release)");
        return;
    };
    let ours = Command::new(&cli)
        .arg("evt.num=0")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let ours = peak_rss_while(ours, || {
        run_loop(bin, "--loop", iters);
    });
    let mut line = format!(
        "  peak RSS while capturing the loop: peregrine {} MiB",
        ours / 1024
    );
    if let Some(falco) = falco {
        let (child, out) = falco.start(RING, &[]);
        drop(out);
        let theirs = peak_rss_while(child, || {
            run_loop(bin, "--loop", iters);
        });
        line += &format!(", scap-open {} MiB", theirs / 1024);
    }
    println!("{line} (8 MiB rings per CPU on both sides)");
}

/// Waits (10 s at most) until a program named `sys_exit` is attached: the dispatcher of the
/// capture process just started, Peregrine's or Falco's (only one runs at a time here).
fn wait_attached() {
    let attached = || {
        let ids: Vec<u32> = libbpf_rs::query::ProgInfoIter::default()
            .filter(|p| p.name.to_str() == Some("sys_exit"))
            .map(|p| p.id)
            .collect();
        libbpf_rs::query::LinkInfoIter::default().any(|l| ids.contains(&l.prog_id))
    };
    let t = Instant::now();
    while !attached() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the capture did not attach"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `sig` to our child `child`.
fn signal(child: &Child, sig: i32) {
    // SAFETY: kill has no memory preconditions; the pid is our child's, not yet waited for.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// Falco's modern probe as libs 0.25.4's `scap-open --modern_bpf` runs it, when
/// `PEREGRINE_SCAP_OPEN` names that program: every syscall and `sched_process_exit`, as
/// Peregrine captures them (`scap-open` alone would add `sched_switch`, page faults and
/// signals, which Peregrine does not capture), the consumer calling `scap_next` on every
/// event.
struct ScapOpen {
    bin: PathBuf,
    /// `--ppm_sc CODE` for each syscall and for `sched_process_exit`.
    args: Vec<String>,
}

impl ScapOpen {
    fn from_env() -> Option<ScapOpen> {
        let bin = PathBuf::from(std::env::var_os("PEREGRINE_SCAP_OPEN")?);
        let listed = Command::new(&bin).arg("--print_syscalls").output();
        let Ok(listed) = listed else {
            println!("PEREGRINE_SCAP_OPEN={} does not run", bin.display());
            return None;
        };
        let mut args = Vec::new();
        for line in String::from_utf8_lossy(&listed.stdout).lines() {
            let wanted = line.contains("system_code:") || line.contains("sched_process_exit ");
            let code = line
                .rsplit("ppm_code: (")
                .next()
                .and_then(|c| c.strip_suffix(')'));
            if let (true, Some(code)) = (wanted, code) {
                args.extend(["--ppm_sc".to_string(), code.to_string()]);
            }
        }
        if args.is_empty() {
            println!("{} --print_syscalls listed no syscall", bin.display());
            return None;
        }
        Some(ScapOpen { bin, args })
    }

    /// Starts `scap-open` with rings of `ring` bytes and `extra` arguments, and waits until
    /// its programs are attached. Its output goes through `stdbuf` so that lines arrive as
    /// printed.
    fn start(&self, ring: u32, extra: &[&str]) -> (Child, BufReader<ChildStdout>) {
        let mut child = Command::new("stdbuf")
            .arg("-oL")
            .arg(&self.bin)
            .arg("--modern_bpf")
            .args(["--buffer_dim", &ring.to_string()])
            .args(&self.args)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            let n = out.read_line(&mut line).unwrap();
            assert!(n > 0, "scap-open --modern_bpf did not start capturing");
            if line.contains("Live capture in progress") {
                break;
            }
        }
        // scap-open says so before it attaches its programs: wait for its dispatcher.
        wait_attached();
        (child, out)
    }

    /// Waits for `scap-open` to end; returns the events it consumed and the drops its
    /// probe counted.
    fn finish(mut child: Child, out: BufReader<ChildStdout>) -> (u64, u64) {
        let (mut events, mut drops) = (0, 0);
        let number = |l: &str| l.rsplit(' ').next().and_then(|v| v.trim().parse().ok());
        for line in out.lines() {
            let line = line.unwrap();
            if line.starts_with("Number of `SCAP_SUCCESS`") {
                events = number(&line).unwrap_or(0);
            } else if line.starts_with("[1] n_drops:") {
                drops = number(&line).unwrap_or(0);
            }
        }
        assert!(child.wait().unwrap().success());
        (events, drops)
    }

    /// `scap-open` capturing while `f` runs, then stopped by SIGINT. Returns what `f`
    /// returns, the events consumed and dropped.
    fn with<T>(&self, f: impl FnOnce() -> T) -> (T, u64, u64) {
        let (child, out) = self.start(RING, &[]);
        let r = f();
        signal(&child, libc::SIGINT);
        let (events, drops) = Self::finish(child, out);
        (r, events, drops)
    }

    /// The rate at which `scap-open` consumes events already waiting in its rings: it is
    /// stopped (SIGSTOP) once capturing, a getppid loop of `n` calls fills its 128 MiB rings,
    /// and it is let go with a count to stop at, `n`. The time from SIGCONT to its exit,
    /// less its exit alone (stopped by SIGINT once capturing, with nothing waiting), gives
    /// the rate.
    fn drain_rate(&self, bin: &Path, n: u64) -> (f64, u64, u64) {
        let exit_alone = {
            let (child, out) = self.start(128 << 20, &[]);
            let t = Instant::now();
            signal(&child, libc::SIGINT);
            Self::finish(child, out);
            t.elapsed().as_secs_f64()
        };
        let (child, out) = self.start(128 << 20, &["--num_events", &n.to_string()]);
        signal(&child, libc::SIGSTOP);
        run_loop(bin, "--loop", n);
        let t = Instant::now();
        signal(&child, libc::SIGCONT);
        let (events, drops) = Self::finish(child, out);
        let secs = (t.elapsed().as_secs_f64() - exit_alone).max(1e-9);
        (events as f64 / secs, events, drops)
    }
}

fn redis(falco: Option<&ScapOpen>) {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let port = server.port;
    // Rounds of every setup, one after another, so that a drift of the machine's speed
    // falls on all alike; each round's slowdowns are against that round's untraced rate.
    // Every other round runs the setups in reverse order, so that a drift within a round
    // does not always favour the same ones. The host's speed jumps by a fifth for some
    // seconds at a time (untraced redis: 76,000 requests/s, then 93,000 for a few runs),
    // so the runs are short (50,000 requests of each test, about a second) and the
    // rounds four times as many as the other parts': a jump then falls within one round
    // more often than across two.
    const REQUESTS: u64 = 50_000;
    let mut rows = Vec::new();
    let mut cpu_rows = Vec::new();
    // Each consumer's CPU time and events, summed over the rounds.
    let mut readers = [(Duration::ZERO, 0u64); 4];
    let setups = 5 + usize::from(falco.is_some());
    for round in 0..4 * rounds() {
        let mut rates = vec![0.0; setups];
        let mut cpu = vec![0.0; setups];
        let mut order: Vec<usize> = (0..setups).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for k in order {
            let run = || redis_run(port, REQUESTS);
            (rates[k], cpu[k]) = match k {
                0 => run(),
                1 => with_reference("floor", run).0,
                2 => with_reference("floor_copy", run).0,
                3 => with_peregrine("", run).0,
                4 => with_source(run).0,
                _ => falco.unwrap().with(run).0,
            };
            if (1..=4).contains(&k) {
                let (time, n) = *READER.lock().unwrap();
                readers[k - 1].0 += time;
                readers[k - 1].1 += n;
            }
        }
        rows.push(rates);
        cpu_rows.push(cpu);
    }
    // Steadier than the slowdowns, which the machine's drift moves by more than the
    // difference between the probes: what each costs per exit under redis's mix of syscalls.
    let costs = probe_costs(3, falco, || {
        redis_rate(port);
    });
    drop(server);
    let mut setups = vec![
        "floor probe + consumer:",
        "floor + data copy:",
        "peregrine, everything:",
        "peregrine's source only (no state):",
    ];
    let mut against = vec![(1, "the floor's"), (2, "the floor + copy's")];
    if falco.is_some() {
        setups.push("falco's modern probe (scap-open):");
        against.push((5, "falco's modern probe's"));
    }
    let setups: Vec<_> = setups
        .into_iter()
        .enumerate()
        .map(|(k, l)| {
            // The consumer's CPU time per event, where this bench runs the consumer.
            let note = readers.get(k).map_or(String::new(), |&(cpu, n)| {
                format!(
                    ", reader {:.0} ns CPU/event ({:.2} s for {n} events)",
                    cpu.as_nanos() as f64 / n.max(1) as f64,
                    cpu.as_secs_f64()
                )
            });
            (l.to_string(), note)
        })
        .collect();
    print_redis_rows(REQUESTS, &rows, Some(&cpu_rows), &setups);
    // The ratios of the median slowdowns and of the median CPU added, with how far the
    // rounds' noise moves them (median_ratio).
    let report = |what: &str, name: &str, of: &dyn Fn(usize) -> Vec<f64>, i: usize| {
        let (ratio, low, high) = median_ratio(&of(3), &of(i));
        println!(
            "  peregrine's {what} / {name}: {ratio:.2} (medians; 90% of resampled rounds {low:.2}..{high:.2})"
        );
    };
    let slowdowns = |i: usize| rows.iter().map(|r| slowdown(r, i)).collect();
    let added = |i: usize| cpu_rows.iter().map(|r| r[i] - r[0]).collect();
    for (i, name) in against {
        report("slowdown", name, &slowdowns, i);
        report("added CPU per request", name, &added, i);
    }
    println!("  probe run time per syscall exit (BPF statistics, separate runs), {costs}");
}

/// The rate at which Peregrine hands out events already waiting in the rings: a getppid
/// loop of `n` calls fills 128 MiB rings while nothing reads them, then they are drained,
/// by `Inspector::next()` (every event parsed into state, as for any capture) or, `raw`,
/// by the source alone (`LiveSource::next_event`: the rings merged in timestamp order, each
/// event's header and lengths checked, nothing parsed; what `scap_next` does).
fn drain_rate(bin: &Path, n: u64, raw: bool) -> (f64, u64, u64) {
    let mut child = Command::new(bin)
        .args(["--loop", &n.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut go = || {
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        assert!(child.wait().unwrap().success());
    };
    let ((secs, got), stats) = if raw {
        let config = LiveConfig {
            buffer_size: 128 << 20,
            only_process: Some(pid),
            ..LiveConfig::default()
        };
        let mut source = LiveSource::open(&config, None).unwrap();
        go();
        let stop = source.stop_flag();
        let drained = time_drain(&stop, || source.next_event().unwrap().is_some());
        (drained, source.stats().unwrap())
    } else {
        let mut ins = Inspector::builder()
            .live()
            .buffer_size(128 << 20)
            .only_process(pid)
            .build()
            .unwrap();
        go();
        let stop = ins.stop_flag().unwrap();
        let drained = time_drain(&stop, || ins.next().unwrap().is_some());
        (drained, ins.stats().unwrap().unwrap())
    };
    (got as f64 / secs, got, stats.drops())
}

/// Sets `stop` (the capture ends once what is waiting is read), then calls `next` until it
/// has nothing more; returns the seconds that took and the events it gave.
fn time_drain(stop: &AtomicBool, mut next: impl FnMut() -> bool) -> (f64, u64) {
    stop.store(true, Ordering::Relaxed);
    let t = Instant::now();
    let mut got = 0u64;
    while next() {
        got += 1;
    }
    (t.elapsed().as_secs_f64(), got)
}

fn main() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIPPED: the live benchmark needs root");
        return;
    }
    let bin = workload();
    let n: u64 = std::env::var("PEREGRINE_BENCH_SYSCALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000_000);
    let only = std::env::var("PEREGRINE_BENCH_ONLY").unwrap_or_default();
    let falco = ScapOpen::from_env();
    if falco.is_none() {
        println!("(PEREGRINE_SCAP_OPEN is not set: no comparison with Falco's modern probe)");
    }
    let runs = |part: &str| only.is_empty() || only == part;
    if ["loop", "rw", "net"].iter().any(|p| runs(p)) {
        pin_loops(true);
    }
    if let Some(Some(cpu)) = LOOP_CPU.get() {
        println!(
            "(the loops run on CPU {cpu}, the readers on the others; PEREGRINE_BENCH_PIN=0 lets them run anywhere)"
        );
    }
    for (mode, label) in [
        ("--loop", "getppid loop"),
        ("--rw", "read/write loop"),
        ("--net", "sendto/recvfrom loop"),
    ] {
        if !runs(&mode[2..]) {
            continue;
        }
        // Iterations of two syscalls; a loopback send costs about ten read/write pairs.
        let iters = match mode {
            "--loop" => n,
            "--rw" => n / 2,
            _ => n / 10,
        };
        // Interleaved rounds, as for redis below; a round is one run of each setup.
        let mut rows = Vec::new();
        let (mut floor_events, mut ours_events, mut falco_events, mut drops) = (0, 0, 0, 0);
        for _ in 0..rounds() {
            let none = run_loop(&bin, mode, iters);
            let empty = with_reference("empty", || run_loop(&bin, mode, iters)).0;
            let floor = with_reference("floor", || run_loop(&bin, mode, iters));
            let copy = with_reference("floor_copy", || run_loop(&bin, mode, iters)).0;
            let ours = with_peregrine("", || run_loop(&bin, mode, iters));
            let filtered = with_peregrine("evt.type=open", || run_loop(&bin, mode, iters));
            let source = with_source(|| run_loop(&bin, mode, iters));
            floor_events += floor.1;
            ours_events += ours.1;
            drops += floor.2 + ours.2 + filtered.2 + source.1;
            let mut row = vec![none, empty, floor.0, copy, ours.0, filtered.0, source.0];
            if let Some(falco) = &falco {
                let theirs = falco.with(|| run_loop(&bin, mode, iters));
                falco_events += theirs.1;
                drops += theirs.2;
                row.push(theirs.0);
            }
            rows.push(row);
        }
        let col = |i: usize| spread(rows.iter().map(|r| r[i]), 1e-6, 2);
        println!(
            "{label}, {iters} iterations, {} interleaved rounds (median, min..max), M syscalls/s:",
            rows.len()
        );
        println!("  no tracing:                      {}", col(0));
        println!("  empty program on sys_exit:       {}", col(1));
        println!(
            "  floor probe + consumer:          {} ({floor_events} events read)",
            col(2)
        );
        println!("  floor + data copy:               {}", col(3));
        println!(
            "  peregrine, everything:           {} ({ours_events} events delivered)",
            col(4)
        );
        println!("  peregrine, filter evt.type=open: {}", col(5));
        println!(
            "  peregrine's probe, events read by LiveSource, not parsed: {}",
            col(6)
        );
        if falco.is_some() {
            println!(
                "  falco's modern probe (scap-open): {} ({falco_events} events consumed)",
                col(7)
            );
        }
        println!("  events dropped, all runs: {drops}");
        println!(
            "  peregrine / floor (per round):               {}",
            spread(rows.iter().map(|r| r[4] / r[2]), 1.0, 2)
        );
        println!(
            "  peregrine / floor + data copy (per round):   {}",
            spread(rows.iter().map(|r| r[4] / r[3]), 1.0, 2)
        );
        println!(
            "  probe + LiveSource / floor + data copy (per round): {}",
            spread(rows.iter().map(|r| r[6] / r[3]), 1.0, 2)
        );
        println!(
            "  filtered peregrine / empty program (per round): {}",
            spread(rows.iter().map(|r| r[5] / r[1]), 1.0, 2)
        );
        if falco.is_some() {
            println!(
                "  peregrine / falco's modern probe (per round): {}",
                spread(rows.iter().map(|r| r[4] / r[7]), 1.0, 2)
            );
            println!(
                "  slowdown, peregrine / falco's (per round):    {}",
                spread(rows.iter().map(|r| slowdown(r, 4) / slowdown(r, 7)), 1.0, 2)
            );
        }
        println!(
            "  probe run time per syscall exit (BPF statistics, separate runs), {}",
            probe_costs(7, falco.as_ref(), || {
                run_loop(&bin, mode, iters / 4);
            })
        );
        if mode == "--loop" {
            peak_memory(&bin, iters, falco.as_ref());
        }
    }
    pin_loops(false);
    if runs("drain") {
        drain(&bin, falco.as_ref());
    }
    if runs("redis") {
        redis(falco.as_ref());
    }
}

fn drain(bin: &Path, falco: Option<&ScapOpen>) {
    let best = |runs: &mut dyn FnMut() -> (f64, u64, u64)| {
        (0..3)
            .map(|_| runs())
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap()
    };
    let show = |what: &str, r: (f64, u64, u64)| {
        println!(
            "  {what:<44} {:6.2} M events/s ({} events, {} dropped)",
            r.0 / 1e6,
            r.1,
            r.2
        );
    };
    println!("draining waiting events (best of 3):");
    let ours = best(&mut || drain_rate(bin, 1_500_000, false));
    show("Inspector::next() (parsed into state):", ours);
    let raw = best(&mut || drain_rate(bin, 1_500_000, true));
    show("LiveSource::next_event() (raw, merged):", raw);
    if let Some(falco) = falco {
        let theirs = best(&mut || falco.drain_rate(bin, 1_500_000));
        show("scap-open, falco's modern probe (scap_next):", theirs);
        println!(
            "  LiveSource / scap-open: {:.2}; Inspector / scap-open: {:.2}",
            raw.0 / theirs.0,
            ours.0 / theirs.0
        );
    }
}
