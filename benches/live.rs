//! Live capture benchmark (root): how fast a tight syscall loop runs with nothing attached,
//! with an empty program on sys_exit, with the floor probe (a fixed 26-byte header per
//! syscall exit into per-CPU ring buffers, drained by libbpf's consumer), with the floor
//! that also copies the data of read and write (what any probe that sends the data pays
//! on top of the floor), and with Peregrine capturing everything through
//! `Inspector::next()`; and, with a filter that excludes the loop's syscall, Peregrine
//! against the empty program. All in one run.
//!
//! Then redis-benchmark (SET and GET) against a local redis-server: no tracing, the floor
//! probe, the floor with the data copy, and Peregrine capturing everything.
//!
//! The machine's speed drifts between runs, so each comparison runs in interleaved rounds
//! (one run of every setup per round, `PEREGRINE_BENCH_ROUNDS`, default 5) and reports the
//! median with the range, and ratios taken within each round.
//!
//! Each loop is also run once more with the kernel's BPF run-time statistics on, which give
//! what the probe itself costs per syscall exit in nanoseconds (the statistics add their own
//! clock reads, so those runs are not used for the rates).
//!
//! `cargo build --release && cargo bench --bench live`; `PEREGRINE_BENCH_ONLY=loop`, `rw`,
//! `drain` or `redis` runs one part.

mod common;

use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::*;
use libbpf_rs::{MapCore, MapFlags, MapHandle, MapType, ObjectBuilder, RingBufferBuilder};
use peregrine::Inspector;
use peregrine::capture::live::{IDLE_SLEEP_MAX, IDLE_SLEEP_START};

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

/// Runs the workload's loop (`--loop` or `--rw`) of `n` iterations; returns syscalls/s.
fn run_loop(bin: &Path, mode: &str, n: u64) -> f64 {
    let mut child = Command::new(bin)
        .args([mode, &n.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    assert!(child.wait().unwrap().success());
    let per_iter = if mode == "--rw" { 2.0 } else { 1.0 };
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
        let mut n = 0u64;
        while ins.next().unwrap().is_some() {
            n += 1;
        }
        let s = ins.stats().unwrap().unwrap();
        (n, s.drops())
    });
    let stop = rx.recv().unwrap();
    let out = f();
    stop.store(true, Ordering::Relaxed);
    let (n, drops) = consumer.join().unwrap();
    (out, n, drops)
}

fn redis() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let port = server.port;
    // Rounds of the three, one after another, so that a drift of the machine's speed (it
    // moves by a fifth between runs here) falls on all three alike; each round's slowdowns
    // are against that round's untraced rate.
    let mut rows = Vec::new();
    for _ in 0..rounds() {
        let none = redis_rate(port);
        let floor = with_reference("floor", || redis_rate(port)).0;
        let copy = with_reference("floor_copy", || redis_rate(port)).0;
        let ours = with_peregrine("", || redis_rate(port)).0;
        rows.push(vec![none, floor, copy, ours]);
    }
    drop(server);
    let setups = [
        "floor probe + consumer:",
        "floor + data copy:",
        "peregrine, everything:",
    ]
    .map(|l| (l.to_string(), String::new()));
    print_redis_rows(&rows, &setups);
    for (i, name) in [(1, "the floor's"), (2, "the floor + copy's")] {
        println!(
            "  peregrine's slowdown / {name} (per round): {}",
            spread(
                rows.iter()
                    .map(|r| redis_cost(r, 3) / redis_cost(r, i).max(1e-9)),
                1.0,
                2
            )
        );
    }
}

/// The rate at which `Inspector::next()` hands out events already waiting in the rings:
/// a getppid loop of `n` calls fills 128 MiB rings while nothing reads them, then the
/// inspector drains them (every event parsed into state, as for any capture).
fn drain_rate(bin: &Path, n: u64) -> (f64, u64, u64) {
    let mut child = Command::new(bin)
        .args(["--loop", &n.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ins = Inspector::builder()
        .live()
        .buffer_size(128 << 20)
        .only_process(child.id())
        .build()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    assert!(child.wait().unwrap().success());
    ins.stop_flag().unwrap().store(true, Ordering::Relaxed);
    let t = Instant::now();
    let mut got = 0u64;
    while ins.next().unwrap().is_some() {
        got += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    let drops = ins.stats().unwrap().unwrap().drops();
    (got as f64 / secs, got, drops)
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
    let runs = |part: &str| only.is_empty() || only == part;
    for (mode, label) in [("--loop", "getppid loop"), ("--rw", "read/write loop")] {
        if !runs(&mode[2..]) {
            continue;
        }
        let iters = if mode == "--rw" { n / 2 } else { n };
        // Interleaved rounds, as for redis below; a round is one run of each setup.
        let mut rows = Vec::new();
        let (mut floor_events, mut ours_events, mut drops) = (0, 0, 0);
        for _ in 0..rounds() {
            let none = run_loop(&bin, mode, iters);
            let empty = with_reference("empty", || run_loop(&bin, mode, iters)).0;
            let floor = with_reference("floor", || run_loop(&bin, mode, iters));
            let copy = with_reference("floor_copy", || run_loop(&bin, mode, iters)).0;
            let ours = with_peregrine("", || run_loop(&bin, mode, iters));
            let filtered = with_peregrine("evt.type=open", || run_loop(&bin, mode, iters));
            floor_events += floor.1;
            ours_events += ours.1;
            drops += floor.2 + ours.2 + filtered.2;
            rows.push([none, empty, floor.0, copy, ours.0, filtered.0]);
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
            "  filtered peregrine / empty program (per round): {}",
            spread(rows.iter().map(|r| r[5] / r[1]), 1.0, 2)
        );
        let floor_ns = probe_cost("floor", || {
            with_reference("floor", || run_loop(&bin, mode, iters));
        });
        let copy_ns = probe_cost("floor_copy", || {
            with_reference("floor_copy", || run_loop(&bin, mode, iters));
        });
        let ours_ns = probe_cost("sys_exit", || {
            with_peregrine("", || run_loop(&bin, mode, iters));
        });
        println!(
            "  probe run time per syscall exit (BPF statistics, separate runs): floor {floor_ns:.0} ns, floor + copy {copy_ns:.0} ns, peregrine {ours_ns:.0} ns"
        );
    }
    if runs("drain") {
        drain(&bin);
    }
    if runs("redis") {
        redis();
    }
}

fn drain(bin: &Path) {
    let drain = (0..3)
        .map(|_| drain_rate(bin, 1_500_000))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    println!(
        "Inspector::next() draining waiting events: {:.2} M events/s ({} events, {} dropped)",
        drain.0 / 1e6,
        drain.1,
        drain.2
    );
}
