//! Cross-checks Peregrine's event decoder against an independent one: the Falco plugin
//! SDK crates (`falco_event`, `falco_event_schema`, `falco_event_serde`).
//!
//! Every event of every reference capture (`tests/captures`, and `../shared/captures`
//! where it is there) is read with Peregrine's
//! [`FileReader`]. Its raw bytes ([`EventRef::as_bytes`], current 26-byte header layout)
//! are then decoded a second time by `falco_event`, whose per-event structs come from
//! its own copy of the libs event table. For every event type the SDK knows (id < 430),
//! every parameter both schemas describe and the event actually carries (index <
//! `nparams`) must decode to the same value.
//!
//! The SDK's serde view (`falco_event_serde` into `serde_json::Value`) serves as the
//! generic per-parameter value; Peregrine's [`Value`] is converted into the same JSON
//! shape (`peregrine_json`), so the comparison is typed: integers as numbers, strings,
//! paths and buffers as their exact bytes, socket addresses and tuples field by field,
//! fd lists entry by entry, flags by their bits. Debug text is never compared.
//!
//! What this does not check: the file format itself (V1 widening, block parsing), since
//! the SDK is fed the bytes Peregrine produced; params beyond the SDK's older table.

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use falco_event::events::RawEvent as SdkRawEvent;
use falco_event_schema::events::AnyEvent;
use peregrine::capture::file::FileReader;
use peregrine::event::schema::ParamType;
use peregrine::event::{SockAddr, SockTuple, Value};
use serde_json::{Value as Json, json};

/// Event type ids the SDK's schema covers (`PPM_EVENT_MAX` of its table).
const SDK_EVENT_MAX: u16 = 430;
/// Mismatches collected before failing.
const MAX_REPORTED: usize = 20;

/// How `falco_event_serde` writes a byte string: a JSON string when the bytes are
/// valid UTF-8 (NULs included), otherwise an array of byte values.
fn str_or_bytes(b: &[u8]) -> Json {
    match std::str::from_utf8(b) {
        Ok(s) => json!(s),
        Err(_) => json!(b),
    }
}

/// The serde shape of the `PT_DYN` alternatives: `{"PPM_..._IDX_...": value}`. Returned
/// as `[index, value]` to compare with Peregrine's index into the same table.
fn sdk_dyn(v: &Json) -> Option<Json> {
    let (name, inner) = v.as_object()?.iter().next()?;
    let index = match name.as_str() {
        "PPM_SOCKOPT_IDX_UNKNOWN" | "PPM_PTRACE_IDX_UINT64" | "PPM_BPF_IDX_FD" => 0,
        "PPM_SOCKOPT_IDX_ERRNO" | "PPM_PTRACE_IDX_SIGTYPE" | "PPM_BPF_IDX_RES" => 1,
        "PPM_SOCKOPT_IDX_UINT32" => 2,
        "PPM_SOCKOPT_IDX_UINT64" => 3,
        "PPM_SOCKOPT_IDX_TIMEVAL" => 4,
        _ => return None,
    };
    Some(json!([index, inner]))
}

/// Peregrine's decoded value in the JSON shape `falco_event_serde` gives the same param.
fn peregrine_json(ty: ParamType, v: Value<'_>) -> Json {
    match v {
        Value::Empty => Json::Null, // the SDK reads a zero-length param as `None`
        Value::Signed(n) => json!(n),
        Value::Unsigned(n) => json!(n),
        Value::Double(f) => json!(f),
        Value::Str(b) | Value::Bytes(b) => str_or_bytes(b),
        Value::StrList(b) => {
            // NUL-terminated strings; the SDK splits them the same way.
            let items: Vec<&[u8]> = b
                .strip_suffix(&[0])
                .unwrap_or(b)
                .split(|&c| c == 0)
                .collect();
            if ty == ParamType::CharBufPairArray {
                let pairs = items.chunks_exact(2);
                Json::Array(
                    pairs
                        .map(|p| json!([str_or_bytes(p[0]), str_or_bytes(p[1])]))
                        .collect(),
                )
            } else {
                Json::Array(items.into_iter().map(str_or_bytes).collect())
            }
        }
        Value::SockAddr(a) => match a {
            SockAddr::Ipv4 { addr, port } => json!([Ipv4Addr::from(addr), port]),
            SockAddr::Ipv6 { addr, port } => json!([Ipv6Addr::from(addr), port]),
            SockAddr::Unix { path } => str_or_bytes(path),
            SockAddr::Other { family, rest } => json!([family, str_or_bytes(rest)]),
        },
        Value::SockTuple(t) => match t {
            SockTuple::Ipv4 {
                sip,
                sport,
                dip,
                dport,
            } => {
                json!([Ipv4Addr::from(sip), sport, Ipv4Addr::from(dip), dport])
            }
            SockTuple::Ipv6 {
                sip,
                sport,
                dip,
                dport,
            } => {
                json!([Ipv6Addr::from(sip), sport, Ipv6Addr::from(dip), dport])
            }
            SockTuple::Unix { source, dest, path } => json!([source, dest, str_or_bytes(path)]),
            SockTuple::Other { family, rest } => json!([family, str_or_bytes(rest)]),
        },
        // The SDK types the fd of an entry as u64: compare the same 64 bits.
        Value::FdList(l) => Json::Array(l.iter().map(|(fd, fl)| json!([fd as u64, fl])).collect()),
        Value::Ipv4(a) => json!(Ipv4Addr::from(a)),
        Value::Ipv6(a) => json!(Ipv6Addr::from(a)),
        Value::Ipv4Net(a, m) => json!([Ipv4Addr::from(a), Ipv4Addr::from(m)]),
        Value::Ipv6Net(a, m) => json!([Ipv6Addr::from(a), Ipv6Addr::from(m)]),
        Value::Dyn { index, .. } => match v.resolve() {
            Ok((inner, Some(alt))) => json!([index, peregrine_json(alt.ty, inner)]),
            Ok((inner, None)) => json!([index, peregrine_json(ty, inner)]),
            Err(e) => json!(format!("Peregrine decode error: {e}")),
        },
    }
}

