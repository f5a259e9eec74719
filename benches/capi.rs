//! The C ABI's cost: events per second through it (pg_next and three prepared fields as
//! text, `examples/c/pg_bench.c` built with -O2 against the static library) against the
//! same loop through the Rust API, on the 2M-event capture of real events, in interleaved
//! rounds of one run. Target: the C route within 10% of the Rust one.
//!
//! `cargo bench --features capi --bench capi`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use peregrine::Inspector;
use peregrine::fields::Field;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const FIELDS: [&str; 3] = ["proc.name", "fd.name", "evt.type"];

fn c_bench() -> PathBuf {
    // The static library as scripts/install-capi installs it.
    let prefix = bench_data().join("capi-prefix");
    let st = Command::new(format!("{ROOT}/scripts/install-capi"))
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(st.success(), "scripts/install-capi failed");
    let out = bench_data().join("pg_bench");
    let st = Command::new("cc")
        .args(["-O2", "-I"])
        .arg(prefix.join("include"))
        .arg("-o")
        .arg(&out)
        .arg(format!("{ROOT}/examples/c/pg_bench.c"))
        .arg(prefix.join("lib/libperegrine.a"))
        .args(["-lelf", "-lz", "-lpthread", "-ldl", "-lm"])
        .status()
        .unwrap();
    assert!(st.success(), "compiling examples/c/pg_bench.c");
    out
}

/// The Rust loop: events read, and bytes of field text (as pg_bench counts them).
fn rust_loop(file: &std::path::Path) -> (u64, u64) {
    let mut ins = Inspector::builder().file(file).build().unwrap();
    let fields: Vec<Field> = FIELDS.iter().map(|f| Field::parse(f).unwrap()).collect();
    let mut text = String::new();
    let (mut events, mut bytes) = (0, 0);
    while let Some(e) = ins.next().unwrap() {
        events += 1;
        for f in &fields {
            text.clear();
            if e.extract(f, &mut text) {
                bytes += text.len() as u64;
            }
        }
    }
    (events, bytes)
}

fn main() {
    let Some((file, _)) = large_real_capture() else {
        return;
    };
    let bin = c_bench();
    let mut rust = (0, 0);
    let mut c = String::new();
    let times = interleaved(
        rounds(),
        &mut [&mut || rust = rust_loop(&file), &mut || {
            let out = Command::new(&bin).arg(&file).output().unwrap();
            assert!(out.status.success());
            c = String::from_utf8(out.stdout).unwrap();
        }],
    );
    // Both read the same events and the same text.
    assert_eq!(c.trim(), format!("{} {}", rust.0, rust.1));
    println!("capture: {} ({} events)", file.display(), rust.0);
    print_times("Rust API (next + 3 fields)", &times[0], rust.0);
    print_times("C API    (next + 3 fields)", &times[1], rust.0);
    println!(
        "C API events/s vs Rust API: {:.3} (best), {:.3} (median)",
        times[0].best() / times[1].best(),
        times[0].median() / times[1].median()
    );
}
