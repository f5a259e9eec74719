//! Filter benchmark: a 10-clause filter over 2M real events (the reference captures'
//! events, repeated; built by `cargo bench --bench state` or here), evaluated through the
//! inspector with full state; and the same filter end to end, `peregrine -r F -p %evt.num
//! FILTER` against `sysdig -r F -p %evt.num FILTER`.
//!
//! `cargo build --release && cargo bench --bench filter`

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use peregrine::Inspector;
use peregrine::capture::file::{FileReader, FileWriter};
use peregrine::event::EventRef;

/// Ten clauses, the selective one last, so that most events go through most of them.
const FILTER: &str = "evt.num > 0 and thread.tid > 0 and proc.name != nosuchprocess \
    and not proc.name in (cron, atd) and user.uid >= 0 and evt.cpu < 64 \
    and not fd.name startswith /proc and fd.typechar != X and evt.dir = < \
    and evt.type in (read, write, recvfrom, sendto, open, close)";

fn build_real(out: &Path, target: u64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    let mut events: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut metadata = None;
    for name in [
        "502Error.scap",
        "ticket-generator-http-error.scap",
        "example4-1.scap",
    ] {
        let mut r = FileReader::open(dir.join(name)).expect("reference capture");
        while let Some(e) = r.next_event().unwrap() {
            events.push((e.cpu, e.event.as_bytes().to_vec()));
        }
        metadata.get_or_insert_with(|| r.take_metadata());
    }
    let mut w = FileWriter::create(out, false, &metadata.unwrap()).unwrap();
    let mut n = 0;
    'outer: loop {
        for (cpu, bytes) in &events {
            w.write_event(*cpu, 0, &EventRef::new(bytes).unwrap())
                .unwrap();
            n += 1;
            if n == target {
                break 'outer;
            }
        }
    }
    w.finish().unwrap();
}

/// Runs the inspector over the file; returns (seconds, events read, events kept).
fn run(file: &Path, filter: &str) -> (f64, u64) {
    let t = Instant::now();
    let mut ins = Inspector::builder()
        .file(file)
        .filter(filter)
        .unwrap()
        .build()
        .unwrap();
    let mut kept = 0u64;
    while ins.next().unwrap().is_some() {
        kept += 1;
    }
    (t.elapsed().as_secs_f64(), kept)
}

fn best(f: impl Fn() -> f64) -> f64 {
    (0..3).map(|_| f()).fold(f64::MAX, f64::min)
}

fn main() {
    if !Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures")
        .exists()
    {
        println!("SKIPPED: the benchmark builds its capture from ../shared/captures");
        return;
    }
    let n: u64 = 2_000_000;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("large-{n}.scap"));
    if !file.exists() {
        build_real(&file, n);
    }
    let (_, kept) = run(&file, FILTER);
    let with = best(|| run(&file, FILTER).0);
    let without = best(|| run(&file, "").0);
    println!("filter: {FILTER}");
    println!("{n} events, {kept} kept");
    println!(
        "inspector with state, no filter: {without:.3} s ({:.0} ns/event)",
        without * 1e9 / n as f64
    );
    println!(
        "inspector with state and the filter: {with:.3} s ({:.0} ns/event; the filter adds {:.0} ns/event)",
        with * 1e9 / n as f64,
        (with - without).max(0.0) * 1e9 / n as f64
    );

    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/peregrine");
    let cli = |prog: &Path| {
        best(|| {
            let t = Instant::now();
            let st = Command::new(prog)
                .args(["-r", file.to_str().unwrap(), "-p", "%evt.num", FILTER])
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success());
            t.elapsed().as_secs_f64()
        })
    };
    if !bin.exists() {
        println!("build the CLI first (cargo build --release) for the end-to-end figures");
        return;
    }
    let ours = cli(&bin);
    println!(
        "peregrine -r F -p %evt.num FILTER: {ours:.3} s, {:.2} M events/s",
        n as f64 / ours / 1e6
    );
    if Command::new("sysdig").arg("--version").output().is_err() {
        println!("sysdig not installed: no reference figure");
        return;
    }
    let theirs = cli(Path::new("sysdig"));
    println!(
        "sysdig -r F -p %evt.num FILTER:    {theirs:.3} s, {:.2} M events/s",
        n as f64 / theirs / 1e6
    );
    println!("ratio peregrine/sysdig: {:.1}x", theirs / ours);
}
