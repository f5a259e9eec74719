//! Bad input never panics: captures cut at every byte offset end cleanly or with an error,
//! and every event read before the cut is kept; corrupted length fields give errors that
//! name the problem and the offset.

mod common;

use std::io::Cursor;

use common::*;
use peregrine::Error;
use peregrine::capture::file::FileReader;

/// Reads a whole in-memory capture: the events read, and how it ended.
fn read_bytes(bytes: Vec<u8>) -> (Vec<Vec<u8>>, Result<(), Error>) {
    read_all(FileReader::new(Cursor::new(bytes)))
}

/// Reads all of a capture just opened: the events read, and how it ended.
fn read_all(opened: Result<FileReader, Error>) -> (Vec<Vec<u8>>, Result<(), Error>) {
    let mut events = Vec::new();
    let mut r = match opened {
        Ok(r) => r,
        Err(e) => return (events, Err(e)),
    };
    loop {
        match r.next_event() {
            Ok(Some(e)) => events.push(e.event.as_bytes().to_vec()),
            Ok(None) => return (events, Ok(())),
            Err(e) => return (events, Err(e)),
        }
    }
}

fn decompressed(name: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    let path = reference_capture(name)?;
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .unwrap();
        Some(out)
    } else {
        Some(raw)
    }
}

/// End offsets of the blocks of an uncompressed capture, with whether each is an event.
fn block_ends(bytes: &[u8]) -> Vec<(usize, bool)> {
    let mut ends = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let ty = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += len;
        let event = matches!(
            ty,
            0x204 | 0x8010ABCD | 0x208 | 0x216 | 0x217 | 0x221 | 0x222
        );
        ends.push((at, event));
    }
    ends
}

/// End offsets of the event blocks of an uncompressed capture.
fn event_block_ends(bytes: &[u8]) -> Vec<usize> {
    block_ends(bytes)
        .into_iter()
        .filter_map(|(end, ev)| ev.then_some(end))
        .collect()
}

/// Cuts an uncompressed capture at `offsets`: each cut reads exactly the events whose blocks
/// end before it, then ends with an error (or cleanly, at a block boundary).
fn check_cuts(name: &str, bytes: &[u8], offsets: impl Iterator<Item = usize>) -> usize {
    let (full, end) = read_bytes(bytes.to_vec());
    end.unwrap();
    let ends = event_block_ends(bytes);
    let boundaries: Vec<usize> = block_ends(bytes).into_iter().map(|(e, _)| e).collect();
    assert_eq!(ends.len(), full.len() + skipped_user_events(bytes));
    let mut cuts = 0;
    for cut in offsets {
        let (events, end) = read_bytes(bytes[..cut].to_vec());
        let complete = ends.iter().filter(|&&e| e <= cut).count();
        assert!(
            events.len() <= complete && full.starts_with(&events),
            "{name} cut at {cut}: events read are not a prefix of the full read"
        );
        if let Err(e) = &end {
            // One line naming the problem and where it is.
            let msg = e.to_string();
            assert!(
                msg.contains("offset") || msg.contains("empty file"),
                "{name} cut at {cut}: {msg}"
            );
        } else {
            assert!(
                boundaries.contains(&cut),
                "{name} cut at {cut} ended cleanly inside a block"
            );
            assert_eq!(events.len(), complete - skipped_user_events(&bytes[..cut]));
        }
        cuts += 1;
    }
    cuts
}

/// User and group events are merged into the metadata, not lent as events.
fn skipped_user_events(bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let ty = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if ty == 0x216 {
            let etype = u16::from_le_bytes([bytes[at + 30], bytes[at + 31]]);
            n += (354..=361).contains(&etype) as usize;
        }
        at += len;
    }
    n
}

#[test]
fn old_format_capture_cut_at_every_offset() {
    let Some(bytes) = decompressed("cat_write.scap") else {
        return;
    };
    let cuts = check_cuts("cat_write", &bytes, 0..=bytes.len());
    assert_eq!(cuts, bytes.len() + 1);
}

#[test]
fn current_format_capture_cut_at_every_offset() {
    let Some(bytes) = decompressed("ping_sendto.scap") else {
        return;
    };
    // Every offset of the header, metadata and first events; every 7th after that (the
    // walk is quadratic, and the old-format capture above is walked whole).
    let head = bytes.len().min(64 * 1024);
    let offsets = (0..head).chain((head..=bytes.len()).step_by(7));
    let cuts = check_cuts("ping_sendto", &bytes, offsets);
    assert!(cuts > 64 * 1024);
}

#[test]
fn gzip_capture_cut_at_every_offset_never_panics() {
    let Some(path) = reference_capture("connect_localhost.scap") else {
        return;
    };
    let raw = std::fs::read(path).unwrap();
    let (full, end) = read_bytes(raw.clone());
    end.unwrap();
    for cut in 0..raw.len() {
        let (events, _) = read_bytes(raw[..cut].to_vec());
        assert!(full.starts_with(&events), "gzip cut at {cut}");
    }
}

