//! The committed event table agrees with the schema data it was generated from
//! (`../shared/reference/schema`, extracted from falcosecurity/libs): every id, name,
//! direction, category, flag set and parameter.

use peregrine::event::{EVENT_MAX, ParamExtra, event_info, schema};
use serde_json::Value;

fn load(name: &str) -> Option<Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/schema");
    match std::fs::read_to_string(dir.join(name)) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stdout(),
                "SKIPPED: no schema data at {}",
                dir.display()
            );
            None
        }
    }
}

#[test]
fn event_table_matches_schema_json() {
    let Some(events) = load("events.json") else {
        return;
    };
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), EVENT_MAX as usize);
    assert_eq!(EVENT_MAX, 454);
    for ev in events {
        let id = ev["id"].as_u64().unwrap() as u16;
        let info = event_info(id).unwrap();
        assert_eq!(info.code, ev["code"], "id {id}");
        assert_eq!(info.name, ev["name"], "id {id}");
        assert_eq!(info.category.bits() as u64, ev["category_value"], "id {id}");
        assert_eq!(info.flags.bits() as u64, ev["flags_value"], "id {id}");
        let dir = if id.is_multiple_of(2) {
            "enter"
        } else {
            "exit"
        };
        assert_eq!(dir, ev["direction"]);
        let params = ev["params"].as_array().unwrap();
        assert_eq!(info.params.len(), params.len(), "id {id}");
        for (p, j) in info.params.iter().zip(params) {
            assert_eq!(p.name, j["name"], "id {id}");
            assert_eq!(
                format!("PT_{:?}", p.ty).to_uppercase().replace('_', ""),
                j["type"].as_str().unwrap().replace('_', ""),
                "id {id} {}",
                p.name
            );
            match (&p.extra, &j["info"]) {
                (ParamExtra::None, Value::Null) => {}
                (ParamExtra::Flags(t), i) => {
                    let name = i["table"].as_str().unwrap();
                    assert_eq!(Some(*t), schema::flag_table(name), "id {id} {}", p.name);
                }
                (ParamExtra::DirFd(d), i) => assert_eq!(*d as u64, i["index"]),
                (ParamExtra::Dynamic(t), i) => assert_eq!(t.len() as u64, i["ninfo"]),
                (e, i) => panic!("id {id} {}: {e:?} vs {i}", p.name),
            }
        }
    }
}

#[test]
fn flag_tables_match_schema_json() {
    let Some(flags) = load("flags.json") else {
        return;
    };
    for (name, entries) in flags.as_object().unwrap() {
        let table = schema::flag_table(name).unwrap_or_else(|| panic!("no table {name}"));
        let entries = entries.as_array().unwrap();
        assert_eq!(table.len(), entries.len(), "{name}");
        for (f, j) in table.iter().zip(entries) {
            assert_eq!(f.name, j["name"], "{name}");
            assert_eq!(f.value as u64, j["value"], "{name}");
        }
    }
}

#[test]
fn well_known_events_have_falco_layouts() {
    let openat = event_info(307).unwrap();
    assert_eq!(openat.name, "openat");
    let names: Vec<_> = openat.params.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        ["fd", "dirfd", "name", "flags", "mode", "dev", "ino"]
    );
    assert_eq!(event_info(293).unwrap().params.len(), 31);
    assert!(event_info(322).unwrap().large_payload());
    assert_eq!(schema::ppm_sc_name(75), Some("mprotect"));
    let x86 = schema::native_syscalls();
    assert!(x86.iter().any(|s| s.name == "openat" && s.exit == 307));
}

/// The probe's header (bpf/events.h) and the Rust table come from the same schema data;
/// every event id and parameter count the probe can use agrees with the table, and so do the
/// flag values it converts kernel flags to. (No JSON needed: both are committed.)
#[test]
fn probe_header_agrees_with_the_event_table() {
    let header = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bpf/events.h"),
    )
    .unwrap();
    let defines: std::collections::HashMap<&str, i64> = header
        .lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("#define ")?.split_whitespace();
            Some((w.next()?, w.next()?.parse().ok()?))
        })
        .collect();
    let mut events = 0;
    for id in 0..EVENT_MAX {
        let info = event_info(id).unwrap();
        assert_eq!(
            defines.get(info.code),
            Some(&i64::from(id)),
            "{}",
            info.code
        );
        let np = format!("{}_NPARAMS", info.code);
        assert_eq!(
            defines.get(np.as_str()),
            Some(&(info.params.len() as i64)),
            "{np}"
        );
        events += 1;
    }
    assert_eq!(defines.get("PPM_EVENT_MAX"), Some(&i64::from(EVENT_MAX)));
    // The per-id parameter counts the probe's writer starts every event with.
    let table = header
        .split_once("ppm_nparams[PPM_EVENT_MAX] = {")
        .and_then(|(_, rest)| rest.split_once("};"))
        .expect("ppm_nparams in bpf/events.h")
        .0;
    let counts: Vec<usize> = table
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    assert_eq!(counts.len(), usize::from(EVENT_MAX));
    for (id, n) in counts.iter().enumerate() {
        assert_eq!(
            *n,
            event_info(id as u16).unwrap().params.len(),
            "event {id}"
        );
    }
    let mut flags = 0;
    for (table, prefix) in [
        ("file_flags", "PPM_FILE_FLAGS_"),
        ("clone_flags", "PPM_CLONE_FLAGS_"),
    ] {
        for f in schema::flag_table(table).unwrap() {
            let name = format!("{prefix}{}", f.name);
            assert_eq!(
                defines.get(name.as_str()),
                Some(&i64::from(f.value)),
                "{name}"
            );
            flags += 1;
        }
    }
    assert!(events > 400 && flags > 40);
}
