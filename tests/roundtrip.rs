//! Writer round trips: every reference capture read, written (plain and gzip), and read again
//! gives the same metadata and the same events; sysdig reads the written files and prints
//! what it prints for the originals.

mod common;

use std::path::Path;

use common::*;
use peregrine::capture::file::{FileReader, FileWriter, Metadata};

/// Everything observable of a capture: metadata and every event with its cpu and flags.
fn read_all(path: &Path) -> (Metadata, Vec<(u16, u32, Vec<u8>)>) {
    let mut r = FileReader::open(path).unwrap();
    let mut events = Vec::new();
    while let Some(e) = r.next_event().unwrap() {
        events.push((e.cpu, e.flags, e.event.as_bytes().to_vec()));
    }
    (r.take_metadata(), events)
}

fn write_all(path: &Path, gzip: bool, md: &Metadata, events: &[(u16, u32, Vec<u8>)]) {
    let mut w = FileWriter::create(path, gzip, md).unwrap();
    for (cpu, flags, bytes) in events {
        let ev = peregrine::event::EventRef::new(bytes).unwrap();
        w.write_event(*cpu, *flags, &ev).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn read_write_read_gives_identical_events_and_metadata() {
    let Some(files) = shared_captures() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("peregrine-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in &files {
        let (md, events) = read_all(f);
        assert!(!events.is_empty() || f.ends_with("empty.scap"));
        for gzip in [false, true] {
            let out = dir.join(format!(
                "{}{}",
                f.file_stem().unwrap().to_str().unwrap(),
                if gzip { ".gz.scap" } else { ".scap" }
            ));
            write_all(&out, gzip, &md, &events);
            let (md2, events2) = read_all(&out);
            assert_eq!(md2, md, "{}: metadata differs after writing", f.display());
            assert!(
                events2 == events,
                "{}: events differ after writing",
                f.display()
            );
            assert_eq!(FileReader::open(&out).unwrap().is_compressed(), gzip);
        }
        eprintln!("{}: {} events round-tripped", f.display(), events.len());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// sysdig 0.29.3 reads what `peregrine -w` writes, and prints the same as for the original.
#[test]
fn sysdig_reads_written_files_like_the_originals() {
    let (Some(files), true) = (shared_captures(), have_sysdig()) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("peregrine-sysdig-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        if SYSDIG_UNREADABLE.contains(&name) {
            continue;
        }
        let original = sysdig(&["-r", f.to_str().unwrap(), "-p", STATELESS_FORMAT]);
        for gzip in [false, true] {
            let out = dir.join(format!("{name}{}", if gzip { ".gz" } else { "" }));
            let out = out.to_str().unwrap();
            let mut args = vec!["-r", f.to_str().unwrap(), "-w", out];
            if gzip {
                args.push("-z");
            }
            peregrine_ok(&args);
            let rewritten = sysdig(&["-r", out, "-p", STATELESS_FORMAT]);
            assert!(
                rewritten == original,
                "{name} (gzip {gzip}): {}",
                first_difference(&rewritten, &original)
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
