//! Local-time rendering of event timestamps (`evt.time`, `evt.datetime`), as sysdig prints
//! them: the local time zone of the process, nanoseconds always shown.

use std::cell::Cell;
use std::fmt::Write;

/// Broken-down local time of one second: year, month, day, hour, minute, second.
type Civil = (i32, i32, i32, i32, i32, i32);

thread_local! {
    /// Events come in time order, so the last second converted is nearly always the next.
    static LAST: Cell<Option<(i64, Civil)>> = const { Cell::new(None) };
}

fn local(secs: i64) -> Civil {
    if let Some((s, c)) = LAST.with(Cell::get)
        && s == secs
    {
        return c;
    }
    let t: libc::time_t = secs as libc::time_t;
    // SAFETY: `tm` is a plain C struct for which all-zero bytes are a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call; localtime_r is the
    // thread-safe variant and writes only into `tm`.
    let ok = !unsafe { libc::localtime_r(&t, &mut tm) }.is_null();
    let c = if ok {
        (
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec,
        )
    } else {
        (1970, 1, 1, 0, 0, 0)
    };
    LAST.with(|l| l.set(Some((secs, c))));
    c
}

/// Appends `HH:MM:SS.nnnnnnnnn`, preceded by `YYYY-MM-DD ` when `with_date`.
pub fn push_time(out: &mut String, ts: u64, with_date: bool) {
    let secs = (ts / 1_000_000_000) as i64;
    let nanos = ts % 1_000_000_000;
    let (y, mo, d, h, mi, s) = local(secs);
    if with_date {
        let _ = write!(out, "{y:04}-{mo:02}-{d:02} ");
    }
    let _ = write!(out, "{h:02}:{mi:02}:{s:02}.{nanos:09}");
}
