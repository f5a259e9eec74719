//! The C ABI (feature `capi`): what a C or C++ agent links to read capture files or capture
//! live, over the public Rust API. `include/peregrine.h` is generated from this module by
//! cbindgen (`cbindgen.toml`); docs/EMBEDDING.md shows both routes.
//!
//! Conventions, for every function:
//! - The result is a [`pg_status`]: [`pg_status::PG_OK`] (0) or another value; a negative
//!   one is an error, whose message [`pg_last_error`] gives (per thread).
//! - A null or invalid argument is an error ([`pg_status::PG_ERR_ARGUMENT`]), never a crash;
//!   a panic inside Peregrine is caught and reported ([`pg_status::PG_ERR_PANIC`]), never
//!   unwound into the caller.
//! - Handles made by `pg_*_new`/`pg_open`/`pg_field_compile`/`pg_writer_open` belong to
//!   the caller, who frees each with its `pg_*_free`/`pg_close` function, once.
//! - An event handle, and the text and strings a call returns about an event or the state,
//!   are borrowed: valid until the next [`pg_next`] or [`pg_close`] of that inspector (a
//!   field's text: until that field's next call too).
//!
//! Threads: an inspector and its fields are used from one thread at a time;
//! [`pg_stop`] may be called from any thread, or from a signal handler.
#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::capture::file::FileWriter;
use crate::fields::{Field, FieldType};
use crate::{Error, Event, Inspector, InspectorBuilder};

/// What a call did: `PG_OK`, `PG_END` or `PG_NO_VALUE`, or a negative error whose message
/// `pg_last_error` gives.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pg_status {
    /// Done.
    PG_OK = 0,
    /// `pg_next`: the source has no more events (or the inspector was stopped).
    PG_END = 1,
    /// A field that does not apply to this event (sysdig prints `<NA>`).
    PG_NO_VALUE = 2,
    /// A null pointer, a string that is not UTF-8, or a value out of range.
    PG_ERR_ARGUMENT = -1,
    /// Reading or writing a file failed.
    PG_ERR_IO = -2,
    /// A capture file is malformed or cut short; the events before the problem were
    /// delivered.
    PG_ERR_CAPTURE = -3,
    /// A filter that does not compile (the message names the column).
    PG_ERR_FILTER = -4,
    /// An unknown field, or a field used in a way it does not support.
    PG_ERR_FIELD = -5,
    /// Live capture could not start or failed (privileges, kernel, probe).
    PG_ERR_LIVE = -6,
    /// Something this build or this source does not do.
    PG_ERR_UNSUPPORTED = -7,
    /// A bug in Peregrine: a panic, caught at the boundary.
    PG_ERR_PANIC = -8,
    /// Rules content that does not load (the message names the file, place and item).
    PG_ERR_RULES = -9,
}

use pg_status::*;

/// The value of an argument check, or the error status it gave, returned.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(s) => return s,
        }
    };
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_error(msg: impl Into<String>) {
    let mut msg = msg.into();
    msg.retain(|c| c != '\0');
    LAST_ERROR.with(|e| *e.borrow_mut() = CString::new(msg).unwrap_or_default());
}

/// Records `e` as this thread's last error and returns its status.
fn fail(status: pg_status, msg: impl Into<String>) -> pg_status {
    set_error(msg);
    status
}

fn status_of(e: &Error) -> pg_status {
    match e {
        Error::Io { .. } | Error::Stream { .. } => PG_ERR_IO,
        Error::Truncated { .. } | Error::Malformed { .. } | Error::BadEvent { .. } => {
            PG_ERR_CAPTURE
        }
        Error::UnknownField { .. } | Error::InvalidField { .. } | Error::BadFormat { .. } => {
            PG_ERR_FIELD
        }
        Error::BadFilter { .. } => PG_ERR_FILTER,
        Error::BadRules(_) => PG_ERR_RULES,
        Error::Live { .. } => PG_ERR_LIVE,
        _ => PG_ERR_UNSUPPORTED,
    }
}

fn fail_with(e: Error) -> pg_status {
    fail(status_of(&e), e.to_string())
}

/// Runs `f`, turning a panic into `PG_ERR_PANIC`.
fn guard(f: impl FnOnce() -> pg_status) -> pg_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(s) => s,
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            fail(
                PG_ERR_PANIC,
                format!("internal error (a bug in Peregrine): {what}"),
            )
        }
    }
}

/// A `&str` from a C string argument named `what`.
///
/// # Safety
/// `s` is null or a NUL-terminated string.
unsafe fn arg_str<'a>(s: *const c_char, what: &str) -> Result<&'a str, pg_status> {
    if s.is_null() {
        return Err(fail(PG_ERR_ARGUMENT, format!("{what} is null")));
    }
    // SAFETY: the caller passes a NUL-terminated string (the header says so).
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|_| fail(PG_ERR_ARGUMENT, format!("{what} is not UTF-8")))
}

/// A `&mut T` from a handle argument named `what`.
///
/// # Safety
/// `p` is null or a handle this library made and that is not freed.
unsafe fn arg_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, pg_status> {
    // SAFETY: see above.
    unsafe { p.as_mut() }.ok_or_else(|| fail(PG_ERR_ARGUMENT, format!("{what} is null")))
}

/// A `&T` from a handle argument named `what`.
///
/// # Safety
/// As [`arg_mut`].
unsafe fn arg_ref<'a, T>(p: *const T, what: &str) -> Result<&'a T, pg_status> {
    // SAFETY: see above.
    unsafe { p.as_ref() }.ok_or_else(|| fail(PG_ERR_ARGUMENT, format!("{what} is null")))
}