#[derive(Default)]
struct Tally {
    events: u64,
    compared_events: u64,
    params: u64,
    skipped_unknown_type: u64,
    not_compared: u64,
    /// Non-null compared values per parameter type, to show what the check exercised.
    per_type: BTreeMap<String, u64>,
    mismatch_count: usize,
    mismatches: Vec<String>,
}

/// Decodes every event of `path` with both decoders and compares their params.
fn check_capture(path: &Path, t: &mut Tally) {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut reader = FileReader::open(path).unwrap_or_else(|e| panic!("{file}: open: {e}"));
    let mismatch = |t: &mut Tally, msg: String| {
        t.mismatch_count += 1;
        if t.mismatches.len() < MAX_REPORTED {
            t.mismatches.push(format!("{file}: {msg}"));
        }
    };
    while let Some(raw) = reader
        .next_event()
        .unwrap_or_else(|e| panic!("{file}: {e}"))
    {
        t.events += 1;
        let ev = raw.event;
        let (num, ty) = (raw.number, ev.event_type());
        if ty >= SDK_EVENT_MAX {
            t.skipped_unknown_type += 1;
            continue;
        }
        let Some(info) = ev.info() else {
            mismatch(
                t,
                format!("event #{num} type {ty}: not in Peregrine's schema"),
            );
            continue;
        };
        let here = format!("event #{num} type {ty} ({})", info.code);
        let sdk_raw = SdkRawEvent::from(ev.as_bytes()).expect("26-byte header");
        let sdk_event = match sdk_raw.load::<AnyEvent>() {
            Ok(e) => e,
            Err(e) => {
                mismatch(t, format!("{here}: the SDK cannot decode it: {e}"));
                continue;
            }
        };
        let json = serde_json::to_value(falco_event_serde::ser::Event::from(&sdk_event)).unwrap();
        // {"ts": .., "tid": .., "<PPME code without PPME_>": {param: value, ...}}
        let Some((_, Json::Object(sdk_params))) = json.as_object().unwrap().iter().nth(2) else {
            panic!("{file}: {here}: unexpected serde shape {json}");
        };
        t.compared_events += 1;
        t.not_compared += ev.nparams().saturating_sub(sdk_params.len()) as u64;
        for (i, (sdk_name, sdk_value)) in sdk_params.iter().enumerate().take(ev.nparams()) {
            let Some(param) = ev.param(i) else { break }; // beyond Peregrine's schema
            let ours = match param.value() {
                Ok(v) => peregrine_json(param.info.ty, v),
                Err(e) => json!(format!("Peregrine decode error: {e}")),
            };
            let theirs = match param.info.ty {
                ParamType::Dyn if !sdk_value.is_null() => {
                    sdk_dyn(sdk_value).unwrap_or(sdk_value.clone())
                }
                _ => sdk_value.clone(),
            };
            t.params += 1;
            if !ours.is_null() {
                *t.per_type
                    .entry(format!("{:?}", param.info.ty))
                    .or_default() += 1;
            }
            if ours != theirs {
                let name = param.name();
                mismatch(
                    t,
                    format!(
                        "{here} param {i} {name} (SDK: {sdk_name}): peregrine={ours} sdk={theirs} (raw {:?})",
                        &param.bytes[..param.bytes.len().min(64)]
                    ),
                );
            }
        }
    }
}

#[test]
fn peregrine_matches_falco_sdk_on_all_captures() {
    let files = common::reference_captures();

    let mut total = Tally::default();
    let mut mismatch_count = 0;
    for path in &files {
        let mut t = Tally::default();
        check_capture(path, &mut t);
        eprintln!(
            "{}: {} events, {} compared, {} params compared ({} beyond the SDK's table), \
             {} events beyond the SDK's table, {} mismatches",
            path.file_name().unwrap().to_string_lossy(),
            t.events,
            t.compared_events,
            t.params,
            t.not_compared,
            t.skipped_unknown_type,
            t.mismatch_count,
        );
        total.events += t.events;
        total.compared_events += t.compared_events;
        total.params += t.params;
        for (ty, n) in t.per_type {
            *total.per_type.entry(ty).or_default() += n;
        }
        mismatch_count += t.mismatch_count;
        total.mismatches.extend(t.mismatches);
    }
    eprintln!(
        "total: {} events, {} compared, {} params compared",
        total.events, total.compared_events, total.params
    );
    eprintln!("non-empty values compared per type: {:?}", total.per_type);
    for m in total.mismatches.iter().take(MAX_REPORTED) {
        eprintln!("MISMATCH {m}");
    }
    assert_eq!(
        mismatch_count, 0,
        "Peregrine and falco_event disagree (first ones above)"
    );
    // The eleven captures kept in the repository give 31,651; with ../shared's, over 100,000.
    assert!(
        total.params > 30_000,
        "too few params compared: {}",
        total.params
    );
}
