//! Rendering of parameter values as sysdig prints event arguments: a raw string (what
//! `evt.rawarg`-style output shows) and, where the type has one, a resolved string (errno
//! names, flag names, signal names, syscall names), which `evt.arg` prefers.
//!
//! Renderings that need state (fd names, thread names, user names, paths resolved against the
//! cwd) are added by the state layer on top of these.

use std::fmt::Write;

use super::schema::{FlagName, ParamExtra, ParamInfo, ParamType, PrintFormat};
use super::value::{SockAddr, SockTuple, Value};

/// Longest rendered data buffer before it is cut with `...` (sysdig's default snaplen for
/// output).
pub const MAX_BUFFER_OUTPUT: usize = 80;

/// How data buffers (`BYTEBUF` parameters: read and write data, execve arguments, ...) are
/// shown, as sysdig's `-A`, `-b`, `-x` and `-X` choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BufferFormat {
    /// Printable ASCII, anything else as `.`, cut at [`MAX_BUFFER_OUTPUT`] with `...`.
    #[default]
    Normal,
    /// As `Normal`, never cut (JSON output).
    Full,
    /// `-A`: printable ASCII and line ends only, starting on a new line.
    Ascii,
    /// `-b`: base64.
    Base64,
    /// `-x`: hexadecimal, 16 bytes a line.
    Hex,
    /// `-X`: hexadecimal and ASCII side by side.
    HexAscii,
}

/// Appends `b` rendered in `format`.
pub fn push_buffer(out: &mut String, b: &[u8], format: BufferFormat) {
    if b.is_empty() {
        return;
    }
    match format {
        BufferFormat::Normal => push_buffer_dots(out, b, MAX_BUFFER_OUTPUT),
        BufferFormat::Full => push_buffer_dots(out, b, 0),
        BufferFormat::Ascii => push_buffer_ascii(out, b),
        BufferFormat::Base64 => push_base64(out, b),
        BufferFormat::Hex => push_buffer_hex(out, b, false),
        BufferFormat::HexAscii => push_buffer_hex(out, b, true),
    }
}

