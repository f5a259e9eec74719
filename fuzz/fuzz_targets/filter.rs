//! Filter text: parsing, compiling (fields resolved, values converted, patterns compiled)
//! and evaluating against a few events with state. A filter that parses prints to text
//! that parses to the same text again.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use peregrine::filter::{Filter, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = parse(text) {
        let printed = expr.to_string();
        let again = parse(&printed)
            .unwrap_or_else(|e| panic!("printed filter {printed:?} does not parse: {e:?}"));
        assert_eq!(again.to_string(), printed, "print/parse is not stable");
    }
    let Ok(filter) = Filter::compile(text) else {
        return;
    };
    let _ = filter.event_types().len();
    common::with_scene(|view| {
        filter.matches(view);
    });
});
