//! State benchmark.
//!
//! 1. A synthetic capture of process lifecycles (fork in parent and child, execve, two
//!    opens, two closes, exit: 14 events each, pids reused), at least 1M events, replayed
//!    through the inspector with full state and the default output line rendered: events/s,
//!    and the resident memory sampled along the way (it must stay flat).
//! 2. `peregrine -r FILE > /dev/null` against `sysdig -r FILE > /dev/null` (both with their
//!    default output, so full state and formatting) on that capture and on a large capture
//!    made of the reference captures' real events.
//!
//! `cargo bench --bench state` (PEREGRINE_BENCH_EVENTS sets the synthetic size, default
//! 1.4M; the real-event capture has 2M events). Files go under target/bench-data.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::*;
use peregrine::Inspector;
use peregrine::capture::file::{FileWriter, Metadata, ThreadRecord};
use peregrine::event::{EventBuilder, EventRef};
use peregrine::format::Format;

const DEFAULT_FORMAT: &str =
    "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info";

/// Event ids used by the generator.
mod ids {
    pub const OPENAT_2_E: u16 = 306;
    pub const OPENAT_2_X: u16 = 307;
    pub const CLOSE_E: u16 = 4;
    pub const CLOSE_X: u16 = 5;
    pub const CLONE_20_E: u16 = 222;
    pub const CLONE_20_X: u16 = 223;
    pub const EXECVE_16_E: u16 = 230;
    pub const EXECVE_16_X: u16 = 231;
    pub const PROCEXIT_1_E: u16 = 186;
}

fn clone_exit(res: i64, tid: i64, pid: i64, ptid: i64, comm: &[u8]) -> EventBuilder {
    EventBuilder::new(ids::CLONE_20_X)
        .i64(res)
        .str(comm)
        .list(&[b"-c", b"job"])
        .i64(tid)
        .i64(pid)
        .i64(ptid)
        .str(b"/")
        .i64(1024)
        .u64(0)
        .u64(0)
        .u32(1000)
        .u32(100)
        .u32(0)
        .str(comm)
        .list(&[b"cpu=/user.slice", b"memory=/user.slice"])
        .u32(0)
        .u32(0)
        .u32(0)
        .i64(tid)
        .i64(pid)
        .u64(0)
}

/// Writes a capture of `target` events (rounded up to whole lifecycles); returns the count.
fn build_synthetic(out: &Path, target: u64) -> u64 {
    let mut md = Metadata::default();
    md.threads.push(ThreadRecord {
        tid: 1,
        pid: 1,
        comm: b"init".to_vec(),
        exe: b"/sbin/init".to_vec(),
        cwd: b"/".to_vec(),
        ..ThreadRecord::default()
    });
    let mut w = FileWriter::create(out, false, &md).unwrap();
    let mut buf = Vec::new();
    let mut ts = 1_700_000_000_000_000_000u64;
    let mut n = 0u64;
    let mut emit = |w: &mut FileWriter, b: EventBuilder, tid: i64, n: &mut u64| {
        ts += 1_000;
        buf.clear();
        b.ts(ts).tid(tid).write_into(&mut buf);
        w.write_event((*n % 2) as u16, 0, &EventRef::new(&buf).unwrap())
            .unwrap();
        *n += 1;
    };
    let mut i = 0i64;
    while n < target {
        let pid = 10_000 + i % 20_000;
        i += 1;
        emit(&mut w, EventBuilder::new(ids::CLONE_20_E), 1, &mut n);
        emit(&mut w, clone_exit(pid, 1, 1, 0, b"init"), 1, &mut n);
        emit(&mut w, clone_exit(0, pid, pid, 1, b"init"), pid, &mut n);
        emit(&mut w, EventBuilder::new(ids::EXECVE_16_E), pid, &mut n);
        let exec = EventBuilder::new(ids::EXECVE_16_X)
            .i64(0)
            .str(b"/usr/bin/job")
            .list(&[b"--id", b"42"])
            .i64(pid)
            .i64(pid)
            .i64(1)
            .str(b"/")
            .u64(1024)
            .u64(0)
            .u64(0)
            .u32(2000)
            .u32(300)
            .u32(0)
            .str(b"job")
            .list(&[b"cpu=/user.slice", b"memory=/user.slice"])
            .list(&[b"PATH=/usr/bin", b"HOME=/"]);
        emit(&mut w, exec, pid, &mut n);
        for (fd, name) in [(3, &b"/etc/passwd"[..]), (4, &b"data.txt"[..])] {
            let enter = EventBuilder::new(ids::OPENAT_2_E)
                .i64(-100)
                .str(name)
                .u32(1)
                .u32(0);
            emit(&mut w, enter, pid, &mut n);
            let exit = EventBuilder::new(ids::OPENAT_2_X)
                .i64(fd)
                .i64(-100)
                .str(name)
                .u32(1)
                .u32(0)
                .u32(0)
                .u64(0);
            emit(&mut w, exit, pid, &mut n);
        }
        for fd in [3, 4] {
            emit(&mut w, EventBuilder::new(ids::CLOSE_E).i64(fd), pid, &mut n);
            emit(
                &mut w,
                EventBuilder::new(ids::CLOSE_X).i64(0).i64(fd),
                pid,
                &mut n,
            );
        }
        let exit = EventBuilder::new(ids::PROCEXIT_1_E)
            .i64(0)
            .i64(0)
            .u8(0)
            .u8(0)
            .i64(1);
        emit(&mut w, exit, pid, &mut n);
    }
    w.finish().unwrap();
    n
}

