//! Live capture benchmark (root): how fast a tight syscall loop runs with nothing attached,
//! with an empty program on sys_exit, with the floor probe (a fixed 26-byte header per
//! syscall exit into per-CPU ring buffers, drained by libbpf's consumer), and with
//! Peregrine capturing everything through `Inspector::next()`; and, with a filter that
//! excludes the loop's syscall, Peregrine against the empty program. All in one run.
//!
//! Then redis-benchmark (SET and GET) against a local redis-server: no tracing, the floor
//! probe, and Peregrine capturing everything.
//!
//! `cargo build --release && cargo bench --bench live`

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

static FLOOR: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/floor.bpf.o"));

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

/// The reference probe `prog` attached while `f` runs; with a ring consumer for `floor`.
/// Returns what `f` returns and the events consumed and dropped.
fn with_reference<T>(prog: &str, f: impl FnOnce() -> T) -> (T, u64, u64) {
    let ncpu = libbpf_rs::num_possible_cpus().unwrap();
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
        ..Default::default()
    };
    let template = MapHandle::create(MapType::RingBuf, Some("tmpl"), 0, 0, RING, &opts).unwrap();
    let mut open = ObjectBuilder::default().open_memory(FLOOR).unwrap();
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
    let consumer = (prog == "floor").then(|| {
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
            let mut backoff = Duration::from_micros(20);
            loop {
                if rb.consume_raw() > 0 {
                    backoff = Duration::from_micros(20);
                } else if stop.load(Ordering::Relaxed) {
                    break;
                } else {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_millis(1));
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

/// requests/s of `redis-benchmark -t set,get` against the server on `port` (SET and GET
/// averaged).
fn redis_rate(port: u16) -> f64 {
    let out = Command::new("redis-benchmark")
        .args([
            "-p",
            &port.to_string(),
            "-t",
            "set,get",
            "-n",
            "200000",
            "-q",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let rates: Vec<f64> = text
        .split(['\r', '\n'])
        .filter_map(|l| {
            let rest = l.split_once(": ")?.1;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect();
    assert_eq!(rates.len(), 2, "unexpected redis-benchmark output: {text}");
    rates.iter().sum::<f64>() / 2.0
}

fn redis() {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
        || Command::new("redis-benchmark")
            .arg("--version")
            .output()
            .is_err()
    {
        println!(
            "redis-server/redis-benchmark not installed (scripts/install-deps): no redis figures"
        );
        return;
    }
    let port = 6399;
    let mut server = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let up = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        Command::new("redis-cli")
            .args(["-p", &port.to_string(), "ping"])
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"PONG"))
    });
    assert!(up, "redis-server did not start");
    let best = |f: &dyn Fn() -> f64| (0..3).map(|_| f()).fold(0.0, f64::max);
    let none = best(&|| redis_rate(port));
    let floor = best(&|| with_reference("floor", || redis_rate(port)).0);
    let ours = best(&|| with_peregrine("", || redis_rate(port)).0);
    let _ = server.kill();
    let _ = server.wait();
    let cost = |r: f64| 1.0 - r / none;
    println!("redis-benchmark SET/GET, 200000 requests each, best of 3:");
    println!("  no tracing:              {:>8.0} requests/s", none);
    println!(
        "  floor probe + consumer:  {:>8.0} requests/s (slowdown {:.1}%)",
        floor,
        cost(floor) * 100.0
    );
    println!(
        "  peregrine, everything:   {:>8.0} requests/s (slowdown {:.1}%)",
        ours,
        cost(ours) * 100.0
    );
    println!(
        "  peregrine's slowdown / the floor's: {:.2}",
        cost(ours) / cost(floor).max(1e-9)
    );
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
    for (mode, label) in [("--loop", "getppid loop"), ("--rw", "read/write loop")] {
        let iters = if mode == "--rw" { n / 2 } else { n };
        let best = |f: &dyn Fn() -> (f64, u64, u64)| {
            (0..3)
                .map(|_| f())
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .unwrap()
        };
        let none = best(&|| (run_loop(&bin, mode, iters), 0, 0));
        let empty = best(&|| with_reference("empty", || run_loop(&bin, mode, iters)));
        let floor = best(&|| with_reference("floor", || run_loop(&bin, mode, iters)));
        let ours = best(&|| with_peregrine("", || run_loop(&bin, mode, iters)));
        let filtered = best(&|| with_peregrine("evt.type=open", || run_loop(&bin, mode, iters)));
        println!("{label}, {n} syscalls, best of 3:");
        println!(
            "  no tracing:                    {:>6.2} M syscalls/s",
            none.0 / 1e6
        );
        println!(
            "  empty program on sys_exit:     {:>6.2} M syscalls/s",
            empty.0 / 1e6
        );
        println!(
            "  floor probe + consumer:        {:>6.2} M syscalls/s ({} events read, {} dropped)",
            floor.0 / 1e6,
            floor.1,
            floor.2
        );
        println!(
            "  peregrine, everything:         {:>6.2} M syscalls/s ({} events delivered, {} dropped)",
            ours.0 / 1e6,
            ours.1,
            ours.2
        );
        println!(
            "  peregrine, filter evt.type=open: {:>4.2} M syscalls/s ({} events, {} dropped)",
            filtered.0 / 1e6,
            filtered.1,
            filtered.2
        );
        println!(
            "  peregrine / floor: {:.2}   filtered peregrine / empty program: {:.2}",
            ours.0 / floor.0,
            filtered.0 / empty.0
        );
    }
    let drain = (0..3)
        .map(|_| drain_rate(&bin, 1_500_000))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    println!(
        "Inspector::next() draining waiting events: {:.2} M events/s ({} events, {} dropped)",
        drain.0 / 1e6,
        drain.1,
        drain.2
    );
    redis();
}
