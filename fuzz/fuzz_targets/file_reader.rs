//! A whole capture file, as `peregrine -r FILE` reads it: the reader (plain or gzip, every
//! block type and version), the process list and fd lists loaded as initial state, every
//! event parsed into state and printed with sysdig's default line, a few state fields and
//! as JSON. Also the bare reader over the same bytes with state-only events skipped.
#![no_main]

#[path = "common.rs"]
mod common;

use std::io::Cursor;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use peregrine::Inspector;
use peregrine::capture::file::FileReader;
use peregrine::format::Format;

/// Stops a capture that decompresses to a flood of events from running for minutes.
const MAX_EVENTS: u64 = 5_000;

thread_local! {
    static FORMATS: Vec<Format> = formats();
}

fn formats() -> Vec<Format> {
    {
        [
            common::DEFAULT_FORMAT,
            "*%fd.name %fd.type %fd.cip:%fd.cport %proc.exepath %proc.pname %proc.aname[2] \
             %proc.cmdline %user.name %group.name %container.id %container.name %evt.args \
             %fdlist.names %proc.env %thread.cgroups %evt.latency",
        ]
        .iter()
        .map(|f| Format::parse(f).expect("fixed formats parse"))
        .collect()
    }
}

fn path() -> &'static std::path::Path {
    static P: OnceLock<std::path::PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        std::env::temp_dir().join(format!("peregrine-fuzz-{}.scap", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(mut r) = FileReader::new(Cursor::new(data.to_vec())) {
        r.set_skip_state_only(true);
        while let Ok(Some(_)) = r.next_event() {
            if r.events_read() > MAX_EVENTS {
                break;
            }
        }
    }

    std::fs::write(path(), data).expect("temporary file");
    let Ok(mut inspector) = Inspector::builder().file(path()).build() else {
        return;
    };
    let mut line = String::new();
    let mut n = 0;
    while let Ok(Some(ev)) = inspector.next() {
        FORMATS.with(|formats| {
            for f in formats {
                f.render(ev.view(), &mut line);
                f.render_json(ev.view(), &mut line);
            }
        });
        n += 1;
        if n > MAX_EVENTS {
            break;
        }
    }
});