/// A line of /proc/self/status, in kB.
fn status_kb(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Replays `path` with full state and the default line; returns (events, seconds, RSS
/// samples in kB at each tenth).
fn replay(path: &Path, total: u64) -> (u64, f64, Vec<u64>, usize) {
    let format = Format::parse(DEFAULT_FORMAT).unwrap();
    let mut inspector = Inspector::builder().file(path).build().unwrap();
    let mut line = String::new();
    let mut bytes = 0usize;
    let mut samples = Vec::new();
    let step = (total / 10).max(1);
    let t = Instant::now();
    let mut n = 0u64;
    while let Some(ev) = inspector.next().unwrap() {
        n += 1;
        if ev.is_shown_by_default() && format.render(ev.view(), &mut line) {
            bytes += line.len() + 1;
        }
        if n.is_multiple_of(step) {
            samples.push(status_kb("VmRSS:"));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let threads = inspector.state().threads.len();
    std::hint::black_box(bytes);
    (n, secs, samples, threads)
}

fn compare_cli(label: &str, file: &Path, events: u64) {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/peregrine");
    if !bin.exists() {
        println!("build the CLI first (cargo build --release) for the CLI figures");
        return;
    }
    let ours = time_cli(Command::new(&bin).args(["-r", file.to_str().unwrap()]));
    println!(
        "{label}: peregrine -r FILE > /dev/null: {ours:.3} s, {:.2} M events/s",
        events as f64 / ours / 1e6
    );
    if Command::new("sysdig").arg("--version").output().is_err() {
        println!("sysdig not installed: no reference figure");
        return;
    }
    let theirs = time_cli(Command::new("sysdig").args(["-r", file.to_str().unwrap()]));
    println!(
        "{label}: sysdig -r FILE > /dev/null:    {theirs:.3} s, {:.2} M events/s",
        events as f64 / theirs / 1e6
    );
    println!("{label}: ratio peregrine/sysdig: {:.1}x", theirs / ours);
}

fn main() {
    let target: u64 = std::env::var("PEREGRINE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_400_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();

    let synth = dir.join(format!("lifecycles-{target}.scap"));
    if !synth.exists() {
        build_synthetic(&synth, target);
    }
    let before = status_kb("VmRSS:");
    let (n, secs, samples, threads) = replay(&synth, target);
    println!(
        "synthetic lifecycles: {n} events replayed with state and the default line in {secs:.3} s, \
         {:.2} M events/s; {threads} threads left in the table",
        n as f64 / secs / 1e6
    );
    println!(
        "  RSS before {before} kB; at each tenth: {:?} kB; peak (VmHWM) {} kB",
        samples,
        status_kb("VmHWM:")
    );
    compare_cli("synthetic", &synth, n);

    if !Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures")
        .exists()
    {
        println!("SKIPPED: the real-event capture is built from ../shared/captures");
        return;
    }
    let real_n = 2_000_000;
    let real = dir.join(format!("large-{real_n}.scap"));
    if !real.exists() {
        build_real(&real, real_n);
    }
    compare_cli("real events", &real, real_n);
}
