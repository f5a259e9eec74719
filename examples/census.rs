//! Counts events by type in captures: `cargo run --example census FILE...`.
use std::collections::BTreeMap;

use peregrine::capture::file::FileReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut counts: BTreeMap<(u16, &'static str, usize), u64> = BTreeMap::new();
    for path in std::env::args().skip(1) {
        let mut r = FileReader::open(path)?;
        while let Some(e) = r.next_event()? {
            let ev = &e.event;
            *counts
                .entry((ev.event_type(), ev.name(), ev.nparams()))
                .or_default() += 1;
        }
    }
    for ((ty, name, np), n) in counts {
        println!("{ty:4} {name:24} nparams={np:2} {n}");
    }
    Ok(())
}
