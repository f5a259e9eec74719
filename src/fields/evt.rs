//! `evt.*` and `syscall.type`: what the event is, when, with which arguments and result.

use std::fmt::Write;

use super::{EventView, Field, Kind as K, Sel, args, time};
use crate::event::{Category, Direction, EventFlags, Value, render};
use crate::parse::event_flags;
use crate::state::FdKind;

/// `EC_*` values of the enumerated part of a category.
mod ec {
    pub const MEMORY: u32 = 5;
    pub const IO_BASE: u32 = 32;
    pub const IO_READ: u32 = 32;
    pub const IO_WRITE: u32 = 33;
}

/// The old-style category value of an event (no `EC_SYSCALL`/`EC_TRACEPOINT` bits): the
/// syscall table's for generic events.
pub(super) fn category_value(v: &EventView<'_>) -> u32 {
    let e = &v.raw.event;
    if e.event_type() <= 1 {
        let id = match e.param(0).map(|p| p.value()) {
            Some(Ok(Value::Unsigned(id))) => id as usize,
            _ => 0,
        };
        return super::sc_category::SC_CATEGORY
            .get(id)
            .copied()
            .unwrap_or(1)
            .into();
    }
    let c = e
        .info()
        .map_or(Category::empty(), |i| i.category)
        .difference(
            Category::SYSCALL | Category::TRACEPOINT | Category::PLUGIN | Category::METAEVENT,
        );
    c.bits()
}

fn push_u64(out: &mut String, n: u64) {
    crate::event::render::push_u64(out, n);
}

fn push_padded(out: &mut String, n: u64) {
    let start = out.len();
    crate::event::render::push_u64(out, n);
    let digits = out.len() - start;
    if digits < 9 {
        out.insert_str(start, &"000000000"[digits..]);
    }
}

fn push_bool(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

/// `res` of the event, or for fd-creating exits without one, their `fd`.
fn result<'a>(v: &EventView<'a>) -> Option<(i64, crate::event::Param<'a>)> {
    let e = &v.raw.event;
    let p = match e.param_by_name("res") {
        Some(p) => p,
        None => {
            let flags = event_flags(e.event_type());
            if !(flags.contains(EventFlags::CREATES_FD) && e.direction() == Direction::Exit) {
                return None;
            }
            e.param_by_name("fd")?
        }
    };
    let n = p.value().ok()?.as_i64()?;
    Some((n, p))
}

