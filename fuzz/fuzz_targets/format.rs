//! Output format text (`-p`): parsing, then rendering as text and as JSON against a few
//! events with state.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use peregrine::format::Format;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(format) = Format::parse(text) else {
        return;
    };
    let mut out = String::new();
    common::with_scene(|view| {
        format.render(view, &mut out);
        format.render_json(view, &mut out);
    });
});