/// Writes `v` through the out-pointer `out` named `what`.
///
/// # Safety
/// `out` is null or valid for a write of `T`.
unsafe fn put<T>(out: *mut T, what: &str, v: T) -> Result<(), pg_status> {
    if out.is_null() {
        return Err(fail(PG_ERR_ARGUMENT, format!("{what} is null")));
    }
    // SAFETY: non-null, and valid for writes by the caller's contract.
    unsafe { out.write(v) };
    Ok(())
}

/// Lends `buf` to the caller as C text: a NUL appended in place, `*text` set to it and
/// `*len` (when `len` is not null) to the length without the NUL, which counts the whole
/// text even if it held a NUL of its own.
///
/// # Safety
/// `text` is valid for a write; `len` is null or valid for a write.
unsafe fn hand_out(buf: &mut String, text: *mut *const c_char, len: *mut usize) {
    let n = buf.len();
    buf.push('\0');
    // SAFETY: the caller's contract.
    unsafe {
        text.write(buf.as_ptr() as *const c_char);
        if !len.is_null() {
            len.write(n);
        }
    }
}

/// `Ok` of `r` as `PG_OK`, or its error status.
fn done(r: Result<(), pg_status>) -> pg_status {
    r.err().unwrap_or(PG_OK)
}

/// The message of the last error of this thread: valid until the next failing call on this
/// thread. Empty before any error.
#[unsafe(no_mangle)]
pub extern "C" fn pg_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

// ---------------------------------------------------------------------------------------
// Options

/// What to open and how: a capture file or the live machine, with the options of
/// `Inspector::builder()`. Made by [`pg_options_new`], freed by [`pg_options_free`].
pub struct pg_options {
    builder: Option<InspectorBuilder>,
}

/// New options (no source yet). Free with [`pg_options_free`].
///
/// # Safety
/// `out` is null (an error) or points to a handle slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_new(out: *mut *mut pg_options) -> pg_status {
    guard(|| {
        let o = Box::new(pg_options {
            builder: Some(Inspector::builder()),
        });
        // SAFETY: `put` checks for null; the caller gives a pointer to a handle slot.
        done(unsafe { put(out, "out", Box::into_raw(o)) })
    })
}

/// Frees options made by [`pg_options_new`]. Null is allowed (nothing happens).
///
/// # Safety
/// `options` is null or a handle from [`pg_options_new`] not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_free(options: *mut pg_options) {
    if !options.is_null() {
        // SAFETY: made by Box::into_raw in pg_options_new, freed once (caller's contract).
        drop(unsafe { Box::from_raw(options) });
    }
}

/// Applies `f` to the builder of `options`.
///
/// # Safety
/// `options` is null or a live handle from [`pg_options_new`].
unsafe fn with_builder(
    options: *mut pg_options,
    f: impl FnOnce(InspectorBuilder) -> Result<InspectorBuilder, pg_status>,
) -> pg_status {
    guard(|| {
        // SAFETY: see above.
        let o = tri!(unsafe { arg_mut(options, "options") });
        let Some(b) = o.builder.take() else {
            return fail(PG_ERR_ARGUMENT, "options already used by pg_open");
        };
        match f(b) {
            Ok(b) => {
                o.builder = Some(b);
                PG_OK
            }
            Err(s) => {
                o.builder = Some(Inspector::builder());
                s
            }
        }
    })
}

/// Reads the capture file at `path` (plain or gzip).
///
/// # Safety
/// `options` is a live handle; `path` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_file(
    options: *mut pg_options,
    path: *const c_char,
) -> pg_status {
    // SAFETY: the caller's contract.
    let path = match unsafe { arg_str(path, "path") } {
        Ok(p) => p.to_owned(),
        Err(s) => return s,
    };
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.file(path))) }
}

/// Captures this machine live (needs root, or CAP_BPF and CAP_PERFMON).
///
/// # Safety
/// `options` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_live(options: *mut pg_options) -> pg_status {
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.live())) }
}

/// Keeps only the events `filter` (the Falco filter language) matches.
///
/// # Safety
/// `options` is a live handle; `filter` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_filter(
    options: *mut pg_options,
    filter: *const c_char,
) -> pg_status {
    // SAFETY: the caller's contract.
    let filter = match unsafe { arg_str(filter, "filter") } {
        Ok(f) => f.to_owned(),
        Err(s) => return s,
    };
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| b.filter(&filter).map_err(fail_with)) }
}

/// Live capture: the size of each CPU's ring buffer, in bytes (a power of two).
///
/// # Safety
/// `options` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_buffer_size(
    options: *mut pg_options,
    bytes: usize,
) -> pg_status {
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.buffer_size(bytes))) }
}

/// Live capture: how many bytes of each data buffer (read, write, ...) to keep.
///
/// # Safety
/// `options` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_snaplen(options: *mut pg_options, bytes: u32) -> pg_status {
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.snaplen(bytes))) }
}

/// Live capture: stop after `ns` nanoseconds.
///
/// # Safety
/// `options` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_duration(options: *mut pg_options, ns: u64) -> pg_status {
    let d = std::time::Duration::from_nanos(ns);
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.duration(d))) }
}

/// Live capture: only the `count` CPUs listed in `cpus`.
///
/// # Safety
/// `options` is a live handle; `cpus` points to `count` values (or is null with 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_cpus(
    options: *mut pg_options,
    cpus: *const u32,
    count: usize,
) -> pg_status {
    if cpus.is_null() && count != 0 {
        return fail(PG_ERR_ARGUMENT, "cpus is null");
    }
    let list: Vec<usize> = if count == 0 {
        Vec::new()
    } else {
        // SAFETY: non-null and `count` values long (caller's contract).
        unsafe { std::slice::from_raw_parts(cpus, count) }
            .iter()
            .map(|&c| c as usize)
            .collect()
    };
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.cpus(list))) }
}

