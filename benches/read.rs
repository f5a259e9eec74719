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
    let rounds = rounds();
    let (events, params) = read_and_decode(&file);
    println!(
        "capture: {} ({events} events, {:.0} MiB), {rounds} interleaved rounds",
        file.display(),
        size as f64 / (1 << 20) as f64
    );

    // The library (in this process: its CPU time is measured too), the CLI and sysdig, one
    // after the other in each round.
    let mut cpu = Vec::new();
    let mut ours = || {
        let before = cpu_seconds();
        std::hint::black_box(read_and_decode(&file));
        cpu.push(cpu_seconds() - before);
    };
    let bin = peregrine_bin();
    let mut cli = || {
        if let Some(bin) = &bin {
            let st = Command::new(bin)
                .args([
                    "-r",
                    file.to_str().unwrap(),
                    "-p",
                    "%evt.num %evt.type %thread.tid",
                ])
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success());
        }
    };
    let sysdig = have_sysdig();
    let mut theirs = || {
        if sysdig {
            let st = Command::new("sysdig")
                .args(["-r", file.to_str().unwrap(), "evt.num=0"])
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success());
        }
    };
    let t = interleaved(rounds, &mut [&mut ours, &mut cli, &mut theirs]);
    let line = |what: &str, t: &Times| print_times(what, t, events);
    line(
        &format!("peregrine read+decode ({params} params decoded)"),
        &t[0],
    );
    let cpu = Times(cpu);
    println!(
        "  its CPU time (all threads): best {:.3} s, median {:.3} s",
        cpu.best(),
        cpu.median()
    );
    if bin.is_some() {
        line(
            "peregrine CLI -p \"%evt.num %evt.type %thread.tid\" > /dev/null",
            &t[1],
        );
    }
    if !sysdig {
        println!("sysdig not installed: no reference figure");
        return;
    }
    line("sysdig -r FILE evt.num=0", &t[2]);
    println!(
        "ratio peregrine/sysdig: {:.1}x best against best, {:.1}x median against median",
        t[2].best() / t[0].best(),
        t[2].median() / t[0].median()
    );
}