fn is_print(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

/// A new line, then the printable bytes; `\r` becomes a line end and a `\n` after one is
/// dropped, as is a `\n` in first position.
fn push_buffer_ascii(out: &mut String, b: &[u8]) {
    out.push('\n');
    for (i, &c) in b.iter().enumerate() {
        if is_print(c) {
            out.push(c as char);
        } else if c == b'\r' || (c == b'\n' && i > 0 && b[i - 1] != b'\r') {
            out.push('\n');
        }
    }
}

fn push_base64(out: &mut String, b: &[u8]) {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (u32::from(c) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// Rows of `\n\t0xOFFS:` and up to eight big-endian 16-bit groups (a last odd byte alone),
/// with the bytes as text after them for `ascii`; then a line end.
fn push_buffer_hex(out: &mut String, b: &[u8], ascii: bool) {
    for (row, chunk) in b.chunks(16).enumerate() {
        let _ = write!(out, "\n\t0x{:04x}:", row * 16);
        for pair in chunk.chunks(2) {
            match pair {
                [a, b] => {
                    let _ = write!(out, " {a:02x}{b:02x}");
                }
                [a] => {
                    let _ = write!(out, " {a:02x}");
                }
                _ => {}
            }
        }
        if ascii {
            for _ in chunk.len().div_ceil(2)..8 {
                out.push_str("     ");
            }
            out.push_str("  ");
            out.extend(
                chunk
                    .iter()
                    .map(|&c| if is_print(c) { c as char } else { '.' }),
            );
        }
    }
    out.push('\n');
}

/// Linux errno names by number, as libsinsp names them.
static ERRNO_NAMES: &[(u32, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (3, "ESRCH"),
    (4, "EINTR"),
    (5, "EIO"),
    (6, "ENXIO"),
    (7, "E2BIG"),
    (8, "ENOEXEC"),
    (9, "EBADF"),
    (10, "ECHILD"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (14, "EFAULT"),
    (15, "ENOTBLK"),
    (16, "EBUSY"),
    (17, "EEXIST"),
    (18, "EXDEV"),
    (19, "ENODEV"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (25, "ENOTTY"),
    (26, "ETXTBSY"),
    (27, "EFBIG"),
    (28, "ENOSPC"),
    (29, "ESPIPE"),
    (30, "EROFS"),
    (31, "EMLINK"),
    (32, "EPIPE"),
    (33, "EDOM"),
    (34, "ERANGE"),
    (35, "EDEADLK"),
    (36, "ENAMETOOLONG"),
    (37, "ENOLCK"),
    (38, "ENOSYS"),
    (39, "ENOTEMPTY"),
    (40, "ELOOP"),
    (42, "ENOMSG"),
    (43, "EIDRM"),
    (44, "ECHRNG"),
    (45, "EL2NSYNC"),
    (46, "EL3HLT"),
    (47, "EL3RST"),
    (48, "ELNRNG"),
    (49, "EUNATCH"),
    (50, "ENOCSI"),
    (51, "EL2HLT"),
    (52, "EBADE"),
    (53, "EBADR"),
    (54, "EXFULL"),
    (55, "ENOANO"),
    (56, "EBADRQC"),
    (57, "EBADSLT"),
    (59, "EBFONT"),
    (60, "ENOSTR"),
    (61, "ENODATA"),
    (62, "ETIME"),
    (63, "ENOSR"),
    (64, "ENONET"),
    (65, "ENOPKG"),
    (66, "EREMOTE"),
    (67, "ENOLINK"),
    (68, "EADV"),
    (69, "ESRMNT"),
    (70, "ECOMM"),
    (71, "EPROTO"),
    (72, "EMULTIHOP"),
    (73, "EDOTDOT"),
    (74, "EBADMSG"),
    (75, "EOVERFLOW"),
    (76, "ENOTUNIQ"),
    (77, "EBADFD"),
    (78, "EREMCHG"),
    (79, "ELIBACC"),
    (80, "ELIBBAD"),
    (81, "ELIBSCN"),
    (82, "ELIBMAX"),
    (83, "ELIBEXEC"),
    (84, "EILSEQ"),
    (85, "ERESTART"),
    (86, "ESTRPIPE"),
    (87, "EUSERS"),
    (88, "ENOTSOCK"),
    (89, "EDESTADDRREQ"),
    (90, "EMSGSIZE"),
    (91, "EPROTOTYPE"),
    (92, "ENOPROTOOPT"),
    (93, "EPROTONOSUPPORT"),
    (94, "ESOCKTNOSUPPORT"),
    (95, "EOPNOTSUPP"),
    (96, "EPFNOSUPPORT"),
    (97, "EAFNOSUPPORT"),
    (98, "EADDRINUSE"),
    (99, "EADDRNOTAVAIL"),
    (100, "ENETDOWN"),
    (101, "ENETUNREACH"),
    (102, "ENETRESET"),
    (103, "ECONNABORTED"),
    (104, "ECONNRESET"),
    (105, "ENOBUFS"),
    (106, "EISCONN"),
    (107, "ENOTCONN"),
    (108, "ESHUTDOWN"),
    (109, "ETOOMANYREFS"),
    (110, "ETIMEDOUT"),
    (111, "ECONNREFUSED"),
    (112, "EHOSTDOWN"),
    (113, "EHOSTUNREACH"),
    (114, "EALREADY"),
    (115, "EINPROGRESS"),
    (116, "ESTALE"),
    (117, "EUCLEAN"),
    (118, "ENOTNAM"),
    (119, "ENAVAIL"),
    (120, "EISNAM"),
    (121, "EREMOTEIO"),
    (122, "EDQUOT"),
    (123, "ENOMEDIUM"),
    (124, "EMEDIUMTYPE"),
    (125, "ECANCELED"),
    (512, "ERESTARTSYS"),
    (513, "ERESTARTNOINTR"),
    (514, "ERESTARTNOHAND"),
    (515, "ENOIOCTLCMD"),
    (516, "ERESTART_RESTARTBLOCK"),
    (521, "EBADHANDLE"),
    (522, "ENOTSYNC"),
    (523, "EBADCOOKIE"),
    (524, "ENOTSUPP"),
    (525, "ETOOSMALL"),
    (526, "ESERVERFAULT"),
    (527, "EBADTYPE"),
    (528, "EJUKEBOX"),
    (529, "EIOCBQUEUED"),
    (530, "EIOCBRETRY"),
];

/// Signal names by number.
static SIGNAL_NAMES: &[(u8, &str)] = &[
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGSTKFLT"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGURG"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGIO"),
    (30, "SIGPWR"),
    (31, "SIGSYS"),
];

/// The name of errno `code` (positive), e.g. `ENOENT` for 2.
pub fn errno_name(code: u32) -> Option<&'static str> {
    ERRNO_NAMES
        .binary_search_by_key(&code, |e| e.0)
        .ok()
        .map(|i| ERRNO_NAMES[i].1)
}

/// The name of signal `sig`, e.g. `SIGKILL` for 9.
pub fn signal_name(sig: u8) -> Option<&'static str> {
    SIGNAL_NAMES
        .binary_search_by_key(&sig, |e| e.0)
        .ok()
        .map(|i| SIGNAL_NAMES[i].1)
}

/// Keeps printable ASCII only, as libsinsp sanitizes strings.
pub fn push_sanitized(out: &mut String, b: &[u8]) {
    // The common case first, in one branch-free pass the compiler vectorizes: all of it
    // printable ASCII (so no NUL either), valid UTF-8 as it is.
    if b.iter()
        .fold(true, |all, &c| all & (c.wrapping_sub(0x20) < 0x5f))
    {
        out.push_str(std::str::from_utf8(b).unwrap_or_default());
        return;
    }
    let b = super::value::until_nul(b);
    if b.iter().all(|c| (0x20..0x7f).contains(c)) {
        out.push_str(std::str::from_utf8(b).unwrap_or_default());
        return;
    }
    out.extend(
        b.iter()
            .filter(|c| (0x20..0x7f).contains(*c))
            .map(|&c| c as char),
    );
}

/// Appends a signed or unsigned integer in decimal.
fn push_any<N: Into<i128>>(out: &mut String, n: N) {
    let n: i128 = n.into();
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs() as u64);
}

/// "00" to "99", two bytes each.
const DIGIT_PAIRS: &str = concat!(
    "00010203040506070809",
    "10111213141516171819",
    "20212223242526272829",
    "30313233343536373839",
    "40414243444546474849",
    "50515253545556575859",
    "60616263646566676869",
    "70717273747576777879",
    "80818283848586878889",
    "90919293949596979899",
);

/// Appends `n` in decimal (faster than the formatting machinery on hot paths): two digits
/// per division, appended from a table of pairs without any check of the text.
/// `v` as C's `%g` prints it: six significant digits, trailing zeros dropped, and the
/// exponent form (`1e-05`, `1.5e+10`) when the exponent is below -4 or at least 6.
pub fn push_c_g(out: &mut String, v: f64) {
    const PRECISION: i32 = 6;
    if !v.is_finite() {
        out.push_str(if v.is_nan() {
            "nan"
        } else if v > 0.0 {
            "inf"
        } else {
            "-inf"
        });
        return;
    }
    // The exponent after rounding to six significant digits, as `%e` finds it.
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..PRECISION).contains(&exp) {
        let fixed = format!("{:.*}", (PRECISION - 1 - exp) as usize, v);
        out.push_str(trim_fraction(&fixed));
    } else {
        out.push_str(trim_fraction(mantissa));
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// A decimal number without the trailing zeros of its fraction (nor a bare point).
fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Appends `n` in decimal, without allocating.
pub fn push_u64(out: &mut String, mut n: u64) {
    // The pairs of digits after the leading one or two, last first.
    let mut pairs = [0u8; 10];
    let mut k = 0;
    while n >= 100 {
        pairs[k] = (n % 100) as u8;
        n /= 100;
        k += 1;
    }
    out.reserve(2 * k + 2);
    if n >= 10 {
        let d = n as usize * 2;
        out.push_str(&DIGIT_PAIRS[d..d + 2]);
    } else {
        out.push(char::from(b'0' + n as u8));
    }
    for &p in pairs[..k].iter().rev() {
        let d = p as usize * 2;
        out.push_str(&DIGIT_PAIRS[d..d + 2]);
    }
}

/// Appends `n` in decimal, with a `-` when negative.
pub fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Printable ASCII as is, anything else as `.`, cut at `max` bytes with `...`.
pub fn push_buffer_dots(out: &mut String, b: &[u8], max: usize) {
    let start = out.len();
    out.extend(b.iter().map(|&c| {
        if (0x20..0x7f).contains(&c) {
            c as char
        } else {
            '.'
        }
    }));
    if max > 0 && out.len() - start > max {
        out.truncate(start + max);
        if max > 3 {
            out.truncate(start + max - 3);
            out.push_str("...");
        }
    }
}

fn push_number(out: &mut String, v: Value<'_>, format: PrintFormat) {
    let _ = match (v, format) {
        // C's `%#o`: a leading 0 unless the value is 0.
        (Value::Signed(0) | Value::Unsigned(0), PrintFormat::Oct) => write!(out, "0"),
        (Value::Signed(n), PrintFormat::Oct) => write!(out, "0{:o}", n),
        (Value::Unsigned(n), PrintFormat::Oct) => write!(out, "0{:o}", n),
        (Value::Signed(n), PrintFormat::Hex) => write!(out, "{:X}", n),
        (Value::Unsigned(n), PrintFormat::Hex) => write!(out, "{:X}", n),
        (Value::Signed(n), PrintFormat::PaddedDec) => write!(out, "{:09}", n),
        (Value::Unsigned(n), PrintFormat::PaddedDec) => write!(out, "{:09}", n),
        (Value::Signed(n), _) => {
            push_i64(out, n);
            Ok(())
        }
        (Value::Unsigned(n), _) => {
            push_u64(out, n);
            Ok(())
        }
        _ => Ok(()),
    };
}

/// Flag names set in `val`: each table name whose bits are all still set, in table order,
/// clearing them as it goes; a zero-valued name only for 0; an exact match ends the walk.
pub fn push_flag_names(out: &mut String, table: &[FlagName], val: u32) {
    let initial = val;
    let mut rest = val;
    let mut sep = "";
    for f in table {
        if f.value == initial {
            out.push_str(sep);
            out.push_str(f.name);
            return;
        }
        if (f.value == 0 && initial == 0)
            || (f.value != 0 && rest & f.value == f.value && rest != 0)
        {
            out.push_str(sep);
            out.push_str(f.name);
            sep = "|";
            rest &= !f.value;
        }
    }
}

/// Every table name equal to `val`, joined by `|` (enum flags).
pub fn push_enum_names(out: &mut String, table: &[FlagName], val: u32) {
    let mut sep = "";
    for f in table.iter().filter(|f| f.value == val) {
        out.push_str(sep);
        out.push_str(f.name);
        sep = "|";
    }
}

/// `a.b.c.d`.
pub fn push_ipv4(out: &mut String, a: [u8; 4]) {
    // Digit by digit: socket names are made for many events, and `write!` costs more than
    // the rest of the name.
    for (i, &o) in a.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if o >= 100 {
            out.push(char::from(b'0' + o / 100));
        }
        if o >= 10 {
            out.push(char::from(b'0' + o / 10 % 10));
        }
        out.push(char::from(b'0' + o % 10));
    }
}

/// An IPv6 address as glibc's `inet_ntop` writes it: lowercase hex groups, the longest run
/// of two or more zero groups (the first, on a tie) as `::`, and an embedded IPv4 address in
/// dotted form for `::a.b.c.d` and `::ffff:a.b.c.d`.
pub fn push_ipv6(out: &mut String, a: [u8; 16]) {
    let words: [u16; 8] = std::array::from_fn(|i| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]));
    // Longest run of zero words.
    let (mut best, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if words[i] == 0 {
            let start = i;
            while i < 8 && words[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best, best_len) = (start, i - start);
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if i == best {
            out.push(':');
            i += best_len;
            if i == 8 {
                out.push(':');
            }
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        let embedded_v4 =
            i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff));
        if embedded_v4 {
            push_ipv4(out, [a[12], a[13], a[14], a[15]]);
            return;
        }
        let _ = write!(out, "{:x}", words[i]);
        i += 1;
    }
}

/// The IPv4 address inside an IPv6 one that libsinsp takes for IPv4: `::ffff:a.b.c.d`, and
/// also any address whose first 80 bits and bits 80..128 are zero (`::`).
fn ipv4_mapped(a: &[u8; 16]) -> Option<[u8; 4]> {
    let v4 = a[..10].iter().all(|&b| b == 0)
        && ((a[10] == 0xff && a[11] == 0xff) || a[10..].iter().all(|&b| b == 0));
    v4.then(|| [a[12], a[13], a[14], a[15]])
}

/// Renders one decoded parameter. `raw` receives the plain value, `resolved` its symbolic
/// form where the type has one (left empty otherwise).
pub fn render(info: &ParamInfo, value: Value<'_>, raw: &mut String, resolved: &mut String) {
    render_with(info, value, BufferFormat::Normal, raw, resolved)
}

/// [`render`], with data buffers shown in `buffers`.
pub fn render_with(
    info: &ParamInfo,
    value: Value<'_>,
    buffers: BufferFormat,
    raw: &mut String,
    resolved: &mut String,
) {
    let (value, ty, format) = match value {
        Value::Dyn { alt, bytes, .. } => match Value::decode(alt.ty, ParamExtra::None, bytes) {
            Ok(v) => (v, alt.ty, info.format),
            Err(_) => {
                raw.push_str("INVALID DYNAMIC PARAMETER");
                return;
            }
        },
        v => (v, info.ty, info.format),
    };
    use ParamType as T;
    match (ty, value) {
        (T::SockAddr, Value::Empty) | (T::SockTuple, Value::Empty) => raw.push_str("NULL"),
        (_, Value::Empty) => {}
        (T::Errno, Value::Signed(n)) => {
            push_any(raw, n);
            if n < 0
                && let Some(name) = errno_name(n.unsigned_abs() as u32)
            {
                resolved.push_str(name);
            }
        }
        (T::Fd | T::Fd32 | T::Pid | T::Pid32, Value::Signed(n)) => {
            push_any(raw, n);
        }
        (T::Flags8 | T::Flags16 | T::Flags32, Value::Unsigned(n)) => {
            push_any(raw, n);
            if let ParamExtra::Flags(table) = info.extra {
                push_flag_names(resolved, table, n as u32);
            }
        }
        (T::EnumFlags8 | T::EnumFlags16 | T::EnumFlags32, Value::Unsigned(n)) => {
            push_any(raw, n);
            if let ParamExtra::Flags(table) = info.extra {
                push_enum_names(resolved, table, n as u32);
            }
        }
        (T::Mode, Value::Unsigned(n)) => {
            push_number(raw, value, format);
            if let ParamExtra::Flags(table) = info.extra {
                push_flag_names(resolved, table, n as u32);
            }
        }
        (T::Uid | T::Gid, Value::Unsigned(n)) => {
            if n == u32::MAX as u64 {
                raw.push_str("-1");
                resolved.push_str("<NONE>");
            } else {
                push_any(raw, n);
            }
        }
        (T::SyscallId, Value::Unsigned(n)) => {
            push_any(raw, n);
            match super::schema::ppm_sc_name(n as u16) {
                Some(name) if n != 0 => resolved.push_str(name),
                _ => resolved.push_str("<unknown>"),
            }
        }
        (T::SigType, Value::Unsigned(n)) => {
            push_any(raw, n);
            if let Some(name) = signal_name(n as u8) {
                resolved.push_str(name);
            }
        }
        (T::RelTime, Value::Unsigned(n)) => {
            if n == u64::MAX {
                raw.push_str("none");
            } else {
                push_any(raw, n);
                push_c_g(resolved, n as f64 / 1e9);
                resolved.push('s');
            }
        }
        (T::SigSet, Value::Unsigned(n)) => {
            let mut sep = "";
            for sig in 0..32u8 {
                if n & (1 << sig) != 0
                    && let Some(name) = signal_name(sig + 1)
                {
                    raw.push_str(sep);
                    raw.push_str(name);
                    sep = " ";
                }
            }
        }
        // libsinsp prints unsigned 32- and 64-bit values with a signed conversion unless
        // they are shown in octal or hex: u64::MAX shows as -1.
        (T::Uint32, Value::Unsigned(n))
            if !matches!(format, PrintFormat::Oct | PrintFormat::Hex) =>
        {
            push_number(raw, Value::Signed(i64::from(n as u32 as i32)), format)
        }
        (T::Uint64, Value::Unsigned(n))
            if !matches!(format, PrintFormat::Oct | PrintFormat::Hex) =>
        {
            push_number(raw, Value::Signed(n as i64), format)
        }
        (_, Value::Signed(_) | Value::Unsigned(_)) => push_number(raw, value, format),
        (_, Value::Double(d)) => {
            let _ = write!(raw, "{d}");
        }
        (_, Value::Str(s)) => push_sanitized(raw, s),
        (_, Value::Bytes(b)) => push_buffer(raw, b, buffers),
        (_, Value::StrList(b)) => {
            let list = b.strip_suffix(&[0]).unwrap_or(b);
            let sep = if ty == T::CharBufPairArray { ',' } else { '.' };
            for (i, s) in list.split(|&c| c == 0).enumerate() {
                if i > 0 {
                    raw.push(sep);
                }
                push_sanitized(raw, s);
            }
        }
        (_, Value::SockAddr(a)) => match a {
            SockAddr::Ipv4 { addr, port } => {
                push_ipv4(raw, addr);
                let _ = write!(raw, ":{port}");
            }
            SockAddr::Ipv6 { addr, port } => {
                push_ipv6(raw, addr);
                let _ = write!(raw, ":{port}");
            }
            SockAddr::Unix { path } => push_sanitized(raw, path),
            SockAddr::Other { family, .. } => {
                let _ = write!(raw, "family {family}");
            }
        },
        (_, Value::SockTuple(t)) => match t {
            SockTuple::Ipv4 {
                sip,
                sport,
                dip,
                dport,
            } => {
                push_ipv4(raw, sip);
                let _ = write!(raw, ":{sport}->");
                push_ipv4(raw, dip);
                let _ = write!(raw, ":{dport}");
            }
            SockTuple::Ipv6 {
                sip,
                sport,
                dip,
                dport,
            } => {
                if let (Some(s), Some(d)) = (ipv4_mapped(&sip), ipv4_mapped(&dip)) {
                    push_ipv4(raw, s);
                    let _ = write!(raw, ":{sport}->");
                    push_ipv4(raw, d);
                    let _ = write!(raw, ":{dport}");
                } else {
                    push_ipv6(raw, sip);
                    let _ = write!(raw, ":{sport}->");
                    push_ipv6(raw, dip);
                    let _ = write!(raw, ":{dport}");
                }
            }
            SockTuple::Unix { source, dest, path } => {
                let _ = write!(raw, "{source:x}->{dest:x} ");
                push_sanitized(raw, path);
            }
            SockTuple::Other { family, .. } => {
                let _ = write!(raw, "family {family}");
            }
        },
        (_, Value::FdList(l)) => {
            for (i, (fd, flags)) in l.iter().enumerate() {
                if i > 0 {
                    raw.push(' ');
                }
                let _ = write!(raw, "{fd}:?{:x}", flags as i16 as i32 as u32);
            }
        }
        (_, Value::Ipv4(a)) => push_ipv4(raw, a),
        (_, Value::Ipv6(a)) => push_ipv6(raw, a),
        (_, Value::Ipv4Net(a, m)) => {
            push_ipv4(raw, a);
            raw.push('/');
            push_ipv4(raw, m);
        }
        (_, Value::Ipv6Net(a, m)) => {
            push_ipv6(raw, a);
            raw.push('/');
            push_ipv6(raw, m);
        }
        (_, Value::Dyn { .. }) => raw.push_str("INVALID DYNAMIC PARAMETER"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::schema::flag_table;

    fn flags(table: &str, v: u32) -> String {
        let mut s = String::new();
        push_flag_names(&mut s, flag_table(table).unwrap(), v);
        s
    }

    #[test]
    fn relative_times_print_six_significant_digits_as_c_g_does() {
        let g = |v: f64| {
            let mut s = String::new();
            push_c_g(&mut s, v);
            s
        };
        // Timeouts of a real capture, as sysdig prints them.
        assert_eq!(g(24.999966), "25");
        assert_eq!(g(89.999944), "89.9999");
        assert_eq!(g(9.998632), "9.99863");
        assert_eq!(g(0.0), "0");
        assert_eq!(g(0.5), "0.5");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(0.000012345678), "1.23457e-05");
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(999999.5), "1e+06");
        assert_eq!(g(1234567.0), "1.23457e+06");
        assert_eq!(g(18446744073.709553), "1.84467e+10");
        assert_eq!(g(-2.5), "-2.5");

        let info = ParamInfo {
            name: "timeout",
            ty: ParamType::RelTime,
            format: PrintFormat::Dec,
            extra: ParamExtra::None,
        };
        let (mut raw, mut resolved) = (String::new(), String::new());
        render(
            &info,
            Value::Unsigned(89_999_944_000),
            &mut raw,
            &mut resolved,
        );
        assert_eq!(
            (raw.as_str(), resolved.as_str()),
            ("89999944000", "89.9999s")
        );
    }

    #[test]
    fn digit_pairs_are_00_to_99() {
        let want: String = (0..100).map(|i| format!("{i:02}")).collect();
        assert_eq!(DIGIT_PAIRS, want);
    }

    #[test]
    fn decimal_integers_render_as_the_formatter_renders_them() {
        let mut edges = vec![0, u64::MAX, u64::MAX - 1, i64::MAX as u64 + 1];
        for p in 0..20 {
            let t = 10u64.pow(p);
            edges.extend([t - 1, t, t + 1, 2 * t, 99 * (t / 10).max(1)]);
        }
        for n in edges {
            let mut s = String::from("x");
            push_u64(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
        for n in [0, -1, 9, -10, 99, -100, i64::MIN, i64::MAX] {
            let mut s = String::new();
            push_i64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn any_u64_renders_as_the_formatter_renders_it(n: u64) {
            let mut s = String::new();
            push_u64(&mut s, n);
            proptest::prop_assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn ipv4_addresses_render_as_dotted_decimal() {
        for a in [
            [0, 0, 0, 0],
            [127, 0, 0, 1],
            [9, 10, 99, 100],
            [255, 254, 200, 109],
        ] {
            let mut s = String::new();
            push_ipv4(&mut s, a);
            assert_eq!(s, std::net::Ipv4Addr::from(a).to_string());
        }
    }

    #[test]
    fn open_flags_render_as_sysdig_does() {
        // O_RDWR (3) wins over O_WRONLY|O_RDONLY because it comes first in the table.
        assert_eq!(flags("file_flags", 3), "O_RDWR");
        assert_eq!(flags("file_flags", 1 | (1 << 12)), "O_RDONLY|O_CLOEXEC");
        assert_eq!(flags("access_flags", 0), "F_OK");
    }

    #[test]
    fn ipv6_addresses_print_as_inet_ntop_does() {
        let v6 = |s: &str| {
            let mut out = String::new();
            push_ipv6(&mut out, s.parse::<std::net::Ipv6Addr>().unwrap().octets());
            out
        };
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("2001:db8::3"), "2001:db8::3");
        assert_eq!(v6("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
        assert_eq!(v6("::10.0.0.1"), "::10.0.0.1");
        assert_eq!(v6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
        assert_eq!(v6("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
        assert_eq!(v6("fe80::1:0:0"), "fe80::1:0:0");
    }

    #[test]
    fn errno_and_signal_names() {
        assert_eq!(errno_name(2), Some("ENOENT"));
        assert_eq!(errno_name(115), Some("EINPROGRESS"));
        assert_eq!(errno_name(100_000), None);
        assert_eq!(signal_name(9), Some("SIGKILL"));
    }

    #[test]
    fn buffers_show_printable_ascii_and_are_cut_at_the_limit() {
        let mut s = String::new();
        push_buffer_dots(&mut s, b"GET /\r\n\x00", 80);
        assert_eq!(s, "GET /...");
        let mut s = String::new();
        push_buffer_dots(&mut s, &[b'a'; 100], 80);
        assert_eq!(s.len(), 80);
        assert!(s.ends_with("a..."));
    }

    fn buffer(b: &[u8], f: BufferFormat) -> String {
        let mut s = String::new();
        push_buffer(&mut s, b, f);
        s
    }

    #[test]
    fn buffer_formats_match_sysdig() {
        let data = b"\x7fELF\x02\x01\r\nab\ncd\x00efghijklmnopq";
        assert_eq!(
            buffer(data, BufferFormat::Full),
            ".ELF....ab.cd.efghijklmnopq"
        );
        assert_eq!(
            buffer(data, BufferFormat::Ascii),
            "\nELF\nab\ncdefghijklmnopq"
        );
        assert_eq!(buffer(b"\nx", BufferFormat::Ascii), "\nx");
        assert_eq!(buffer(b"", BufferFormat::Base64), "");
        assert_eq!(buffer(b"f", BufferFormat::Base64), "Zg==");
        assert_eq!(buffer(b"fo", BufferFormat::Base64), "Zm8=");
        assert_eq!(buffer(b"foobar", BufferFormat::Base64), "Zm9vYmFy");
        assert_eq!(
            buffer(&data[..19], BufferFormat::Hex),
            "\n\t0x0000: 7f45 4c46 0201 0d0a 6162 0a63 6400 6566\n\t0x0010: 6768 69\n"
        );
        assert_eq!(
            buffer(&data[..19], BufferFormat::HexAscii),
            "\n\t0x0000: 7f45 4c46 0201 0d0a 6162 0a63 6400 6566  .ELF....ab.cd.ef\
             \n\t0x0010: 6768 69                                ghi\n"
        );
        for f in [
            BufferFormat::Ascii,
            BufferFormat::Hex,
            BufferFormat::HexAscii,
        ] {
            assert_eq!(buffer(b"", f), "");
        }
    }
}