/// Live capture: only the process `pid` (and its threads).
///
/// # Safety
/// `options` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_process(options: *mut pg_options, pid: u32) -> pg_status {
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.only_process(pid))) }
}

/// Live capture: also send the enter events the probe has (0 or 1).
///
/// # Safety
/// `options` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_enter_events(options: *mut pg_options, on: bool) -> pg_status {
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.enter_events(on))) }
}

/// Capture files: read and decompress on a second thread (0 or 1).
///
/// # Safety
/// `options` is a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_options_read_ahead(options: *mut pg_options, on: bool) -> pg_status {
    // SAFETY: the caller's contract.
    unsafe { with_builder(options, |b| Ok(b.read_ahead(on))) }
}

// ---------------------------------------------------------------------------------------
// Inspector and events

/// An open source and the state rebuilt from its events. Made by [`pg_open`], freed by
/// [`pg_close`].
pub struct pg_inspector {
    // Declared first so that it drops before the inspector it borrows from.
    current: Option<Event<'static>>,
    scratch: Vec<CString>,
    stop: Arc<AtomicBool>,
    live_stop: Option<Arc<AtomicBool>>,
    inspector: Box<Inspector>,
}

/// One event, borrowed from its inspector until the next [`pg_next`] or [`pg_close`].
pub struct pg_event {
    _private: [u8; 0],
}

/// Opens the source `options` name. The options stay the caller's (free them with
/// [`pg_options_free`]); they cannot open a second inspector.
///
/// # Safety
/// `options` is a live handle; `out` points to a handle slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_open(
    options: *mut pg_options,
    out: *mut *mut pg_inspector,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let o = tri!(unsafe { arg_mut(options, "options") });
        if out.is_null() {
            return fail(PG_ERR_ARGUMENT, "out is null");
        }
        let Some(b) = o.builder.take() else {
            return fail(PG_ERR_ARGUMENT, "options already used by pg_open");
        };
        let inspector = match b.build() {
            Ok(i) => Box::new(i),
            Err(e) => return fail_with(e),
        };
        let live_stop = inspector.stop_flag();
        let h = Box::new(pg_inspector {
            current: None,
            scratch: Vec::new(),
            stop: Arc::new(AtomicBool::new(false)),
            live_stop,
            inspector,
        });
        // SAFETY: checked non-null above; the caller's slot.
        done(unsafe { put(out, "out", Box::into_raw(h)) })
    })
}

/// Closes an inspector and frees it; its events and borrowed strings end. Null is allowed.
///
/// # Safety
/// `inspector` is null or a handle from [`pg_open`] not closed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_close(inspector: *mut pg_inspector) {
    if !inspector.is_null() {
        // SAFETY: made by Box::into_raw in pg_open, closed once (caller's contract).
        let mut h = unsafe { Box::from_raw(inspector) };
        h.current = None;
        drop(h);
    }
}

/// The next event the source delivers (kept by the filter, not state-only): `PG_OK` with
/// `*event` set, `PG_END` at the end (or after [`pg_stop`]), or an error. The event (and
/// every string borrowed before) is valid until the next `pg_next` or `pg_close`.
///
/// # Safety
/// `inspector` is a live handle; `event` points to an event-pointer slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_next(
    inspector: *mut pg_inspector,
    event: *mut *const pg_event,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let h = tri!(unsafe { arg_mut(inspector, "inspector") });
        if event.is_null() {
            return fail(PG_ERR_ARGUMENT, "event is null");
        }
        h.current = None;
        h.scratch.clear();
        if h.stop.load(Ordering::Relaxed) {
            return PG_END;
        }
        let inspector: *mut Inspector = &mut *h.inspector;
        // SAFETY: the inspector is boxed (its address does not move) and outlives
        // `current`, which is cleared before every next call and before the box drops; so
        // the borrow never outlives what it borrows, and no second borrow exists meanwhile.
        match unsafe { (*inspector).next() } {
            Ok(Some(e)) => {
                // SAFETY: as above: the 'static lifetime is never observed past the next
                // pg_next or pg_close.
                let e: Event<'static> = unsafe { std::mem::transmute::<Event<'_>, _>(e) };
                h.current = Some(e);
                let p = h.current.as_ref().unwrap() as *const Event<'static> as *const pg_event;
                // SAFETY: checked non-null above.
                unsafe { event.write(p) };
                PG_OK
            }
            Ok(None) => PG_END,
            Err(e) => fail_with(e),
        }
    })
}

/// Asks the inspector to stop: its next [`pg_next`] returns `PG_END` (a live capture also
/// stops its probe). Safe from any thread and from a signal handler.
///
/// # Safety
/// `inspector` is null (nothing happens) or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_stop(inspector: *const pg_inspector) {
    // Only atomic stores: no allocation, no lock, no panic.
    // SAFETY: the caller's contract.
    if let Some(h) = unsafe { inspector.as_ref() } {
        h.stop.store(true, Ordering::Relaxed);
        if let Some(s) = &h.live_stop {
            s.store(true, Ordering::Relaxed);
        }
    }
}

