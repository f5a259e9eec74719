//! Fields on synthetic events: the `fs.path.*` class, which the reference captures (made
//! before those events existed) cannot show.

use peregrine::capture::RawEvent;
use peregrine::event::{EventBuilder, EventRef};
use peregrine::fields::{EventView, Field};
use peregrine::parse::Parser;
use peregrine::state::{FdInfo, FdKind, State, Thread};

/// Parses `events` (type, builder) for thread 100 (cwd /home/u/, fd 7 = directory /srv)
/// and returns `field` of the last one, `None` if it does not apply.
fn field_of_last(events: Vec<EventBuilder>, field: &str) -> Option<String> {
    let mut state = State::default();
    let mut t = Thread::new();
    t.tid = 100;
    t.pid = 100;
    t.comm = b"sh".to_vec();
    t.cwd = b"/home/u/".to_vec();
    t.fds.insert(7, FdInfo::new(FdKind::Directory, "/srv"), 10);
    state.add_thread(t);
    let mut parser = Parser::new();
    let f = Field::parse(field).unwrap();
    let mut last = None;
    for (i, b) in events.into_iter().enumerate() {
        let bytes = b.ts(1000 + i as u64).tid(100).build();
        let raw = RawEvent {
            event: EventRef::new(&bytes).unwrap(),
            cpu: 0,
            flags: 0,
            number: i as u64 + 1,
            offset: 0,
        };
        let ctx = parser.process(&mut state, &raw);
        let view = EventView::new(raw, raw.number, &state, ctx);
        let mut out = String::new();
        last = f.extract(&view, &mut out).then_some(out);
    }
    last
}

const MKDIRAT_X: u16 = 305;
const RENAMEAT2_X: u16 = 319;
const UNLINK_2_X: u16 = 301;

#[test]
fn fs_path_resolves_relative_paths_against_the_dirfd_or_the_cwd() {
    let mkdirat = || {
        EventBuilder::new(MKDIRAT_X)
            .i64(0)
            .i64(7)
            .str(b"www/../data")
            .u32(0o755)
    };
    assert_eq!(
        field_of_last(vec![mkdirat()], "fs.path.name").as_deref(),
        Some("/srv/data")
    );
    assert_eq!(
        field_of_last(vec![mkdirat()], "fs.path.nameraw").as_deref(),
        Some("www/../data")
    );
    let unlink = EventBuilder::new(UNLINK_2_X).i64(0).str(b"notes.txt");
    assert_eq!(
        field_of_last(vec![unlink], "fs.path.name").as_deref(),
        Some("/home/u/notes.txt")
    );
}

#[test]
fn fs_path_gives_rename_source_and_target_and_nothing_for_failures() {
    let rename = |res: i64| {
        EventBuilder::new(RENAMEAT2_X)
            .i64(res)
            .i64(-100)
            .str(b"a.txt")
            .i64(7)
            .str(b"b.txt")
            .u32(0)
    };
    assert_eq!(
        field_of_last(vec![rename(0)], "fs.path.source").as_deref(),
        Some("/home/u/a.txt")
    );
    assert_eq!(
        field_of_last(vec![rename(0)], "fs.path.target").as_deref(),
        Some("/srv/b.txt")
    );
    assert_eq!(field_of_last(vec![rename(0)], "fs.path.name"), None);
    assert_eq!(field_of_last(vec![rename(-2)], "fs.path.source"), None);
}