/// sinsp's human form of a duration (`3.12us`, `16ms`, `1.10s`, `2:05`).
fn push_human(out: &mut String, ns: u64) {
    const S: u64 = 1_000_000_000;
    let _ = if ns >= 3600 * S {
        let s = ns / S;
        write!(out, "{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else if ns >= 60 * S {
        let s = ns / S;
        write!(out, "{}:{}", s / 60, s % 60)
    } else if ns >= S {
        write!(out, "{}.{:02}s", ns / S, (ns % S) / 10_000_000)
    } else if ns >= 10_000_000 {
        write!(out, "{}ms", ns / 1_000_000)
    } else if ns >= 1_000_000 {
        write!(out, "{}.{:02}ms", ns / 1_000_000, (ns % 1_000_000) / 10_000)
    } else if ns >= 10_000 {
        write!(out, "{}us", ns / 1000)
    } else if ns >= 1000 {
        write!(out, "{}.{:02}us", ns / 1000, (ns % 1000) / 10)
    } else {
        write!(out, "{ns}ns")
    };
}

/// The latency of the event's thread, `None` for internal events.
fn latency(v: &EventView<'_>) -> Option<u64> {
    if v.raw
        .event
        .info()
        .is_some_and(|i| i.category.contains(Category::INTERNAL))
    {
        return None;
    }
    Some(if v.ctx.tinfo {
        v.thread().map_or(0, |t| t.latency)
    } else {
        0
    })
}

/// The error count fields: 1 when the call failed.
fn error_count(v: &EventView<'_>, out: &mut String) -> bool {
    match result(v) {
        Some((n, _)) if n < 0 => {
            out.push('1');
            true
        }
        _ => false,
    }
}

/// `evt.buflen*`: the byte count of a successful transfer on a known fd.
fn buflen(v: &EventView<'_>, out: &mut String, cat_ok: bool, kind_ok: fn(FdKind) -> bool) -> bool {
    let e = &v.raw.event;
    let Some((_, f)) = v.fd() else {
        return false;
    };
    if !cat_ok || !kind_ok(f.kind) || e.direction() != Direction::Exit {
        return false;
    }
    match e.param(0).and_then(|p| p.value().ok()?.as_i64()) {
        Some(n) if n >= 0 => {
            push_u64(out, n as u64);
            true
        }
        _ => false,
    }
}

fn is_file(k: FdKind) -> bool {
    k == FdKind::File
}

fn is_net(k: FdKind) -> bool {
    k.is_ip()
}

fn any(_: FdKind) -> bool {
    true
}

/// `evt.is_open_*`: the open flags (and for exec, the mode) of open-family events.
fn open_check(v: &EventView<'_>, kind: K) -> bool {
    use crate::parse::ids::*;
    const O_RDONLY: u32 = 1;
    const O_WRONLY: u32 = 2;
    const O_CREAT: u32 = 1 << 2;
    const O_TMPFILE: u32 = 1 << 16;
    const EXEC_BITS: u32 = 0o111;
    let e = &v.raw.event;
    let ty = e.event_type();
    let u32_at = |i: usize| match e.param(i).map(|p| p.value()) {
        Some(Ok(Value::Unsigned(n))) => Some(n as u32),
        _ => None,
    };
    if matches!(ty, OPEN_X | OPENAT_E | OPENAT_2_X | OPENAT2_X) {
        let newer = matches!(ty, OPENAT_2_X | OPENAT2_X);
        let flags = u32_at(if newer { 3 } else { 2 }).unwrap_or(0);
        match kind {
            K::IsOpenRead => flags & O_RDONLY != 0,
            K::IsOpenWrite => flags & O_WRONLY != 0,
            _ => {
                flags & (O_TMPFILE | O_CREAT) != 0
                    && u32_at(if newer { 4 } else { 3 }).unwrap_or(0) & EXEC_BITS != 0
            }
        }
    } else if kind == K::IsOpenExec && ty == CREAT_X {
        u32_at(2).unwrap_or(0) & EXEC_BITS != 0
    } else {
        false
    }
}

pub(super) fn extract(field: &Field, kind: K, v: &EventView<'_>, out: &mut String) -> bool {
    let e = &v.raw.event;
    let ts = e.ts();
    let flags = || event_flags(e.event_type());
    match kind {
        K::Num => push_u64(out, v.num),
        K::Time | K::OutputTime => time::push_time(out, ts, false),
        K::TimeS => time::push_time_s(out, ts, false),
        K::TimeIso8601 => time::push_iso8601(out, ts),
        K::DateTime => time::push_time(out, ts, true),
        K::DateTimeS => time::push_time_s(out, ts, true),
        K::RawTime => push_u64(out, ts),
        K::RawTimeS => push_u64(out, ts / 1_000_000_000),
        K::RawTimeNs => push_padded(out, ts % 1_000_000_000),
        K::RelTime => push_padded(out, ts.wrapping_sub(v.ctx.first_ts)),
        K::RelTimeS => push_u64(out, ts.wrapping_sub(v.ctx.first_ts) / 1_000_000_000),
        K::RelTimeNs => push_padded(out, ts.wrapping_sub(v.ctx.first_ts) % 1_000_000_000),
        K::PluginName | K::PluginInfo | K::Around | K::TypeIs => return false,
        K::Latency => match latency(v) {
            Some(l) => push_u64(out, l),
            None => return false,
        },
        K::LatencyS => match latency(v) {
            Some(l) => push_u64(out, l / 1_000_000_000),
            None => return false,
        },
        K::LatencyNs => match latency(v) {
            Some(l) => push_padded(out, l % 1_000_000_000),
            None => return false,
        },
        K::LatencyQuantized => match latency(v) {
            Some(l) if l != 0 && v.ctx.tinfo => out.push('1'),
            _ => return false,
        },
        K::LatencyHuman => {
            if v.raw
                .event
                .info()
                .is_some_and(|i| i.category.contains(Category::INTERNAL))
            {
                return false;
            }
            let mut mem = field.memory.borrow_mut();
            // Without a thread sysdig shows what this field showed last.
            if v.ctx.tinfo {
                mem.last_text.clear();
                push_human(&mut mem.last_text, v.thread().map_or(0, |t| t.latency));
            }
            out.push_str(&mem.last_text);
        }
        K::DeltaTime | K::DeltaTimeS | K::DeltaTimeNs => {
            let mut mem = field.memory.borrow_mut();
            let d = if mem.prev_ts == 0 {
                0
            } else {
                ts.wrapping_sub(mem.prev_ts)
            };
            mem.prev_ts = ts;
            match kind {
                K::DeltaTime => push_u64(out, d),
                K::DeltaTimeS => push_u64(out, d / 1_000_000_000),
                _ => push_padded(out, d % 1_000_000_000),
            }
        }
        K::Dir => out.push_str(e.direction().symbol()),
        K::Type => out.push_str(super::event_type_name(e)),
        K::SyscallType => {
            let ty = e.event_type();
            if ty == crate::parse::ids::SCHEDSWITCH_6_E
                || flags().contains(EventFlags::SKIPPARSERESET)
                || matches!(
                    ty,
                    146..=149 | 196 | 228 | 234 | 244 | 260 | 270 | 280 | 286 | 290
                )
            {
                return false;
            }
            out.push_str(super::event_type_name(e));
        }
        K::Category => {
            let c = category_value(v);
            let name = match c {
                0 => "unknown",
                1 => "other",
                2 => "file",
                3 => "net",
                4 => "IPC",
                5 => "memory",
                6 => "process",
                7 => "sleep",
                8 => "system",
                9 => "signal",
                10 => "user",
                11 => "time",
                12 => "processing",
                32..=34 => match v.fd().map(|(_, f)| f.kind) {
                    Some(FdKind::File | FdKind::Directory) => "file",
                    Some(k) if k.is_ip() => "net",
                    Some(
                        FdKind::Fifo
                        | FdKind::UnixSocket
                        | FdKind::Event
                        | FdKind::Signalfd
                        | FdKind::Inotify,
                    ) => "ipc",
                    _ => "unknown",
                },
                64 => "wait",
                128 => "scheduler",
                _ => "unknown",
            };
            out.push_str(name);
        }
        K::Cpu => push_u64(out, u64::from(v.raw.cpu)),
        K::Args | K::Info => args::push_args(v, out),
        K::Arg => {
            let p = match &field.sel {
                Sel::Name(n) => e.param_by_name(n),
                Sel::Index(i) => usize::try_from(*i).ok().and_then(|i| e.param(i)),
                Sel::None => None,
            };
            let Some(p) = p else {
                return false;
            };
            let mut resolved = String::new();
            let start = out.len();
            args::render_param(v, &p, out, &mut resolved);
            if !resolved.is_empty() {
                out.truncate(start);
                out.push_str(&resolved);
            }
        }
        K::RawArg => {
            let Sel::Name(n) = &field.sel else {
                return false;
            };
            let Some(p) = e.param_by_name(n) else {
                return false;
            };
            let Ok(val) = p.value() else {
                return false;
            };
            push_raw(out, val);
        }
        K::Buffer => {
            let Some(p) = e.param_by_name("data") else {
                return false;
            };
            let mut resolved = String::new();
            args::render_param(v, &p, out, &mut resolved);
        }
        K::BufLen => {
            let c = category_value(v);
            return buflen(v, out, c & ec::IO_BASE != 0, any);
        }
        K::BufLenIn | K::BufLenOut => {
            let want = if kind == K::BufLenIn {
                ec::IO_READ
            } else {
                ec::IO_WRITE
            };
            return buflen(v, out, category_value(v) == want, any);
        }
        K::BufLenFile | K::BufLenNet => {
            let ok = category_value(v) & ec::IO_BASE != 0;
            return buflen(
                v,
                out,
                ok,
                if kind == K::BufLenFile {
                    is_file
                } else {
                    is_net
                },
            );
        }
        K::BufLenFileIn | K::BufLenNetIn => {
            let ok = category_value(v) == ec::IO_READ;
            return buflen(
                v,
                out,
                ok,
                if kind == K::BufLenFileIn {
                    is_file
                } else {
                    is_net
                },
            );
        }
        K::BufLenFileOut | K::BufLenNetOut => {
            let ok = category_value(v) == ec::IO_WRITE;
            return buflen(
                v,
                out,
                ok,
                if kind == K::BufLenFileOut {
                    is_file
                } else {
                    is_net
                },
            );
        }
        K::Res => {
            let Some((n, p)) = result(v) else {
                return false;
            };
            if n >= 0 {
                out.push_str("SUCCESS");
            } else {
                let mut raw = String::new();
                let mut resolved = String::new();
                args::render_param(v, &p, &mut raw, &mut resolved);
                out.push_str(if resolved.is_empty() { &raw } else { &resolved });
            }
        }
        K::RawRes => {
            let Some((n, _)) = result(v) else {
                return false;
            };
            crate::event::render::push_i64(out, n);
        }
        K::Failed => push_bool(out, result(v).is_some_and(|(n, _)| n < 0)),
        K::IsIo => push_bool(
            out,
            flags().intersects(EventFlags::READS_FROM_FD | EventFlags::WRITES_TO_FD),
        ),
        K::IsIoRead => push_bool(out, flags().contains(EventFlags::READS_FROM_FD)),
        K::IsIoWrite => push_bool(out, flags().contains(EventFlags::WRITES_TO_FD)),
        K::IoDir => {
            if flags().contains(EventFlags::WRITES_TO_FD) {
                out.push_str("write");
            } else if flags().contains(EventFlags::READS_FROM_FD) {
                out.push_str("read");
            } else {
                return false;
            }
        }
        K::IsWait => push_bool(out, flags().contains(EventFlags::WAITS)),
        K::WaitLatency => {
            if !(flags().contains(EventFlags::WAITS) && e.direction() == Direction::Exit) {
                return false;
            }
            push_u64(
                out,
                if v.ctx.tinfo {
                    v.thread().map_or(0, |t| t.latency)
                } else {
                    0
                },
            );
        }
        K::IsSyslog => push_bool(
            out,
            flags().contains(EventFlags::WRITES_TO_FD)
                && v.fd()
                    .is_some_and(|(_, f)| f.name.windows(8).any(|w| w == b"/dev/log")),
        ),
        K::Count => out.push('1'),
        K::CountExit => {
            if e.direction() != Direction::Exit {
                return false;
            }
            out.push('1');
        }
        K::CountError => return error_count(v, out),
        K::CountErrorFile | K::CountErrorNet | K::CountErrorOther => {
            use crate::parse::ids::*;
            let ty = e.event_type();
            let opens = matches!(ty, OPEN_X | CREAT_X | OPENAT_X | OPENAT_2_X | OPENAT2_X);
            let nets = matches!(
                ty,
                SOCKET_ACCEPT_X
                    | SOCKET_ACCEPT_5_X
                    | SOCKET_ACCEPT4_X
                    | SOCKET_ACCEPT4_5_X
                    | SOCKET_CONNECT_X
            );
            let applies = match (kind, v.fd().map(|(_, f)| f.kind)) {
                (K::CountErrorFile, Some(k)) => matches!(k, FdKind::File | FdKind::Directory),
                (K::CountErrorFile, None) => opens,
                (K::CountErrorNet, Some(k)) => k.is_ip() || k == FdKind::UnixSocket,
                (K::CountErrorNet, None) => nets,
                (_, Some(k)) => {
                    !(matches!(k, FdKind::File | FdKind::Directory | FdKind::UnixSocket)
                        || k.is_ip())
                }
                (_, None) => !(opens || nets || category_value(v) == ec::MEMORY),
            };
            return applies && error_count(v, out);
        }
        K::CountErrorMemory => {
            return category_value(v) == ec::MEMORY && error_count(v, out);
        }
        K::CountProcinfo | K::CountThreadinfo => {
            if e.event_type() != 234 {
                return false;
            }
            if kind == K::CountProcinfo && !v.thread().is_some_and(|t| t.is_main()) {
                return false;
            }
            out.push('1');
        }
        K::AbsPath | K::AbsPathSrc | K::AbsPathDst => return false,
        K::IsOpenRead | K::IsOpenWrite | K::IsOpenExec => push_bool(out, open_check(v, kind)),
        _ => return false,
    }
    true
}

/// `evt.rawarg`: numbers in decimal, text as it is, other types as rendered plainly.
fn push_raw(out: &mut String, v: Value<'_>) {
    match v {
        Value::Signed(n) => {
            crate::event::render::push_i64(out, n);
        }
        Value::Unsigned(n) => {
            crate::event::render::push_u64(out, n);
        }
        Value::Str(s) | Value::Bytes(s) => {
            out.push_str(&String::from_utf8_lossy(crate::event::value::until_nul(s)))
        }
        other => {
            let info = crate::event::ParamInfo {
                name: "",
                ty: crate::event::ParamType::None,
                format: crate::event::PrintFormat::Na,
                extra: crate::event::ParamExtra::None,
            };
            let mut resolved = String::new();
            render::render(&info, other, out, &mut resolved);
        }
    }
}