/// The event behind a handle.
///
/// # Safety
/// `event` is null or a handle [`pg_next`] gave, still valid.
unsafe fn ev<'a>(event: *const pg_event) -> Option<&'a Event<'static>> {
    // SAFETY: pg_next hands out pointers to an Event<'static> it keeps.
    unsafe { (event as *const Event<'static>).as_ref() }
}

/// The event's number in the source (`evt.num`), from 1; 0 for a null handle.
///
/// # Safety
/// `event` is null or a valid event handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_number(event: *const pg_event) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { ev(event) }.map_or(0, |e| e.number())
}

/// The event's timestamp, in nanoseconds since the epoch; 0 for a null handle.
///
/// # Safety
/// `event` is null or a valid event handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_ts(event: *const pg_event) -> u64 {
    // SAFETY: the caller's contract.
    unsafe { ev(event) }.map_or(0, |e| e.event().ts())
}

/// The CPU the event happened on; 0 for a null handle.
///
/// # Safety
/// `event` is null or a valid event handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_cpu(event: *const pg_event) -> u16 {
    // SAFETY: the caller's contract.
    unsafe { ev(event) }.map_or(0, |e| e.raw().cpu)
}

/// The event's type id (the Falco schema's `PPME_*` number); 0 for a null handle.
///
/// # Safety
/// `event` is null or a valid event handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_type(event: *const pg_event) -> u16 {
    // SAFETY: the caller's contract.
    unsafe { ev(event) }.map_or(0, |e| e.event().event_type())
}

/// The event type's name (`openat`, `execve`, ...), a static string; `""` for a null
/// handle.
///
/// # Safety
/// `event` is null or a valid event handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_name(event: *const pg_event) -> *const c_char {
    static NAMES: std::sync::OnceLock<Vec<CString>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        (0..crate::event::EVENT_MAX)
            .map(|t| {
                let n = crate::event::event_info(t).map_or("", |i| i.name);
                CString::new(n).unwrap_or_default()
            })
            .collect()
    });
    // SAFETY: the caller's contract.
    let ty = unsafe { ev(event) }.map(|e| e.event().event_type());
    ty.and_then(|t| names.get(usize::from(t)))
        .map_or(c"".as_ptr(), |n| n.as_ptr())
}

/// The event's direction: `'>'` for an enter event, `'<'` for an exit; 0 for a null handle.
///
/// # Safety
/// `event` is null or a valid event handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_direction(event: *const pg_event) -> c_char {
    // SAFETY: the caller's contract.
    unsafe { ev(event) }.map_or(0, |e| {
        e.event().direction().symbol().as_bytes()[0] as c_char
    })
}

/// The id of the thread that made the event (`thread.tid`); -1 for a null handle.
///
/// # Safety
/// `event` is null or a valid event handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_tid(event: *const pg_event) -> i64 {
    // SAFETY: the caller's contract.
    unsafe { ev(event) }.map_or(-1, |e| e.event().tid())
}

/// Whether sysdig shows the event without `-D` (not internal, not the container events
/// that open a capture); false for a null handle.
///
/// # Safety
/// `event` is null or a valid event handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_shown_by_default(event: *const pg_event) -> bool {
    // SAFETY: the caller's contract.
    unsafe { ev(event) }.is_some_and(|e| e.is_shown_by_default())
}

/// The event's bytes in the Falco layout (header, parameter lengths, values): `*data` and
/// `*len`, borrowed like the event.
///
/// # Safety
/// `event` is a valid event handle; `data` and `len` point to writable slots.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_event_raw(
    event: *const pg_event,
    data: *mut *const u8,
    len: *mut usize,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let Some(e) = (unsafe { ev(event) }) else {
            return fail(PG_ERR_ARGUMENT, "event is null");
        };
        if data.is_null() || len.is_null() {
            return fail(PG_ERR_ARGUMENT, "data or len is null");
        }
        let b = e.event().as_bytes();
        // SAFETY: both checked non-null.
        unsafe {
            data.write(b.as_ptr());
            len.write(b.len());
        }
        PG_OK
    })
}

// ---------------------------------------------------------------------------------------
// Fields

/// A field (`proc.name`, `evt.arg.fd`, `fd.cip`, ...) compiled once, extracted per event
/// without allocating (after its text buffer has grown to the longest value). Made by
/// [`pg_field_compile`], freed by [`pg_field_free`]; used by one thread at a time.
pub struct pg_field {
    field: Field,
    /// The last value extracted, followed by a NUL when handed out as text.
    text: String,
}

/// Compiles the field `name` (as in `-p`, without `%`).
///
/// # Safety
/// `name` is a NUL-terminated string; `out` points to a handle slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_field_compile(
    name: *const c_char,
    out: *mut *mut pg_field,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let name = tri!(unsafe { arg_str(name, "name") });
        if out.is_null() {
            return fail(PG_ERR_ARGUMENT, "out is null");
        }
        match Field::parse(name) {
            Ok(field) => {
                let h = Box::new(pg_field {
                    field,
                    text: String::new(),
                });
                // SAFETY: checked non-null above.
                done(unsafe { put(out, "out", Box::into_raw(h)) })
            }
            Err(e) => fail_with(e),
        }
    })
}

/// Frees a field. Null is allowed.
///
/// # Safety
/// `field` is null or a handle from [`pg_field_compile`] not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_field_free(field: *mut pg_field) {
    if !field.is_null() {
        // SAFETY: made by Box::into_raw in pg_field_compile, freed once.
        drop(unsafe { Box::from_raw(field) });
    }
}

/// Extracts the field's text for `event` into the field's buffer; whether it applies.
fn extract_text(f: &mut pg_field, e: &Event<'_>) -> bool {
    f.text.clear();
    e.extract(&f.field, &mut f.text)
}

