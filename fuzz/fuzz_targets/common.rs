//! What the targets share: every field of the registry compiled once, and a small scene of
//! events (with a thread and its fds) to evaluate filters and formats against.
#![allow(dead_code)]

use std::sync::OnceLock;

use peregrine::capture::RawEvent;
use peregrine::event::{Direction, EVENT_MAX, EventBuilder, EventRef, event_info};
use peregrine::fields::{ArgKind, EventView, FIELDS, Field};
use peregrine::parse::Parser;
use peregrine::state::{FdInfo, FdKind, State, Thread};

/// sysdig's default line.
pub const DEFAULT_FORMAT: &str =
    "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info";

thread_local! {
    static ALL_FIELDS: Vec<Field> = all_fields();
}

/// Runs `f` with every field of the registry, compiled once.
pub fn with_all_fields(f: impl FnOnce(&[Field])) {
    ALL_FIELDS.with(|all| f(all));
}

/// Every field of the registry, with an argument where it takes one.
fn all_fields() -> Vec<Field> {
    {
        let mut v = Vec::new();
        for info in FIELDS {
            let names: Vec<String> = match info.arg {
                ArgKind::None => vec![info.name.to_string()],
                ArgKind::Param => vec![
                    format!("{}[0]", info.name),
                    format!("{}[1]", info.name),
                    format!("{}.fd", info.name),
                    format!("{}.name", info.name),
                    format!("{}.data", info.name),
                ],
                ArgKind::Level => vec![info.name.to_string(), format!("{}[2]", info.name)],
                ArgKind::Subsys => vec![format!("{}.cpu", info.name)],
                ArgKind::Bracket => vec![format!("{}[0]", info.name), format!("{}[PATH]", info.name)],
            };
            v.extend(names.iter().filter_map(|n| Field::parse(n).ok()));
        }
        v
    }
}

/// The id of the event called `name` going in direction `dir`.
fn event_id(name: &str, dir: Direction) -> u16 {
    (0..EVENT_MAX)
        .find(|&i| event_info(i).is_some_and(|e| e.name == name) && Direction::of(i) == dir)
        .unwrap_or_else(|| panic!("no event {name}"))
}

/// A few events of thread 100, which has a file, a directory and a socket open.
fn scene_events() -> Vec<Vec<u8>> {
    let x = Direction::Exit;
    let e = Direction::Enter;
    vec![
        EventBuilder::new(event_id("read", e)).i64(3).u32(64),
        EventBuilder::new(event_id("read", x))
            .i64(11)
            .raw(b"hello\0world\n\x01\xff")
            .i64(3)
            .u32(64),
        EventBuilder::new(event_id("write", x))
            .i64(-2)
            .raw(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .i64(5)
            .u32(28),
        EventBuilder::new(event_id("connect", x))
            .i64(0)
            .socktuple_v4([10, 0, 0, 1], 40000, [93, 184, 216, 34], 443)
            .i64(5),
        EventBuilder::new(event_id("close", e)).i64(3),
        EventBuilder::new(event_id("close", x)).i64(0).i64(3),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, b)| b.ts(1_700_000_000_000_000_000 + i as u64 * 1000).tid(100).build())
    .collect()
}

/// Runs `f` on a view of each scene event, the state updated by the parser as it goes.
pub fn with_scene(mut f: impl FnMut(&EventView<'_>)) {
    static EVENTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let events = EVENTS.get_or_init(scene_events);
    let mut state = State::default();
    let mut t = Thread::new();
    t.tid = 100;
    t.pid = 100;
    t.ptid = 1;
    t.comm = b"sh".to_vec();
    t.exe = b"/bin/sh".to_vec();
    t.exepath = b"/usr/bin/sh".to_vec();
    t.args = b"-c\0echo hi\0".to_vec();
    t.cwd = b"/home/u/".to_vec();
    t.fds.insert(3, FdInfo::new(FdKind::File, "/etc/passwd"), 100);
    t.fds.insert(4, FdInfo::new(FdKind::Directory, "/srv"), 100);
    t.fds.insert(5, FdInfo::new(FdKind::Ipv4Socket, ""), 100);
    state.add_thread(t);
    let mut parser = Parser::new();
    for (i, bytes) in events.iter().enumerate() {
        let raw = RawEvent {
            event: EventRef::new(bytes).expect("scene events are valid"),
            cpu: 1,
            flags: 0,
            number: i as u64 + 1,
            offset: 0,
        };
        let ctx = parser.process(&mut state, &raw);
        let view = EventView::new(raw, raw.number, &state, ctx);
        f(&view);
    }
}
