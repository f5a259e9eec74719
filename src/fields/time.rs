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
    // HH:MM:SS.nnnnnnnnn, written digit by digit: this is on every default line.
    let mut b = *b"00:00:00.000000000";
    let two = |b: &mut [u8], v: i32| {
        b[0] = b'0' + (v / 10 % 10) as u8;
        b[1] = b'0' + (v % 10) as u8;
    };
    two(&mut b[0..2], h);
    two(&mut b[3..5], mi);
    two(&mut b[6..8], s);
    let mut n = nanos;
    for i in (9..18).rev() {
        b[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

/// Appends `HH:MM:SS`, preceded by `YYYY-MM-DD ` when `with_date` (no nanoseconds).
pub fn push_time_s(out: &mut String, ts: u64, with_date: bool) {
    let secs = (ts / 1_000_000_000) as i64;
    let (y, mo, d, h, mi, s) = local(secs);
    if with_date {
        let _ = write!(out, "{y:04}-{mo:02}-{d:02} ");
    }
    let _ = write!(out, "{h:02}:{mi:02}:{s:02}");
}

/// Appends the UTC time in ISO 8601 form: `2016-08-04T16:17:57.881730713+0000`.
pub fn push_iso8601(out: &mut String, ts: u64) {
    let secs = (ts / 1_000_000_000) as i64;
    let nanos = ts % 1_000_000_000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}+0000",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    );
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