/// The field's value for `event` as text (what `-p` prints): `PG_OK` with `*text` (NUL-
/// terminated) and `*len` (without the NUL) set, or `PG_NO_VALUE` when the field does not
/// apply. The text is valid until this field's next call, the next [`pg_next`] or
/// [`pg_close`].
///
/// # Safety
/// `field` and `event` are valid handles; `text` and `len` point to writable slots (`len`
/// may be null).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_field_text(
    field: *mut pg_field,
    event: *const pg_event,
    text: *mut *const c_char,
    len: *mut usize,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let f = tri!(unsafe { arg_mut(field, "field") });
        // SAFETY: the caller's contract.
        let Some(e) = (unsafe { ev(event) }) else {
            return fail(PG_ERR_ARGUMENT, "event is null");
        };
        if text.is_null() {
            return fail(PG_ERR_ARGUMENT, "text is null");
        }
        if !extract_text(f, e) {
            return PG_NO_VALUE;
        }
        // SAFETY: `text` checked non-null; `len` may be null.
        unsafe { hand_out(&mut f.text, text, len) };
        PG_OK
    })
}

/// The kind of a typed field value.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pg_value_kind {
    /// A signed integer, in `i`.
    PG_VALUE_INT = 0,
    /// An unsigned integer, in `u`.
    PG_VALUE_UINT = 1,
    /// A boolean, in `u` (0 or 1).
    PG_VALUE_BOOL = 2,
    /// An absolute time in nanoseconds since the epoch, or a duration in nanoseconds, in `u`.
    PG_VALUE_TIME = 3,
    /// An IPv4 address, in the first 4 bytes of `addr` (network order).
    PG_VALUE_IPV4 = 4,
    /// An IPv6 address, in `addr` (network order).
    PG_VALUE_IPV6 = 5,
}

/// A field's value as a number, a boolean, a time or an address (see `kind`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pg_value {
    /// Which member holds the value.
    pub kind: pg_value_kind,
    /// `PG_VALUE_INT`.
    pub i: i64,
    /// `PG_VALUE_UINT`, `PG_VALUE_BOOL`, `PG_VALUE_TIME`.
    pub u: u64,
    /// `PG_VALUE_IPV4`, `PG_VALUE_IPV6`.
    pub addr: [u8; 16],
}

/// The field's value for `event` as a typed value: `PG_OK` with `*value` set,
/// `PG_NO_VALUE` when the field does not apply, or `PG_ERR_FIELD` for a field whose values
/// are text (names, paths, flags).
///
/// # Safety
/// `field` and `event` are valid handles; `value` points to a writable `pg_value`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_field_value(
    field: *mut pg_field,
    event: *const pg_event,
    value: *mut pg_value,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let f = tri!(unsafe { arg_mut(field, "field") });
        // SAFETY: the caller's contract.
        let Some(e) = (unsafe { ev(event) }) else {
            return fail(PG_ERR_ARGUMENT, "event is null");
        };
        if value.is_null() {
            return fail(PG_ERR_ARGUMENT, "value is null");
        }
        let mut v = pg_value {
            kind: pg_value_kind::PG_VALUE_INT,
            i: 0,
            u: 0,
            addr: [0; 16],
        };
        let ty = f.field.info().ty;
        if matches!(ty, FieldType::CharBuf | FieldType::ByteBuf) {
            return fail(
                PG_ERR_FIELD,
                format!("{} is text; use pg_field_text", f.field.text()),
            );
        }
        // Integer fields read without rendering text where they can.
        if let Some(n) = f.field.extract_int(e.view()) {
            let Some(n) = n else {
                return PG_NO_VALUE;
            };
            set_number(&mut v, ty, n as i128);
        } else {
            if !extract_text(f, e) {
                return PG_NO_VALUE;
            }
            let t = f.text.as_str();
            let typed = match ty {
                FieldType::Bool => match t {
                    "true" => Some(1),
                    "false" => Some(0),
                    _ => None,
                }
                .map(|b| {
                    v.kind = pg_value_kind::PG_VALUE_BOOL;
                    v.u = b;
                }),
                FieldType::IpAddr | FieldType::IpNet => match t.parse::<std::net::IpAddr>() {
                    Ok(std::net::IpAddr::V4(a)) => {
                        v.kind = pg_value_kind::PG_VALUE_IPV4;
                        v.addr[..4].copy_from_slice(&a.octets());
                        Some(())
                    }
                    Ok(std::net::IpAddr::V6(a)) => {
                        v.kind = pg_value_kind::PG_VALUE_IPV6;
                        v.addr = a.octets();
                        Some(())
                    }
                    Err(_) => None,
                },
                _ => t.parse::<i128>().ok().map(|n| set_number(&mut v, ty, n)),
            };
            if typed.is_none() {
                return fail(
                    PG_ERR_FIELD,
                    format!(
                        "{} has no typed value here ({t:?}); use pg_field_text",
                        f.field.text()
                    ),
                );
            }
        }
        // SAFETY: checked non-null above.
        unsafe { value.write(v) };
        PG_OK
    })
}

fn set_number(v: &mut pg_value, ty: FieldType, n: i128) {
    match ty {
        FieldType::AbsTime | FieldType::RelTime => {
            v.kind = pg_value_kind::PG_VALUE_TIME;
            v.u = n as u64;
        }
        FieldType::Uint32 | FieldType::Uint64 | FieldType::Port if n >= 0 => {
            v.kind = pg_value_kind::PG_VALUE_UINT;
            v.u = n as u64;
        }
        FieldType::Bool => {
            v.kind = pg_value_kind::PG_VALUE_BOOL;
            v.u = u64::from(n != 0);
        }
        _ => {
            v.kind = pg_value_kind::PG_VALUE_INT;
            v.i = n as i64;
        }
    }
}

