//! `fd.*` and `fdlist.*`: the file, socket or pipe an event is about.

use std::fmt::Write;

use super::{EventView, Field, Kind as K, args};
use crate::event::{EventFlags, Value, render};
use crate::parse::event_flags;
use crate::parse::ids::*;
use crate::state::sock::l4;
use crate::state::{FdInfo, FdKind, Thread, path};

fn push_i64(out: &mut String, n: i64) {
    crate::event::render::push_i64(out, n);
}

fn push_bool(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

/// `fd.type` names; `<NA>` for kinds sysdig 0.29 has no name for.
fn type_name(k: FdKind) -> &'static str {
    match k {
        FdKind::Unknown | FdKind::Unsupported => "<NA>",
        k => k.type_name(),
    }
}

/// Whether an IPv4 address belongs to the machine, or, for a thread of a container, to
/// that container (or to any container, when that container's address is unknown).
fn ipv4_is_local(v: &EventView<'_>, t: &Thread, ip: [u8; 4]) -> bool {
    if !t.container_id.is_empty()
        && let Some(c) = v.state.containers.get(&t.container_id)
    {
        if c.ip != [0; 4] {
            if c.ip == ip {
                return true;
            }
        } else if v.state.containers.iter().any(|o| o.ip == ip) {
            return true;
        }
    }
    v.state.interfaces.ipv4.iter().any(|i| i.addr == ip)
}

/// Whether an IPv6 address is on one of the machine's /64 networks (never for containers).
fn ipv6_is_local(v: &EventView<'_>, t: &Thread, ip: [u8; 16]) -> bool {
    t.container_id.is_empty() && v.state.interfaces.ipv6.iter().any(|a| a[..8] == ip[..8])
}

fn push_ip4(out: &mut String, ip: [u8; 4]) {
    render::push_ipv4(out, ip);
}

fn push_ip6(out: &mut String, ip: [u8; 16]) {
    render::push_ipv6(out, ip);
}

/// The fd name an fd-creating exit names when it made no fd (a failed open: its path).
fn creator_name(v: &EventView<'_>) -> Option<String> {
    let e = &v.raw.event;
    let ty = e.event_type();
    if ty & 1 == 0 {
        return None;
    }
    match ty {
        OPEN_X | SOCKET_ACCEPT_X | SOCKET_ACCEPT_5_X | SOCKET_ACCEPT4_X | SOCKET_ACCEPT4_5_X
        | CREAT_X | SOCKET_CONNECT_X => {
            let p = e.param(1)?;
            let mut raw = String::new();
            let mut resolved = String::new();
            args::render_param(v, &p, &mut raw, &mut resolved);
            Some(if resolved.is_empty() { raw } else { resolved })
        }
        // The old openat needs its enter event, which is gone by the time fields are read.
        OPENAT_X => None,
        OPENAT_2_X | OPENAT2_X => {
            let name = match e.param(2).map(|p| p.value()) {
                Some(Ok(Value::Str(s))) => s,
                _ => &[][..],
            };
            let dirfd = match e.param(1).map(|p| p.value()) {
                Some(Ok(Value::Signed(n))) => n,
                _ => -100,
            };
            let base = if name.first() == Some(&b'/') {
                b".".to_vec()
            } else if dirfd == -100 {
                v.thread()
                    .map(|t| v.state.threads.cwd_of(t).to_vec())
                    .unwrap_or_default()
            } else {
                match v.fd_table_get(dirfd) {
                    Some(d) => {
                        let mut b = d.name.clone();
                        b.push(b'/');
                        b
                    }
                    None => b"<UNKNOWN>".to_vec(),
                }
            };
            let mut full = String::new();
            render::push_sanitized(&mut full, &path::join(&base, name));
            Some(full)
        }
        _ => Some(String::new()),
    }
}

/// `fd.directory` of a name: cut at the last `/` unless it is the first or the last byte.
fn push_directory(out: &mut String, name: &str, is_file: bool) {
    if !is_file {
        out.push_str(name);
        return;
    }
    match name.rfind('/') {
        Some(pos) if pos != 0 => out.push_str(if pos < name.len() - 1 {
            &name[..pos]
        } else {
            name
        }),
        _ => out.push('/'),
    }
}

fn sanitized(name: &[u8]) -> String {
    let mut s = String::new();
    render::push_sanitized(&mut s, name);
    s
}

/// The printable ASCII characters, to lend a one-character value as text.
const PRINTABLE: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// `fd.name` and `fd.typechar` borrowed from the state, in the common cases: an fd the
/// event is about, whose name is printable ASCII (what `extract` would append, sanitizing
/// nothing). `None` when `extract` must work the value out.
pub(super) fn extract_str<'v>(kind: K, v: &EventView<'v>) -> Option<&'v str> {
    std::str::from_utf8(extract_bytes(kind, v)?).ok()
}

