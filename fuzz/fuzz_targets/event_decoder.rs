//! One raw event against the schema: validation, every parameter decoded and rendered,
//! every field of the registry extracted, sysdig's default line and JSON in every buffer
//! format. The header's length is set to the input's length, so that mutations explore the
//! parameters rather than stop at the length check (which the file target covers).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use peregrine::capture::RawEvent;
use peregrine::event::render::BufferFormat;
use peregrine::event::{EventRef, HEADER_LEN};
use peregrine::fields::EventView;
use peregrine::format::Format;

const BUFFERS: [BufferFormat; 6] = [
    BufferFormat::Normal,
    BufferFormat::Full,
    BufferFormat::Ascii,
    BufferFormat::Base64,
    BufferFormat::Hex,
    BufferFormat::HexAscii,
];

thread_local! {
    static DEFAULT_LINE: Format = Format::parse(common::DEFAULT_FORMAT).unwrap();
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    if bytes.len() >= HEADER_LEN {
        let len = bytes.len().min(u32::MAX as usize) as u32;
        bytes[16..20].copy_from_slice(&len.to_le_bytes());
    }
    let Ok(event) = EventRef::new(&bytes) else {
        return;
    };
    let mut raw = String::new();
    let mut resolved = String::new();
    for p in event.params() {
        if let Ok(v) = p.value() {
            raw.clear();
            resolved.clear();
            peregrine::event::render::render(p.info, v, &mut raw, &mut resolved);
        }
    }
    let _ = format!("{event:?}");
    let raw_event = RawEvent {
        event,
        cpu: 0,
        flags: 0,
        number: 1,
        offset: 0,
    };
    let mut out = String::new();
    for buffers in BUFFERS {
        let mut view = EventView::stateless(raw_event, 1);
        view.buffers = buffers;
        DEFAULT_LINE.with(|f| {
            f.render(&view, &mut out);
            f.render_json(&view, &mut out);
        });
    }
    let view = EventView::stateless(raw_event, 1);
    common::with_all_fields(|fields| {
        for f in fields {
            out.clear();
            f.extract(&view, &mut out);
        }
    });
});