// ---------------------------------------------------------------------------------------
// State

/// What the state knows of a thread. The strings are borrowed until the next [`pg_next`]
/// or [`pg_close`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pg_thread {
    /// Thread id.
    pub tid: i64,
    /// Process id (the main thread's tid).
    pub pid: i64,
    /// Parent process id.
    pub ppid: i64,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Command name (`proc.name`).
    pub comm: *const c_char,
    /// Executable as started (`proc.exe`).
    pub exe: *const c_char,
    /// Executable's full path (`proc.exepath`).
    pub exepath: *const c_char,
    /// Container id (`container.id`): `host` outside any container.
    pub container_id: *const c_char,
}

/// What the state knows of an fd of a process.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pg_fd {
    /// The fd's type as `fd.typechar` shows it (`f` file, `4` IPv4 socket, `u` unix
    /// socket, `p` pipe, ...).
    pub typechar: c_char,
    /// Its name as `fd.name` shows it (a path, a connection tuple, ...), borrowed until the
    /// next [`pg_next`] or [`pg_close`].
    pub name: *const c_char,
}

/// Keeps a NUL-terminated copy of `b` until the inspector's next event.
fn borrowed(h: &mut pg_inspector, b: &[u8]) -> *const c_char {
    let s = CString::new(b.iter().copied().filter(|&c| c != 0).collect::<Vec<u8>>())
        .unwrap_or_default();
    h.scratch.push(s);
    h.scratch.last().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The thread `tid` as the state knows it now: `PG_OK` with `*out` set, or `PG_NO_VALUE`
/// when the state has no such thread.
///
/// # Safety
/// `inspector` is a live handle; `out` points to a writable `pg_thread`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_thread_get(
    inspector: *mut pg_inspector,
    tid: i64,
    out: *mut pg_thread,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let h = tri!(unsafe { arg_mut(inspector, "inspector") });
        if out.is_null() {
            return fail(PG_ERR_ARGUMENT, "out is null");
        }
        let state = h.inspector.state();
        let Some(t) = state.threads.get(tid) else {
            return PG_NO_VALUE;
        };
        let main = state.threads.main_of_opt(t).unwrap_or(t);
        let (pid, ppid, uid, gid) = (t.pid, main.ptid, t.uid, t.gid);
        let texts = [
            t.comm.clone(),
            t.exe.clone(),
            t.exepath.clone(),
            if t.container_id.is_empty() {
                b"host".to_vec()
            } else {
                t.container_id.as_bytes().to_vec()
            },
        ];
        let [comm, exe, exepath, container_id] = texts.map(|b| borrowed(h, &b));
        let v = pg_thread {
            tid,
            pid,
            ppid,
            uid,
            gid,
            comm,
            exe,
            exepath,
            container_id,
        };
        // SAFETY: checked non-null above.
        unsafe { out.write(v) };
        PG_OK
    })
}

/// The fd `fd` of thread `tid`'s process as the state knows it now: `PG_OK` with `*out`
/// set, or `PG_NO_VALUE` when the state has no such thread or fd.
///
/// # Safety
/// `inspector` is a live handle; `out` points to a writable `pg_fd`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_fd_get(
    inspector: *mut pg_inspector,
    tid: i64,
    fd: i64,
    out: *mut pg_fd,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let h = tri!(unsafe { arg_mut(inspector, "inspector") });
        if out.is_null() {
            return fail(PG_ERR_ARGUMENT, "out is null");
        }
        let Some(f) = h.inspector.state().fd(tid, fd) else {
            return PG_NO_VALUE;
        };
        let (typechar, name) = (f.kind.type_char() as u8 as c_char, f.name.clone());
        let name = borrowed(h, &name);
        // SAFETY: checked non-null above.
        unsafe { out.write(pg_fd { typechar, name }) };
        PG_OK
    })
}

// ---------------------------------------------------------------------------------------
// Live statistics and writing

/// Live capture's counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct pg_stats {
    /// Events the probe produced (delivered or dropped).
    pub produced: u64,
    /// Events read from the rings so far.
    pub delivered: u64,
    /// Events dropped because a ring was full.
    pub dropped_full: u64,
    /// Events dropped because they were larger than the probe's buffer.
    pub dropped_size: u64,
}

/// The live capture's counters; `PG_ERR_UNSUPPORTED` for a capture file.
///
/// # Safety
/// `inspector` is a live handle; `out` points to a writable `pg_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_live_stats(
    inspector: *const pg_inspector,
    out: *mut pg_stats,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let h = tri!(unsafe { arg_ref(inspector, "inspector") });
        match h.inspector.stats() {
            Ok(Some(s)) => {
                let v = pg_stats {
                    produced: s.events,
                    delivered: s.delivered,
                    dropped_full: s.drops_buffer,
                    dropped_size: s.drops_size,
                };
                // SAFETY: `put` checks for null.
                done(unsafe { put(out, "out", v) })
            }
            Ok(None) => fail(PG_ERR_UNSUPPORTED, "a capture file has no live statistics"),
            Err(e) => fail_with(e),
        }
    })
}

/// A capture file being written. Made by [`pg_writer_open`], finished and freed by
/// [`pg_writer_close`].
pub struct pg_writer {
    writer: Option<FileWriter>,
}