/// [`extract_str`] as bytes (printable ASCII), without the UTF-8 check.
#[inline]
pub(super) fn extract_bytes<'v>(kind: K, v: &EventView<'v>) -> Option<&'v [u8]> {
    let e = &v.raw.event;
    let flags = event_flags(e.event_type());
    if !flags.intersects(EventFlags::CREATES_FD | EventFlags::USES_FD | EventFlags::DESTROYS_FD) {
        return None;
    }
    let t = v.thread()?;
    let f = match v.fd() {
        Some((_, f)) => f,
        None if t.lastevent_fd != -1 => v.fd_table_get(t.lastevent_fd)?,
        None => return None,
    };
    match kind {
        // A failed connect is named after its arguments instead.
        K::FdName if e.event_type() != SOCKET_CONNECT_X => {
            if printable_ascii(&f.name) {
                Some(&f.name)
            } else {
                None
            }
        }
        K::FdTypeChar => {
            let i = (f.kind.type_char() as usize).checked_sub(0x20)?;
            PRINTABLE.as_bytes().get(i..i + 1)
        }
        _ => None,
    }
}

/// Whether every byte of `b` is printable ASCII (0x20 to 0x7e), eight bytes at a step.
fn printable_ascii(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (words, tail) = b.as_chunks::<8>();
    words.iter().all(|w| {
        let x = u64::from_le_bytes(*w);
        // A byte below 0x20 sets its high bit in the first term; one above 0x7e (or with
        // the high bit) in the second.
        let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let above = (x.wrapping_add(ONES) | x) & HIGH;
        below | above == 0
    }) && tail.iter().all(|c| (0x20..0x7f).contains(c))
}

/// The typechar an fd-creating call's enter implies, for events without an fd.
fn creator_type_char(ty: u16) -> char {
    match ty & !1 {
        OPEN_E | OPENAT_E | OPENAT_2_E | OPENAT2_E | CREAT_E => 'f',
        SOCKET_SOCKET_E | SOCKET_ACCEPT_E | SOCKET_ACCEPT_5_E | SOCKET_ACCEPT4_E
        | SOCKET_ACCEPT4_5_E => '4',
        SYSCALL_PIPE_E => 'p',
        SYSCALL_EVENTFD_E => 'e',
        SYSCALL_SIGNALFD_E => 's',
        SYSCALL_TIMERFD_CREATE_E => 't',
        SYSCALL_INOTIFY_INIT_E => 'i',
        _ => 'o',
    }
}

