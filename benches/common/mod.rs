//! Shared pieces of the benchmarks: the large capture of real events they run on, and
//! timing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use peregrine::capture::file::{FileReader, FileWriter};
use peregrine::event::EventRef;

/// The reference captures beside the checkout, if there.
pub fn shared_captures() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    dir.exists().then_some(dir)
}

/// Where benchmarks keep the captures they build.
pub fn bench_data() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The release CLI, if built.
pub fn peregrine_bin() -> Option<PathBuf> {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/peregrine");
    bin.exists().then_some(bin)
}

/// Writes a plain capture of `target` real events to `out`: the events of 502Error,
/// ticket-generator-http-error and example4-1 from the reference captures, repeated, with
/// the first one's metadata. Returns the number written.
pub fn build_real(out: &Path, target: u64) -> u64 {
    let dir = shared_captures().expect("reference captures");
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
    n
}

/// The best of `runs` runs of `f`, in seconds, with the last run's result.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.unwrap())
}

/// The best of three runs of a command with its output thrown away, in seconds.
pub fn time_cli(cmd: &mut Command) -> f64 {
    best_of(3, || {
        let st = cmd.stdout(Stdio::null()).status().unwrap();
        assert!(st.success(), "{cmd:?} failed");
    })
    .0
}

/// Whether sysdig is installed.
pub fn have_sysdig() -> bool {
    Command::new("sysdig").arg("--version").output().is_ok()
}