/// Starts the capture file `path` (plain scap, as sysdig and Falco read it), with the
/// machine, process, fd, user and interface tables of `inspector`'s source.
///
/// # Safety
/// `inspector` is a live handle; `path` a NUL-terminated string; `out` a handle slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_writer_open(
    inspector: *const pg_inspector,
    path: *const c_char,
    out: *mut *mut pg_writer,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let (h, path) = match unsafe { (arg_ref(inspector, "inspector"), arg_str(path, "path")) } {
            (Ok(h), Ok(p)) => (h, p),
            (Err(s), _) | (_, Err(s)) => return s,
        };
        if out.is_null() {
            return fail(PG_ERR_ARGUMENT, "out is null");
        }
        match FileWriter::create(path, false, h.inspector.metadata()) {
            Ok(w) => {
                let w = Box::new(pg_writer { writer: Some(w) });
                // SAFETY: checked non-null above.
                done(unsafe { put(out, "out", Box::into_raw(w)) })
            }
            Err(e) => fail_with(e),
        }
    })
}

/// Appends `event` to the file.
///
/// # Safety
/// `writer` and `event` are valid handles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_writer_write(
    writer: *mut pg_writer,
    event: *const pg_event,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let w = tri!(unsafe { arg_mut(writer, "writer") });
        // SAFETY: the caller's contract.
        let Some(e) = (unsafe { ev(event) }) else {
            return fail(PG_ERR_ARGUMENT, "event is null");
        };
        let Some(fw) = w.writer.as_mut() else {
            return fail(PG_ERR_ARGUMENT, "writer already failed");
        };
        let raw = e.raw();
        match fw.write_event(raw.cpu, raw.flags, &raw.event) {
            Ok(()) => PG_OK,
            Err(err) => {
                w.writer = None;
                fail_with(err)
            }
        }
    })
}

/// Finishes the file and frees the writer (also when finishing fails). Null is allowed.
///
/// # Safety
/// `writer` is null or a handle from [`pg_writer_open`] not closed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_writer_close(writer: *mut pg_writer) -> pg_status {
    if writer.is_null() {
        return PG_OK;
    }
    // SAFETY: made by Box::into_raw in pg_writer_open, closed once.
    let mut w = unsafe { Box::from_raw(writer) };
    guard(move || match w.writer.take() {
        Some(fw) => match fw.finish() {
            Ok(()) => PG_OK,
            Err(e) => fail_with(e),
        },
        None => PG_OK,
    })
}

// ---------------------------------------------------------------------------------------
// Falco rules

/// A compiled rule set (Falco rules files). Made by [`pg_rules_load`], freed by
/// [`pg_rules_free`]; used by one thread at a time.
pub struct pg_rules {
    rules: crate::rules::Rules,
    /// One per rule, in load order; `pg_rule` handles point into it.
    info: Vec<pg_rule>,
    text: crate::rules::AlertFormat,
    json: crate::rules::AlertFormat,
    line: String,
    pushdown: Option<CString>,
}

/// One rule of a [`pg_rules`], borrowed from it until [`pg_rules_free`].
pub struct pg_rule {
    index: usize,
    name: CString,
    tags: Vec<CString>,
}

/// Loads rules files (a directory gives its files in name order), in order, and compiles
/// them: `PG_OK` with `*out` set, or `PG_ERR_RULES` (or `PG_ERR_IO`) with the first problem
/// in [`pg_last_error`], naming the file, place and item.
///
/// # Safety
/// `paths` points to `count` NUL-terminated strings; `out` points to a handle slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_load(
    paths: *const *const c_char,
    count: usize,
    out: *mut *mut pg_rules,
) -> pg_status {
    guard(|| {
        if paths.is_null() || out.is_null() {
            return fail(PG_ERR_ARGUMENT, "paths or out is null");
        }
        let mut files = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: the caller passes `count` string pointers.
            let p = unsafe { *paths.add(i) };
            // SAFETY: each is a NUL-terminated string (the caller's contract).
            files.push(tri!(unsafe { arg_str(p, "a rules path") }).to_string());
        }
        let rules = match crate::rules::Rules::load(&files) {
            Ok(r) => r,
            Err(e) => return fail_with(e),
        };
        let info = rules
            .rules()
            .iter()
            .enumerate()
            .map(|(index, r)| pg_rule {
                index,
                name: CString::new(r.name().replace('\0', "")).unwrap_or_default(),
                tags: r
                    .tags()
                    .iter()
                    .map(|t| CString::new(t.replace('\0', "")).unwrap_or_default())
                    .collect(),
            })
            .collect();
        let pushdown = rules.pushdown_filter().and_then(|f| CString::new(f).ok());
        let h = Box::new(pg_rules {
            rules,
            info,
            text: crate::rules::AlertFormat::text(),
            json: crate::rules::AlertFormat::json(&crate::rules::hostname()).iso8601(true),
            line: String::new(),
            pushdown,
        });
        // SAFETY: checked non-null above.
        done(unsafe { put(out, "out", Box::into_raw(h)) })
    })
}

/// Frees a rule set; its rule handles and texts end. Null is allowed.
///
/// # Safety
/// `rules` is null or a handle from [`pg_rules_load`] not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_free(rules: *mut pg_rules) {
    if !rules.is_null() {
        // SAFETY: made by Box::into_raw in pg_rules_load, freed once.
        drop(unsafe { Box::from_raw(rules) });
    }
}

/// The number of rules loaded (enabled or not); 0 for a null handle.
///
/// # Safety
/// `rules` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_count(rules: *const pg_rules) -> usize {
    // SAFETY: the caller's contract.
    unsafe { rules.as_ref() }.map_or(0, |r| r.info.len())
}