pub(super) fn extract(field: &Field, kind: K, v: &EventView<'_>, out: &mut String) -> bool {
    if (kind as u16) >= (K::FdListNums as u16) {
        return fdlist(kind, v, out);
    }
    if (kind as u16) >= (K::FsPathName as u16) {
        return super::fspath::extract(kind, v, out);
    }
    let _ = field;
    let e = &v.raw.event;
    let flags = event_flags(e.event_type());
    if !flags.intersects(EventFlags::CREATES_FD | EventFlags::USES_FD | EventFlags::DESTROYS_FD) {
        return false;
    }
    let Some(t) = v.thread() else {
        return false;
    };
    let fd: Option<&FdInfo> = v.fd().map(|(_, f)| f).or_else(|| {
        (t.lastevent_fd != -1)
            .then(|| v.fd_table_get(t.lastevent_fd))
            .flatten()
    });
    if kind == K::FdNum {
        push_i64(out, t.lastevent_fd);
        return true;
    }
    match kind {
        K::FdName | K::FdContainerName => {
            let failed_connect = e.event_type() == SOCKET_CONNECT_X
                && e.param(0)
                    .and_then(|p| p.value().ok()?.as_i64())
                    .is_some_and(|r| r < 0);
            // The fd's own name is sanitized straight into `out` (no string per event).
            let made = match fd {
                Some(_) if !failed_connect => None,
                _ => match creator_name(v) {
                    Some(n) => Some(n),
                    None => return false,
                },
            };
            if kind == K::FdContainerName {
                out.push_str(&t.container_id);
                out.push(':');
            }
            match (made, fd) {
                (Some(n), _) => out.push_str(&n),
                (None, Some(f)) => render::push_sanitized(out, &f.name),
                (None, None) => {}
            }
        }
        K::FdType => match fd {
            Some(f) => out.push_str(type_name(f.kind)),
            None => return false,
        },
        K::FdTypeChar => out.push(match fd {
            Some(f) => f.kind.type_char(),
            None => creator_type_char(e.event_type()),
        }),
        K::FdDirectory | K::FdContainerDirectory => {
            let mut dir = String::new();
            match fd {
                None => {
                    let Some(n) = creator_name(v) else {
                        return false;
                    };
                    push_directory(&mut dir, &n, true);
                }
                Some(f) => {
                    if !matches!(f.kind, FdKind::File | FdKind::Directory) {
                        return false;
                    }
                    push_directory(&mut dir, &sanitized(&f.name), f.kind == FdKind::File);
                }
            }
            if kind == K::FdContainerDirectory {
                out.push_str(&t.container_id);
                out.push(':');
            }
            out.push_str(&dir);
        }
        K::FdFilename => {
            let Some(f) = fd.filter(|f| f.kind == FdKind::File) else {
                return false;
            };
            let name = sanitized(&f.name);
            match name.rfind('/') {
                Some(pos) if pos < name.len() - 1 => out.push_str(&name[pos + 1..]),
                Some(_) => out.push_str(&name),
                None => out.push('/'),
            }
        }
        K::FdCip | K::FdCport | K::FdCproto => {
            let Some(f) = fd else {
                return false;
            };
            if f.is_role_none() {
                return false;
            }
            match f.kind {
                FdKind::Ipv4Socket => {
                    let tp = f.sock.ipv4();
                    if kind == K::FdCip {
                        push_ip4(out, tp.sip);
                    } else {
                        crate::event::render::push_u64(out, u64::from(tp.sport));
                    }
                }
                FdKind::Ipv6Socket => {
                    let tp = f.sock.ipv6();
                    if kind == K::FdCip {
                        push_ip6(out, tp.sip);
                    } else {
                        crate::event::render::push_u64(out, u64::from(tp.sport));
                    }
                }
                // sysdig 0.29 falls through here into the protocol text, which is empty.
                _ if kind == K::FdCport => out.push('0'),
                _ if kind == K::FdCproto => {}
                _ => return false,
            }
        }
        K::FdSip | K::FdSport | K::FdSproto => {
            let Some(f) = fd else {
                return false;
            };
            if kind == K::FdSip && f.is_role_none() {
                return false;
            }
            match f.kind {
                FdKind::Ipv4Socket | FdKind::Ipv6Socket if f.is_role_none() => return false,
                FdKind::Ipv4Socket => {
                    let tp = f.sock.ipv4();
                    if kind == K::FdSip {
                        push_ip4(out, tp.dip);
                    } else {
                        crate::event::render::push_u64(out, u64::from(tp.dport));
                    }
                }
                FdKind::Ipv6Socket => {
                    let tp = f.sock.ipv6();
                    if kind == K::FdSip {
                        push_ip6(out, tp.dip);
                    } else {
                        crate::event::render::push_u64(out, u64::from(tp.dport));
                    }
                }
                FdKind::Ipv4Server => {
                    let s = f.sock.ipv4_server();
                    match kind {
                        K::FdSip => push_ip4(out, s.ip),
                        K::FdSport => {
                            crate::event::render::push_u64(out, u64::from(s.port));
                        }
                        _ => {}
                    }
                }
                FdKind::Ipv6Server => {
                    let s = f.sock.ipv6_server();
                    match kind {
                        K::FdSip => push_ip6(out, s.ip),
                        K::FdSport => {
                            crate::event::render::push_u64(out, u64::from(s.port));
                        }
                        _ => {}
                    }
                }
                _ => return false,
            }
        }
        K::FdLip | K::FdRip | K::FdLport | K::FdRport | K::FdLproto | K::FdRproto => {
            let Some(f) = fd else {
                return false;
            };
            if !matches!(f.kind, FdKind::Ipv4Socket | FdKind::Ipv6Socket) || f.is_role_none() {
                return false;
            }
            let local_side = matches!(kind, K::FdLip | K::FdLport | K::FdLproto);
            let want_ip = matches!(kind, K::FdLip | K::FdRip);
            if f.kind == FdKind::Ipv4Socket {
                let tp = f.sock.ipv4();
                let src = ipv4_is_local(v, t, tp.sip) == local_side;
                if want_ip {
                    push_ip4(out, if src { tp.sip } else { tp.dip });
                } else {
                    crate::event::render::push_u64(
                        out,
                        u64::from(if src { tp.sport } else { tp.dport }),
                    );
                }
            } else {
                let tp = f.sock.ipv6();
                let src = ipv6_is_local(v, t, tp.sip) == local_side;
                if want_ip {
                    push_ip6(out, if src { tp.sip } else { tp.dip });
                } else {
                    crate::event::render::push_u64(
                        out,
                        u64::from(if src { tp.sport } else { tp.dport }),
                    );
                }
            }
        }
        K::FdL4Proto => {
            let Some(f) = fd else {
                return false;
            };
            out.push_str(match f.l4proto() {
                l4::TCP => "tcp",
                l4::UDP => "udp",
                l4::ICMP => "icmp",
                l4::RAW => "raw",
                _ => "<NA>",
            });
        }
        K::FdSockFamily => {
            let Some(f) = fd else {
                return false;
            };
            match f.kind {
                k if k.is_ip() => out.push_str("ip"),
                FdKind::UnixSocket => out.push_str("unix"),
                _ => return false,
            }
        }
        K::FdIsServer => {
            let Some(f) = fd else {
                return false;
            };
            let server = match f.kind {
                FdKind::Ipv4Server | FdKind::Ipv6Server => true,
                FdKind::Ipv4Socket => ipv4_is_local(v, t, f.sock.ipv4().dip),
                FdKind::Ipv6Socket => ipv6_is_local(v, t, f.sock.ipv6().dip),
                _ => false,
            };
            push_bool(out, server);
        }
        K::FdUid => {
            push_i64(out, e.tid());
            push_i64(out, t.lastevent_fd);
        }
        K::FdConnected => match fd {
            Some(f) => push_bool(
                out,
                f.flags.contains(crate::state::FdFlags::SOCKET_CONNECTED),
            ),
            None => return false,
        },
        K::FdNameChanged => match fd {
            Some(_) => push_bool(out, v.fd_name_changed()),
            None => return false,
        },
        K::FdDev | K::FdDevMajor | K::FdDevMinor => {
            let Some(f) = fd else {
                return false;
            };
            let dev = f.dev;
            let _ = match kind {
                K::FdDev => write!(out, "{dev:X}"),
                K::FdDevMajor => write!(out, "{}", (dev & 0xfff00) >> 8),
                _ => write!(out, "{}", (dev & 0xff) | ((dev >> 12) & 0xfff00)),
            };
        }
        _ => return false,
    }
    true
}

