//! Reading benchmark: events per second for reading and decoding every parameter of a large
//! plain capture, next to sysdig 0.29.3 reading the same file with a filter that keeps
//! nothing (`evt.num=0`, the cheapest filter sysdig accepts).
//!
//! `cargo bench --bench read` (set PEREGRINE_BENCH_EVENTS to change the size, default 4M).
//! The capture is built from the real events of the reference captures, repeated, under
//! target/bench-data.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use peregrine::capture::file::FileReader;

/// Reads every event and decodes every parameter; returns (events, params decoded).
fn read_and_decode(path: &Path) -> (u64, u64) {
    let mut r = FileReader::open(path).unwrap();
    let (mut events, mut params) = (0u64, 0u64);
    while let Some(e) = r.next_event().unwrap() {
        events += 1;
        for p in e.event.params() {
            // `black_box` keeps each decoded value alive, so that no decoding is optimized
            // away.
            if std::hint::black_box(&p.value()).is_ok() {
                params += 1;
            }
        }
    }
    (events, params)
}

fn main() {
    if !Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures")
        .exists()
    {
        println!("SKIPPED: the benchmark builds its capture from ../shared/captures");
        return;
    }
    let target: u64 = std::env::var("PEREGRINE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("large-{target}.scap"));
    if !file.exists() {
        build_real(&file, target);
    }
    let size = std::fs::metadata(&file).unwrap().len();
    let (secs, (events, params)) = best_of(3, || read_and_decode(&file));
    let ours = events as f64 / secs;
    println!(
        "capture: {} ({events} events, {:.0} MiB)",
        file.display(),
        size as f64 / (1 << 20) as f64
    );
    println!(
        "peregrine read+decode: {secs:.3} s, {:.2} M events/s, {params} params decoded",
        ours / 1e6
    );

    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/peregrine");
    if bin.exists() {
        let (secs, _) = best_of(3, || {
            Command::new(&bin)
                .args([
                    "-r",
                    file.to_str().unwrap(),
                    "-p",
                    "%evt.num %evt.type %thread.tid",
                ])
                .stdout(Stdio::null())
                .status()
                .unwrap()
        });
        println!(
            "peregrine CLI -p \"%evt.num %evt.type %thread.tid\" > /dev/null: {secs:.3} s, {:.2} M events/s",
            events as f64 / secs / 1e6
        );
    }

    if Command::new("sysdig").arg("--version").output().is_err() {
        println!("sysdig not installed: no reference figure");
        return;
    }
    let (secs, status) = best_of(3, || {
        Command::new("sysdig")
            .args(["-r", file.to_str().unwrap(), "evt.num=0"])
            .stdout(Stdio::null())
            .status()
            .unwrap()
    });
    assert!(status.success());
    let theirs = events as f64 / secs;
    println!(
        "sysdig -r FILE evt.num=0: {secs:.3} s, {:.2} M events/s",
        theirs / 1e6
    );
    println!("ratio peregrine/sysdig: {:.1}x", ours / theirs);
}