/// Rule `i` (in load order), or null past the end.
///
/// # Safety
/// `rules` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_get(rules: *const pg_rules, i: usize) -> *const pg_rule {
    // SAFETY: the caller's contract.
    unsafe { rules.as_ref() }
        .and_then(|r| r.info.get(i))
        .map_or(std::ptr::null(), |r| r as *const pg_rule)
}

/// Enables or disables every rule whose name contains `substring`.
///
/// # Safety
/// `rules` is a live handle; `substring` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_enable(
    rules: *mut pg_rules,
    substring: *const c_char,
    enabled: bool,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let r = tri!(unsafe { arg_mut(rules, "rules") });
        // SAFETY: the caller's contract.
        let s = tri!(unsafe { arg_str(substring, "substring") });
        r.rules.enable_matching(s, enabled);
        PG_OK
    })
}

/// Enables or disables every rule that has `tag`.
///
/// # Safety
/// `rules` is a live handle; `tag` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_enable_tag(
    rules: *mut pg_rules,
    tag: *const c_char,
    enabled: bool,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let r = tri!(unsafe { arg_mut(rules, "rules") });
        // SAFETY: the caller's contract.
        let t = tri!(unsafe { arg_str(tag, "tag") });
        r.rules.enable_tagged(&[t], enabled);
        PG_OK
    })
}

/// The filter that keeps the events the enabled rules can fire on (`evt.type in (...)`),
/// for [`pg_options_filter`] of a live source, or null when they need every event. Valid
/// until [`pg_rules_free`]; computed when the rules were loaded.
///
/// # Safety
/// `rules` is null or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_pushdown(rules: *const pg_rules) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { rules.as_ref() }
        .and_then(|r| r.pushdown.as_ref())
        .map_or(std::ptr::null(), |c| c.as_ptr())
}

/// The rule that raises `event`'s alert: the first enabled rule, in load order, whose
/// condition the event satisfies. `PG_OK` with `*rule` set, or with `*rule` null when none
/// does.
///
/// # Safety
/// `rules` and `event` are live handles; `rule` points to a rule-pointer slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_match(
    rules: *mut pg_rules,
    event: *const pg_event,
    rule: *mut *const pg_rule,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let r = tri!(unsafe { arg_mut(rules, "rules") });
        // SAFETY: the caller's contract.
        let Some(e) = (unsafe { ev(event) }) else {
            return fail(PG_ERR_ARGUMENT, "event is null");
        };
        let found = r
            .rules
            .first_match_index(e)
            .map_or(std::ptr::null(), |i| &r.info[i] as *const pg_rule);
        // SAFETY: the caller's contract.
        done(unsafe { put(rule, "rule", found) })
    })
}

/// The rule's name (valid until [`pg_rules_free`]); empty for a null handle.
///
/// # Safety
/// `rule` is null or a handle from a live rule set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rule_name(rule: *const pg_rule) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { rule.as_ref() }.map_or(c"".as_ptr(), |r| r.name.as_ptr())
}

/// The rule's priority: 0 Emergency, 1 Alert, 2 Critical, 3 Error, 4 Warning, 5 Notice,
/// 6 Informational, 7 Debug; -1 for a null handle.
///
/// # Safety
/// `rules` and `rule` are null or live handles, `rule` from `rules`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rule_priority(rules: *const pg_rules, rule: *const pg_rule) -> i32 {
    // SAFETY: the caller's contract.
    let (Some(rs), Some(r)) = (unsafe { rules.as_ref() }, unsafe { rule.as_ref() }) else {
        return -1;
    };
    rs.rules
        .rules()
        .get(r.index)
        .map_or(-1, |x| x.priority() as i32)
}

/// The rule's tag `i` (sorted), or null past the end.
///
/// # Safety
/// `rule` is null or a handle from a live rule set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rule_tag(rule: *const pg_rule, i: usize) -> *const c_char {
    // SAFETY: the caller's contract.
    unsafe { rule.as_ref() }
        .and_then(|r| r.tags.get(i))
        .map_or(std::ptr::null(), |t| t.as_ptr())
}

/// The alert `rule` raises for `event`, as Falco prints it: the text line (`TIME: Priority
/// OUTPUT`, local time) or, with `json`, the JSON object (ISO 8601 times, host name from
/// `FALCO_HOSTNAME` or the machine's). `*text` is NUL-terminated, `*len` its length
/// (`len` may be null); valid until the next call on `rules`.
///
/// # Safety
/// `rules`, `rule` and `event` are live handles (`rule` from `rules`); `text` points to a
/// writable slot.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pg_rules_alert(
    rules: *mut pg_rules,
    rule: *const pg_rule,
    event: *const pg_event,
    json: bool,
    text: *mut *const c_char,
    len: *mut usize,
) -> pg_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let rs = tri!(unsafe { arg_mut(rules, "rules") });
        // SAFETY: the caller's contract.
        let r = tri!(unsafe { arg_ref(rule, "rule") });
        // SAFETY: the caller's contract.
        let Some(e) = (unsafe { ev(event) }) else {
            return fail(PG_ERR_ARGUMENT, "event is null");
        };
        if text.is_null() {
            return fail(PG_ERR_ARGUMENT, "text is null");
        }
        let Some(compiled) = rs.rules.rules().get(r.index) else {
            return fail(PG_ERR_ARGUMENT, "rule is not from these rules");
        };
        let fmt = if json { &mut rs.json } else { &mut rs.text };
        fmt.write(compiled, e, &mut rs.line);
        // SAFETY: `text` checked non-null; `len` may be null.
        unsafe { hand_out(&mut rs.line, text, len) };
        PG_OK
    })
}