/// `fdlist.*`: the fds of a poll or ppoll, comma-separated.
fn fdlist(kind: K, v: &EventView<'_>, out: &mut String) -> bool {
    let e = &v.raw.event;
    let idx = match e.event_type() {
        SYSCALL_POLL_E | SYSCALL_PPOLL_E => 0,
        SYSCALL_POLL_X | SYSCALL_PPOLL_X => 1,
        _ => return false,
    };
    let Some(Ok(Value::FdList(list))) = e.param(idx).map(|p| p.value()) else {
        return false;
    };
    let start = out.len();
    for (fd, _) in list.iter() {
        let f = v.fd_table_get(fd);
        let before = out.len();
        match kind {
            K::FdListNums => push_i64(out, fd),
            K::FdListNames => match f.filter(|f| !f.name.is_empty()) {
                Some(f) => out.push_str(&String::from_utf8_lossy(&f.name)),
                None => out.push_str("<NA>"),
            },
            _ => match f {
                Some(f) if f.kind == FdKind::Ipv4Socket => {
                    let tp = f.sock.ipv4();
                    match kind {
                        K::FdListCips => push_ip4(out, tp.sip),
                        K::FdListSips => push_ip4(out, tp.dip),
                        K::FdListCports => {
                            crate::event::render::push_u64(out, u64::from(tp.sport));
                        }
                        _ => {
                            crate::event::render::push_u64(out, u64::from(tp.dport));
                        }
                    }
                }
                Some(f) if f.kind == FdKind::Ipv6Socket => {
                    let tp = f.sock.ipv6();
                    match kind {
                        K::FdListCips => push_ip6(out, tp.sip),
                        K::FdListSips => push_ip6(out, tp.dip),
                        K::FdListCports => {
                            crate::event::render::push_u64(out, u64::from(tp.sport));
                        }
                        _ => {
                            crate::event::render::push_u64(out, u64::from(tp.dport));
                        }
                    }
                }
                Some(f) if kind == K::FdListSips && f.kind == FdKind::Ipv4Server => {
                    push_ip4(out, f.sock.ipv4_server().ip);
                }
                Some(f) if kind == K::FdListSips && f.kind == FdKind::Ipv6Server => {
                    // sysdig 0.29 prints the first four bytes as an IPv4 address.
                    let ip = f.sock.ipv6_server().ip;
                    push_ip4(out, [ip[0], ip[1], ip[2], ip[3]]);
                }
                _ => {}
            },
        }
        if out.len() > before {
            out.push(',');
        }
    }
    if out.len() == start {
        return false;
    }
    if out.ends_with(',') {
        out.pop();
    }
    true
}

#[cfg(test)]
mod printable_tests {
    use super::printable_ascii;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn printable_ascii_checks_every_byte(
            b in proptest::collection::vec(
                prop_oneof![0x20u8..0x7f, Just(0x1f), Just(0x7f), Just(0x80), Just(0xff), any::<u8>()],
                0..40)
        ) {
            prop_assert_eq!(printable_ascii(&b), b.iter().all(|c| (0x20..0x7f).contains(c)));
        }
    }
}