#[test]
fn truncated_block_error_names_offset_and_sizes() {
    let Some(bytes) = decompressed("sample.scap") else {
        return;
    };
    let ends = event_block_ends(&bytes);
    let cut = ends[100] - 5;
    let (events, end) = read_bytes(bytes[..cut].to_vec());
    let err = end.unwrap_err();
    let start = ends[99];
    let total = ends[100] - ends[99];
    assert_eq!(
        err.to_string(),
        format!(
            "truncated capture: event at byte offset {start} needs {total} bytes, only {} remain",
            total - 5
        )
    );
    assert!(events.len() >= 5, "events before the cut are kept");
}

/// Every block length field of a capture replaced by hostile values.
#[test]
fn corrupted_block_lengths_give_errors_not_panics() {
    let Some(bytes) = decompressed("cat_write.scap") else {
        return;
    };
    let mut at = 0;
    let mut blocks = 0;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap());
        for bad in [
            0u32,
            1,
            4,
            11,
            12,
            13,
            len - 4,
            len + 4,
            0x7fff_ffff,
            u32::MAX,
        ] {
            let mut copy = bytes.clone();
            copy[at + 4..at + 8].copy_from_slice(&bad.to_le_bytes());
            let _ = read_bytes(copy);
        }
        at += len as usize;
        blocks += 1;
    }
    assert!(blocks > 300);
}

#[test]
fn hostile_block_length_is_refused_before_allocation() {
    let Some(mut bytes) = decompressed("sample.scap") else {
        return;
    };
    // The second block (machine info) claims 4 GiB.
    bytes[28 + 4..28 + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = FileReader::new(Cursor::new(bytes)).err().unwrap();
    assert_eq!(
        err.to_string(),
        "malformed capture at byte offset 28: machine info block (type 0x201) claims \
         4294967295 bytes, more than the limit of 268435456"
    );
}

#[test]
fn event_with_too_many_params_is_rejected_with_its_number() {
    let Some(mut bytes) = decompressed("sample.scap") else {
        return;
    };
    let ends = event_block_ends(&bytes);
    let start = ends[150];
    // nparams of the event in the block after it: header(8) + cpu(2) + 22.
    bytes[start + 32..start + 36].copy_from_slice(&1000u32.to_le_bytes());
    let (events, end) = read_bytes(bytes);
    let msg = end.unwrap_err().to_string();
    assert!(
        msg.starts_with("invalid event #")
            && msg.ends_with(&format!(
                "(block at byte offset {start}): 1000 parameters, more than the maximum of 32"
            )),
        "{msg}"
    );
    assert!(events.len() > 50);
}

#[test]
fn not_a_capture_is_one_clear_error() {
    let e = FileReader::new(Cursor::new(b"hello world, not a capture".to_vec()))
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "malformed capture at byte offset 0: not a scap capture: first block has type \
         0x6c6c6568, expected a section header"
    );
    let e = FileReader::new(Cursor::new(Vec::new())).err().unwrap();
    assert_eq!(
        e.to_string(),
        "malformed capture at byte offset 0: empty file: no section header"
    );
}

#[test]
fn cli_reports_missing_file_and_unknown_field_in_one_line() {
    let (out, err, ok) = peregrine(&["-r", "/nonexistent/x.scap"]);
    assert!(!ok && out.is_empty());
    assert_eq!(
        err,
        "peregrine: /nonexistent/x.scap: No such file or directory (os error 2)\n"
    );
    let Some(path) = reference_capture("cat_write.scap") else {
        return;
    };
    let (out, err, ok) = peregrine(&["-r", path.to_str().unwrap(), "-p", "%evt.num %proc.nme"]);
    assert!(!ok && out.is_empty());
    assert_eq!(
        err,
        "peregrine: bad output format at column 11: unknown field 'proc.nme'\n"
    );
}

/// Reads a capture file by path (`FileReader::open`): the events read, and how it ended.
fn read_path(path: &std::path::Path) -> (Vec<Vec<u8>>, Result<(), Error>) {
    read_all(FileReader::open(path))
}

#[test]
fn file_cut_anywhere_reads_and_fails_by_path_as_from_bytes() {
    for name in ["cat_write.scap", "ping_sendto.scap"] {
        let Some(bytes) = decompressed(name) else {
            return;
        };
        let path =
            std::env::temp_dir().join(format!("peregrine-cut-{}-{name}", std::process::id()));
        // Around every block boundary, and every offset of the first 4 KiB.
        let mut cuts: Vec<usize> = (0..4096.min(bytes.len())).collect();
        for (end, _) in block_ends(&bytes) {
            for d in [0, 1, 2, 7, 8, 9, 30] {
                cuts.push(end.saturating_sub(d));
                cuts.push((end + d).min(bytes.len()));
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let (by_path, path_end) = read_path(&path);
            let (streamed, streamed_end) = read_bytes(bytes[..cut].to_vec());
            assert_eq!(by_path, streamed, "{name} cut at {cut}: events differ");
            assert_eq!(
                path_end.map_err(|e| e.to_string()),
                streamed_end.map_err(|e| e.to_string()),
                "{name} cut at {cut}: endings differ"
            );
        }
        std::fs::remove_file(&path).unwrap();
    }
}
