//! Writer round trips: every reference capture read, written (plain and gzip), and read again
//! gives the same metadata and the same events; sysdig reads the written files and prints
//! what it prints for the originals.

mod common;

use std::path::Path;

use common::*;
use peregrine::capture::file::{FileReader, FileWriter, Metadata, ReadOptions};

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
    let files = reference_captures();
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
    if !have_sysdig() {
        return;
    }
    let files = reference_captures();
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

/// An event as lent: its number, offset, cpu and bytes.
type Lent = (u64, u64, u16, Vec<u8>);

/// Everything a reader hands out, with how it ended (the error text, if any).
fn read_with(path: &Path, read_ahead: bool) -> (Vec<Lent>, String) {
    let mut options = ReadOptions::default();
    options.read_ahead = read_ahead;
    let mut r = match FileReader::open_with(path, options) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), e.to_string()),
    };
    let mut events = Vec::new();
    loop {
        match r.next_event() {
            Ok(Some(e)) => events.push((e.number, e.offset, e.cpu, e.event.as_bytes().to_vec())),
            Ok(None) => return (events, "end".into()),
            Err(e) => return (events, e.to_string()),
        }
    }
}

/// The thread that reads ahead hands over the very stream the caller's thread would read:
/// the same events at the same offsets, and the same error where a file is cut, plain or
/// gzip, at a chunk boundary or anywhere else.
#[test]
fn reading_ahead_gives_what_reading_in_place_gives() {
    let files = reference_captures();
    let dir = std::env::temp_dir().join(format!("peregrine-readahead-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for f in &files {
        let (events, end) = read_with(f, false);
        assert_eq!(
            read_with(f, true),
            (events.clone(), end.clone()),
            "{}",
            f.display()
        );
        assert_eq!(end, "end", "{}", f.display());
        // Cut where a 1 MiB read ends, and in the middle of the last block; and, for a plain
        // capture, read it compressed.
        let bytes = std::fs::read(f).unwrap();
        let mut cuts = vec![bytes.len() - 3];
        if bytes.len() > (1 << 20) + 100 {
            cuts.push((1 << 20) + 37);
        }
        for cut in cuts {
            let part = dir.join("cut.scap");
            std::fs::write(&part, &bytes[..cut]).unwrap();
            let (in_place, end) = read_with(&part, false);
            assert_ne!(end, "end", "{}", f.display());
            assert_eq!(read_with(&part, true), (in_place, end), "{}", f.display());
            checked += 1;
        }
        if bytes.starts_with(&[0x1f, 0x8b]) {
            continue;
        }
        let gz = dir.join("whole.scap.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut enc, &bytes).unwrap();
        enc.finish().unwrap();
        let (gz_events, gz_end) = read_with(&gz, true);
        assert_eq!(gz_end, "end", "{}", f.display());
        assert_eq!(gz_events.len(), events.len(), "{}", f.display());
        assert!(
            gz_events.iter().zip(&events).all(|(a, b)| a == b),
            "{}",
            f.display()
        );
        checked += 1;
    }
    assert!(checked > files.len());
    std::fs::remove_dir_all(&dir).unwrap();
}
