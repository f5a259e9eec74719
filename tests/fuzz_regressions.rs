//! Inputs the fuzz targets (fuzz/, docs/FUZZING.md) found to crash, kept with the exact
//! error each now gives; and the resource limits against hostile input: lengths claiming
//! gigabytes, a process list of millions of threads, filters nested ten thousand deep. Each
//! is refused with an error naming what and where, in bounded memory (measured here by a
//! counting allocator) and time.
//!
//! Every capture here is synthetic, built byte by byte, so these tests need nothing beside
//! the checkout.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;

use peregrine::capture::file::{DEFAULT_MAX_THREADS, FileReader, ThreadRecord};
use peregrine::event::{EVENT_MAX, large_lengths};
use peregrine::filter::Filter;
use peregrine::format::Format;

// ---------------------------------------------------------------------------------------
// Memory measurement: bytes allocated by the current thread (tests run on threads of their
// own, so each test sees only its own allocations).

struct Counting;

thread_local! {
    static NOW: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = NOW.try_with(|now| {
        let n = now.get() + delta;
        now.set(n);
        let _ = PEAK.try_with(|p| p.set(p.get().max(n)));
    });
}

// SAFETY: every call is passed straight to the system allocator; the counters only add up
// sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            count(l.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(l) };
        if !p.is_null() {
            count(l.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        count(-(l.size() as isize));
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            // Old and new blocks may both be live while the bytes are copied.
            count(new as isize);
            count(-(l.size() as isize));
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its result with the most memory it held at once (bytes allocated
/// by this thread beyond what was allocated before).
fn peak_memory<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = NOW.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    (r, (PEAK.with(Cell::get) - base).max(0) as usize)
}

const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Synthetic captures.

/// A section header block, version 1.2 (28 bytes: the next block starts at offset 28).
fn shb() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x0A0D0D0Au32.to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&0x1A2B3C4Du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b
}

/// A block of type `ty` around `body`, padded to 4 bytes, with matching lengths.
fn block(ty: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().next_multiple_of(4);
    let total = (12 + padded) as u32;
    let mut b = Vec::with_capacity(total as usize);
    b.extend_from_slice(&ty.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(8 + padded, 0);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

/// A block header claiming `total` bytes, followed by only `body`.
fn lying_block(ty: u32, total: u32, body: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&ty.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b
}

/// Reads a whole in-memory capture; the error it ends with, as text.
fn read_error(bytes: Vec<u8>) -> String {
    let mut r = match FileReader::new(Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    loop {
        match r.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the capture read to its end without an error"),
            Err(e) => return e.to_string(),
        }
    }
}

fn filter_error(text: &str) -> String {
    match Filter::compile(text) {
        Ok(_) => panic!("{text:?} compiled"),
        Err(e) => e.to_string(),
    }
}

fn format_error(text: &str) -> String {
    match Format::parse(text) {
        Ok(_) => panic!("{text:?} parsed"),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Crashes the fuzz targets found.

/// file_reader: an old-format event (no parameter count) whose length field is below its
/// header made the widening to the current layout slice backwards (panic).
#[test]
fn old_format_event_shorter_than_its_header_is_an_error() {
    let mut event = vec![0u8; 22];
    event[20..22].copy_from_slice(&5u16.to_le_bytes()); // close exit; length field 0
    let mut body = 0u16.to_le_bytes().to_vec(); // cpu
    body.extend_from_slice(&event);
    let mut bytes = shb();
    bytes.extend(block(0x204, &body));
    assert_eq!(
        read_error(bytes),
        "malformed capture at byte offset 28: event #1: old-format event length 0 is \
         shorter than its 22-byte header"
    );
}

/// format: a `%` followed by a character outside ASCII sliced that character in two when
/// reporting the unknown field (panic). The input as the fuzzer found it, then reduced.
#[test]
fn format_with_non_ascii_after_percent_names_the_character() {
    let found =
        b"\x1eevt.num %proc.apid[0] %%8evu.ntm|%5proc.name|%12fd.name|%\xcb\x9avt.dirapid[3]";
    let found = std::str::from_utf8(found).unwrap();
    assert_eq!(
        format_error(found),
        "bad output format at column 59: unknown field '\u{2da}'"
    );
    assert_eq!(
        format_error("%é"),
        "bad output format at column 2: unknown field 'é'"
    );
}

/// filter: `not= d` parsed as a check of a field called `not`, which printed as
/// `not == "d"` and so could not be parsed back (the print/parse round trip broke).
#[test]
fn keyword_as_a_field_name_is_refused_at_its_column() {
    assert_eq!(
        filter_error("a.b = 1 or not= d"),
        "filter error at column 12: expected a field name, found the keyword 'not'"
    );
    assert_eq!(
        filter_error("AND exists"),
        "filter error at column 1: expected a field name, found the keyword 'AND'"
    );
    // `not` as a keyword is unchanged.
    assert!(Filter::compile("not evt.type=open").is_ok());
}

/// filter: printing added a level of parentheses around the top `and`/`or`, so a filter at
/// the nesting bound printed as one past it. Now the printed text reads back.
#[test]
fn printed_filter_at_the_nesting_bound_reads_back() {
    let text = format!("{}a.b exists and c.d exists", "not ".repeat(255));
    let e = peregrine::filter::parse(&text).unwrap();
    let printed = e.to_string();
    assert_eq!(peregrine::filter::parse(&printed).unwrap(), e);
    let quoted = peregrine::filter::parse(r#"proc.aname["a ]b"] = x"#).unwrap();
    assert_eq!(quoted.to_string(), r#"proc.aname["a ]b"] == "x""#);
    assert_eq!(
        peregrine::filter::parse(&quoted.to_string()).unwrap(),
        quoted
    );
}

// ---------------------------------------------------------------------------------------
// Resource limits.

/// A field width of gigabytes would pad every line to that size.
#[test]
fn format_field_width_is_bounded() {
    assert_eq!(
        format_error("%4097evt.num"),
        "bad output format at column 2: field width 4097 is more than the limit of 4096"
    );
    assert_eq!(
        format_error("x %99999999999999999999999evt.num"),
        "bad output format at column 4: field width 99999999999999999999999 is more than \
         the limit of 4096"
    );
    assert!(Format::parse("%4096evt.num").is_ok());
}

#[test]
fn event_block_claiming_gigabytes_is_refused_before_allocation() {
    let mut bytes = shb();
    bytes.extend(lying_block(0x216, 0xFFFF_FFF0, &[0; 64]));
    let (err, peak) = peak_memory(|| read_error(bytes));
    assert_eq!(
        err,
        "malformed capture at byte offset 28: event block (type 0x216) claims 4294967280 \
         bytes, more than the limit of 65544"
    );
    assert!(peak < 2 * MIB, "held {peak} bytes");

    let mut bytes = shb();
    bytes.extend(lying_block(0x221, u32::MAX, &[0; 64]));
    let (err, peak) = peak_memory(|| read_error(bytes));
    assert_eq!(
        err,
        "malformed capture at byte offset 28: event block (type 0x221) claims 4294967295 \
         bytes, more than the limit of 268435456"
    );
    assert!(peak < 2 * MIB, "held {peak} bytes");
}

/// A block within the limit that claims far more than the stream holds: the buffer grows
/// with the bytes that arrive, not with the claim.
#[test]
fn block_claiming_more_than_the_stream_holds_allocates_only_what_arrives() {
    let mut bytes = shb();
    bytes.extend(lying_block(0x215, 200 * MIB as u32, &[0; 64]));
    let (err, peak) = peak_memory(|| read_error(bytes));
    assert_eq!(
        err,
        "truncated capture: process list at byte offset 28 needs 209715200 bytes, only 72 \
         remain"
    );
    assert!(peak < 2 * MIB, "held {peak} bytes");
}

/// A parameter length of gigabytes in a large-payload event (u32 lengths).
#[test]
fn parameter_claiming_gigabytes_is_an_error() {
    let ty = (0..EVENT_MAX).find(|&t| large_lengths(t)).unwrap();
    let mut event = Vec::new();
    event.extend_from_slice(&1u64.to_le_bytes());
    event.extend_from_slice(&1u64.to_le_bytes());
    event.extend_from_slice(&38u32.to_le_bytes()); // header, one u32 length, 8 bytes
    event.extend_from_slice(&ty.to_le_bytes());
    event.extend_from_slice(&1u32.to_le_bytes());
    event.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    event.extend_from_slice(&[0; 8]);
    let mut body = 0u16.to_le_bytes().to_vec();
    body.extend_from_slice(&event);
    let mut bytes = shb();
    bytes.extend(block(0x221, &body));
    assert_eq!(
        read_error(bytes),
        "invalid event #1 (block at byte offset 28): parameter 0 of length 4294967280 runs \
         past the end of the event (length 38)"
    );
}

/// One process-list entry of the oldest version (52 bytes): tid, pid, ptid, four empty
/// strings, fdlimit, flags, uid, gid.
fn v1_thread(tid: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(&tid.to_le_bytes());
    out.extend_from_slice(&tid.to_le_bytes());
    out.extend_from_slice(&1u64.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&1024u64.to_le_bytes());
    out.extend_from_slice(&[0; 12]);
}

/// Two million threads in one process list block (104 MB, within the block limit): the
/// reader stops at its thread limit with an error at the first thread past it, holding the
/// block and at most the limit's worth of records, not two million of them.
#[test]
fn process_list_of_millions_of_threads_is_refused_past_the_thread_limit() {
    const N: usize = 2_000_000;
    let mut body = Vec::with_capacity(N * 52);
    for tid in 0..N as u64 {
        v1_thread(tid + 1, &mut body);
    }
    let mut bytes = shb();
    bytes.extend(block(0x202, &body));
    drop(body);
    let block_len = bytes.len() - 28;
    let started = std::time::Instant::now();
    let (err, peak) = peak_memory(|| read_error(bytes));
    let first_past = 28 + 8 + DEFAULT_MAX_THREADS * 52;
    assert_eq!(
        err,
        format!(
            "malformed capture at byte offset {first_past}: process list block: more than \
             131072 threads, the reader's limit (FileReader::with_max_threads)"
        )
    );
    let record = std::mem::size_of::<ThreadRecord>();
    // The block, twice while the buffer grows, and the capped records, twice while their
    // vector grows.
    let bound = 2 * block_len + 2 * DEFAULT_MAX_THREADS * record + 16 * MIB;
    assert!(peak < bound, "held {peak} bytes, bound {bound}");
    assert!(
        bound < N * record,
        "the bound is below what every thread would take"
    );
    assert!(started.elapsed().as_secs() < 10);
}

/// The limit counts the threads of every process list block together.
#[test]
fn thread_limit_counts_every_process_list_block() {
    let mut bytes = shb();
    for first in [1u64, 4] {
        let mut body = Vec::new();
        for tid in first..first + 3 {
            v1_thread(tid, &mut body);
        }
        bytes.extend(block(0x202, &body));
    }
    let second_block = 28 + 12 + 3 * 52;
    let err = FileReader::with_max_threads(Cursor::new(bytes.clone()), 4)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "malformed capture at byte offset {}: process list block: more than 4 threads, \
             the reader's limit (FileReader::with_max_threads)",
            second_block + 8 + 52
        )
    );
    let r = FileReader::with_max_threads(Cursor::new(bytes), 6).unwrap();
    assert_eq!(r.metadata().threads.len(), 6);
}

/// Filters nested 10,000 deep, by parentheses, by `not`s and by transformers: each is an
/// error at the column where the nesting passes 256, found without exhausting the stack
/// (test threads have 2 MiB).
#[test]
fn filter_nested_ten_thousand_deep_is_an_error_at_its_column() {
    let deep = 10_000;
    let parens = format!("{}a.b exists{}", "(".repeat(deep), ")".repeat(deep));
    assert_eq!(
        filter_error(&parens),
        "filter error at column 257: the filter nests too deeply"
    );
    let nots = format!("{}evt.num exists", "not ".repeat(deep));
    assert_eq!(
        filter_error(&nots),
        "filter error at column 1025: the filter nests too deeply"
    );
    let transformers = format!(
        "{}proc.name{} = x",
        "tolower(".repeat(deep),
        ")".repeat(deep)
    );
    // The condition takes one level, so the 256th transformer passes the bound.
    assert_eq!(
        filter_error(&transformers),
        "filter error at column 2049: the filter nests too deeply"
    );
    let in_value = format!(
        "proc.name = {}proc.name{}",
        "toupper(".repeat(deep),
        ")".repeat(deep)
    );
    assert_eq!(
        filter_error(&in_value),
        "filter error at column 2061: the filter nests too deeply"
    );
    // At the bound itself, the filter compiles.
    let at_bound = format!("{}proc.name{} = x", "tolower(".repeat(255), ")".repeat(255));
    assert!(Filter::compile(&at_bound).is_ok());
}

/// User and group events (as sinsp writes its user table) update the metadata's tables in
/// constant time each: 200,000 users added, re-added and deleted read in well under a
/// second's work each, rather than a scan of the whole table per event (minutes).
#[test]
fn user_and_group_events_by_the_hundred_thousand_read_in_linear_time() {
    use peregrine::event::EventBuilder;
    const USERS: u32 = 200_000;
    let user = |ty: u16, uid: u32| {
        EventBuilder::new(ty)
            .u32(uid)
            .u32(uid)
            .str(format!("u{uid}").as_bytes())
            .str(b"/home")
            .str(b"/bin/sh")
            .str(b"")
            .build()
    };
    let mut bytes = shb();
    let mut push = |ev: Vec<u8>| {
        let mut body = 0u16.to_le_bytes().to_vec();
        body.extend_from_slice(&ev);
        bytes.extend(block(0x216, &body));
    };
    for uid in 0..USERS {
        push(user(354, uid)); // added
    }
    for uid in 0..USERS {
        push(user(354, uid)); // added again: replaces
    }
    for uid in (0..USERS).filter(|u| u % 2 == 0) {
        push(user(356, uid)); // deleted
    }
    for gid in 0..USERS {
        push(EventBuilder::new(358).u32(gid).str(b"g").str(b"").build());
    }
    push(EventBuilder::new(360).u32(7).str(b"g").str(b"").build());
    let started = std::time::Instant::now();
    let mut r = FileReader::new(Cursor::new(bytes)).unwrap();
    assert!(
        r.next_event().unwrap().is_none(),
        "user events are not lent"
    );
    let elapsed = started.elapsed();
    let md = r.take_metadata();
    assert_eq!(md.users.len(), USERS as usize / 2);
    assert!(md.users.iter().all(|u| u.uid % 2 == 1));
    let mut uids: Vec<u32> = md.users.iter().map(|u| u.uid).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), USERS as usize / 2, "each user once");
    assert_eq!(md.groups.len(), USERS as usize - 1);
    assert!(!md.groups.iter().any(|g| g.gid == 7));
    assert!(elapsed.as_secs() < 10, "took {elapsed:?}");
}

// ---------------------------------------------------------------------------------------
// Rules content (the `rules` target)

/// What loading `bytes` as rules content gives: the first error, as the CLI describes it.
fn rules_error(bytes: &[u8]) -> Option<String> {
    let mut l = peregrine::rules::RulesLoader::new();
    l.load_str("fuzz.yaml", &String::from_utf8_lossy(bytes));
    l.build().err().map(|e| e.to_string())
}

/// A block scalar (`condition: >`) ending the content without a line break made the YAML
/// parser (libyaml-safer 0.3) panic; content without a final newline is common.
#[test]
fn block_scalar_at_the_end_without_a_newline_reads() {
    let text = b"- macro: m\n  condition: >\n    evt.type=open";
    let mut l = peregrine::rules::RulesLoader::new();
    let r = l.load_str("fuzz.yaml", std::str::from_utf8(text).unwrap());
    assert!(r.successful(), "{r:?}");
    assert_eq!(
        rules_error(CRASH_BLOCK_SCALAR).as_deref(),
        Some(
            "rules: fuzz.yaml:14:3: rule 'Contains Prefix of Filter': Item has no mapping for key 'output' (LOAD_ERR_YAML_VALIDATE)"
        )
    );
}

/// A tag followed by a comma in a flow sequence reaches a `panic!("TODO")` of the YAML
/// parser (libyaml-safer 0.3); Peregrine catches it and reports a parse error.
#[test]
fn parser_panics_are_parse_errors() {
    assert_eq!(
        rules_error(CRASH_TAG_COMMA).as_deref(),
        Some("rules: fuzz.yaml: the YAML parser failed on this content (LOAD_ERR_YAML_PARSE)")
    );
}

const CRASH_BLOCK_SCALAR: &[u8] = b"#\x0a# License, Version 2.0 (the \"License\");\x0a# you may not use this file except in compliance with the License.\x0a# You matyoba in a copy of the License at\x0a#\x0a#     http://www.apache.org/licenses/LICENSE-2.0\x0a#\x0a# Unless required by applicable law or agreed to in writing, software\x0a# distributed under the License is distributed on an \"AS IS\" BASIS,\x0a# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\x0a# See the License for the specific language governing permissions and\x0a# limitations under t.\x0a#\x0a- rule: Contains Prefix of Filter\x0a  desc: Testing matching filuer prefixes\x0a  condition: >\x0a    evt.type=       - [cat, \"cPPPPPPPPPPPPPat ba /de";

const CRASH_TAG_COMMA: &[u8] = b"#\x0a# Copyright (Ction:roc.name in (cat_capable_binaries)\x0a\x0a- rule: open_from_cat\x0a  desc: A process named cat doldstatopen\x0a  condition: evt.type=open and is_cat\x0a  output: \"An open was seen (command=%val(proc.cmdline)\"\x0a  priority: WARNG\x0a  tags: [filesystem,!process,iet gsnt]\x0a";
