//! Sockets: creation, addresses from bind/connect/accept, tuples learned from the data
//! calls, and the names (`1.2.3.4:5->6.7.8.9:80`) that `fd.name` shows.

use super::{Cur, Parser, add_fd, p_bytes, p_i64, p_u32, p_u64};
use crate::event::render;
use crate::event::{EventRef, Param};
use crate::state::State;
use crate::state::fd::{FdFlags, FdInfo, FdKind};
use crate::state::sock::{Ipv4Server, Ipv4Tuple, Ipv6Server, Ipv6Tuple, is_ipv4_mapped, l4};

const AF_UNIX: u8 = 1;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const AF_NETLINK: u32 = 16;
const IPPROTO_IP: u32 = 0;
const IPPROTO_ICMP: u32 = 1;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_RAW: u32 = 255;
const SOCK_STREAM: u32 = 1;
const SOCK_DGRAM: u32 = 2;
const SOCK_RAW: u32 = 3;
/// `SE_EINPROGRESS`.
const EINPROGRESS: i64 = 115;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

fn arr<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    b[at..at + N].try_into().unwrap_or([0; N])
}

/// `ip:port->ip:port`.
pub(crate) fn ipv4_tuple_name(t: &Ipv4Tuple) -> String {
    let mut s = String::with_capacity(48);
    render::push_ipv4(&mut s, t.sip);
    s.push(':');
    render::push_u64(&mut s, u64::from(t.sport));
    s.push_str("->");
    render::push_ipv4(&mut s, t.dip);
    s.push(':');
    render::push_u64(&mut s, u64::from(t.dport));
    s
}

/// `ip:port->ip:port` for IPv6.
pub(crate) fn ipv6_tuple_name(t: &Ipv6Tuple) -> String {
    let mut s = String::with_capacity(96);
    render::push_ipv6(&mut s, t.sip);
    s.push(':');
    render::push_u64(&mut s, u64::from(t.sport));
    s.push_str("->");
    render::push_ipv6(&mut s, t.dip);
    s.push(':');
    render::push_u64(&mut s, u64::from(t.dport));
    s
}

/// `ip:port` of a listening IPv4 socket.
pub(crate) fn ipv4_server_name(s: &Ipv4Server) -> String {
    let mut out = String::with_capacity(24);
    render::push_ipv4(&mut out, s.ip);
    out.push(':');
    render::push_u64(&mut out, u64::from(s.port));
    out
}

/// `ip:port` of a listening IPv6 socket.
pub(crate) fn ipv6_server_name(s: &Ipv6Server) -> String {
    let mut out = String::new();
    render::push_ipv6(&mut out, s.ip);
    out.push(':');
    render::push_u64(&mut out, u64::from(s.port));
    out
}

/// The name of a connected IP socket from its addresses (libsinsp's `sockinfo_to_str`):
/// the tuple for TCP and UDP, addresses only for ICMP and raw, `<unknown>` otherwise.
pub(crate) fn sock_name(f: &FdInfo) -> String {
    match f.kind {
        FdKind::Ipv4Socket => {
            let t = f.sock.ipv4();
            match t.l4 {
                l4::TCP | l4::UDP => ipv4_tuple_name(&t),
                l4::ICMP | l4::RAW => {
                    let mut s = String::new();
                    render::push_ipv4(&mut s, t.sip);
                    s.push_str("->");
                    render::push_ipv4(&mut s, t.dip);
                    s
                }
                _ => "<unknown>".into(),
            }
        }
        FdKind::Ipv6Socket => {
            let t6 = f.sock.ipv6();
            let mapped = is_ipv4_mapped(&t6.sip) && is_ipv4_mapped(&t6.dip);
            match t6.l4 {
                l4::TCP | l4::UDP if mapped => {
                    // libsinsp reads the ports and protocol through the IPv4 view here.
                    let v4 = f.sock.ipv4();
                    ipv4_tuple_name(&Ipv4Tuple {
                        sip: arr(&t6.sip, 12),
                        dip: arr(&t6.dip, 12),
                        sport: v4.sport,
                        dport: v4.dport,
                        l4: v4.l4,
                    })
                }
                l4::TCP | l4::UDP => ipv6_tuple_name(&t6),
                l4::ICMP => {
                    let mut s = String::new();
                    if mapped {
                        render::push_ipv4(&mut s, arr(&t6.sip, 12));
                        s.push_str("->");
                        render::push_ipv4(&mut s, arr(&t6.dip, 12));
                    } else {
                        render::push_ipv6(&mut s, t6.sip);
                        s.push_str("->");
                        render::push_ipv6(&mut s, t6.dip);
                    }
                    s
                }
                _ => "<unknown>".into(),
            }
        }
        _ => String::new(),
    }
}

/// A socket parameter rendered as sysdig prints it (the fd name of bind, accept, ...).
fn param_text(p: &Param<'_>) -> Vec<u8> {
    let mut raw = String::new();
    let mut resolved = String::new();
    if let Ok(v) = p.value() {
        render::render(p.info, v, &mut raw, &mut resolved);
    }
    raw.into_bytes()
}

/// A new socket of `domain`, `type` and `protocol`, as `socket()` makes it.
fn new_socket(domain: u32, ty: u32, proto: u32) -> FdInfo {
    let mut f = FdInfo::new(FdKind::Unknown, Vec::new());
    if domain == u32::from(AF_UNIX) {
        f.kind = FdKind::UnixSocket;
    } else if domain == u32::from(AF_INET) || domain == u32::from(AF_INET6) {
        let l4p = match proto {
            IPPROTO_TCP if ty == SOCK_RAW => l4::RAW,
            IPPROTO_TCP => l4::TCP,
            IPPROTO_UDP if ty == SOCK_RAW => l4::RAW,
            IPPROTO_UDP => l4::UDP,
            IPPROTO_IP if ty & 0xff == SOCK_STREAM => l4::TCP,
            IPPROTO_IP if ty & 0xff == SOCK_DGRAM => l4::UDP,
            IPPROTO_ICMP if ty == SOCK_RAW => l4::RAW,
            IPPROTO_ICMP => l4::ICMP,
            IPPROTO_RAW => l4::RAW,
            _ => l4::UNKNOWN,
        };
        if domain == u32::from(AF_INET) {
            f.kind = FdKind::Ipv4Socket;
            f.sock.set_ipv4(Ipv4Tuple {
                l4: l4p,
                ..Default::default()
            });
        } else {
            f.kind = FdKind::Ipv6Socket;
            f.sock.set_ipv6(Ipv6Tuple {
                l4: l4p,
                ..Default::default()
            });
        }
    } else if domain == AF_NETLINK {
        f.kind = FdKind::Netlink;
    }
    f
}

/// A sendto on an fd we never saw created: assume a UDP socket of the tuple's family.
pub(super) fn infer_sendto_fdinfo(state: &mut State, cur: &mut Cur<'_>) {
    let Some(fd) = p_i64(&cur.ev, 0).filter(|&fd| fd >= 0) else {
        return;
    };
    let family = p_bytes(&cur.ev, 2).and_then(|b| b.first().copied());
    let domain = match family {
        Some(AF_INET) => AF_INET,
        Some(AF_INET6) => AF_INET6,
        _ => return,
    };
    add_fd(
        state,
        cur,
        fd,
        new_socket(u32::from(domain), SOCK_DGRAM, IPPROTO_UDP),
    );
}

pub(super) fn parse_socket_exit(parser: &mut Parser, state: &mut State, cur: &mut Cur<'_>) {
    let Some(fd) = p_i64(&cur.ev, 0).filter(|&fd| fd >= 0) else {
        return;
    };
    if !cur.has_thread {
        return;
    }
    let (domain, ty, proto) = match parser.retrieve_enter(state, cur) {
        Some(e) => (p_u32(&e, 0), p_u32(&e, 1), p_u32(&e, 2)),
        // Newer exits carry the arguments themselves.
        None if cur.ev.nparams() >= 4 && cur.ty == super::ids::SOCKET_SOCKET_X => {
            if cur.ev.event_type() < super::OLD_TABLE_END && cur.ev.nparams() < 4 {
                return;
            }
            (p_u32(&cur.ev, 1), p_u32(&cur.ev, 2), p_u32(&cur.ev, 3))
        }
        None => return,
    };
    let (Some(domain), Some(ty), Some(proto)) = (domain, ty, proto) else {
        return;
    };
    add_fd(state, cur, fd, new_socket(domain, ty, proto));
}

pub(super) fn parse_bind_exit(state: &mut State, cur: &mut Cur<'_>) {
    let Some(fd) = cur.fd else {
        return;
    };
    if p_i64(&cur.ev, 0).is_none_or(|r| r < 0) {
        return;
    }
    let Some(p) = cur.ev.param(1) else {
        return;
    };
    let data = p.bytes;
    if data.is_empty() {
        return;
    }
    let name = param_text(&p);
    let Some(f) = state.threads.fds_mut(cur.tid).and_then(|t| t.get_mut(fd)) else {
        return;
    };
    match data[0] {
        AF_INET if data.len() >= 7 => {
            let port = u16_at(data, 5);
            if port > 0 {
                let l4p = f.sock.ipv4().l4;
                f.kind = FdKind::Ipv4Server;
                f.sock.set_ipv4_server(Ipv4Server {
                    ip: arr(data, 1),
                    port,
                    l4: l4p,
                });
                f.flags.insert(FdFlags::ROLE_SERVER);
            }
        }
        AF_INET6 if data.len() >= 19 => {
            let port = u16_at(data, 17);
            if port > 0 {
                let ip: [u8; 16] = arr(data, 1);
                let l4p = f.sock.ipv6().l4;
                if is_ipv4_mapped(&ip) {
                    f.kind = FdKind::Ipv4Server;
                    f.sock.set_ipv4_server(Ipv4Server {
                        ip: arr(data, 13),
                        port,
                        l4: l4p,
                    });
                } else {
                    f.kind = FdKind::Ipv6Server;
                    f.sock.set_ipv6_server(Ipv6Server { ip, port, l4: l4p });
                }
                f.flags.insert(FdFlags::ROLE_SERVER);
            }
        }
        _ => {}
    }
    f.name = name;
}

pub(super) fn parse_connect_enter(state: &mut State, cur: &mut Cur<'_>) {
    let Some(fd) = cur.fd else {
        return;
    };
    if cur.ev.nparams() < 2 {
        return;
    }
    let Some(p) = cur.ev.param(1) else {
        return;
    };
    let data = p.bytes;
    if data.is_empty() {
        return;
    }
    let name = param_text(&p);
    let Some(f) = state.threads.fds_mut(cur.tid).and_then(|t| t.get_mut(fd)) else {
        return;
    };
    match data[0] {
        AF_INET if data.len() >= 7 => {
            f.kind = FdKind::Ipv4Socket;
            let mut t = f.sock.ipv4();
            t.dip = arr(data, 1);
            t.dport = u16_at(data, 5);
            f.sock.set_ipv4(t);
        }
        AF_INET6 if data.len() >= 19 => {
            let ip: [u8; 16] = arr(data, 1);
            let port = u16_at(data, 17);
            if is_ipv4_mapped(&ip) {
                f.kind = FdKind::Ipv4Socket;
                let mut t = f.sock.ipv4();
                t.dip = arr(data, 13);
                t.dport = port;
                f.sock.set_ipv4(t);
            } else {
                f.kind = FdKind::Ipv6Socket;
                let mut t = f.sock.ipv6();
                t.dip = ip;
                t.dport = port;
                f.sock.set_ipv6(t);
            }
        }
        AF_INET | AF_INET6 => {}
        _ => {
            f.name = name;
            if data.len() >= 17 {
                f.sock.set_unix(u64_at(data, 1), u64_at(data, 9));
            }
        }
    }
}

pub(super) fn parse_connect_exit(state: &mut State, cur: &mut Cur<'_>) {
    let Some(fd) = cur.fd else {
        return;
    };
    let res = p_i64(&cur.ev, 0).unwrap_or(-1);
    if res < 0 && res != -EINPROGRESS {
        return;
    }
    let Some(f) = state.threads.fds_mut(cur.tid).and_then(|t| t.get_mut(fd)) else {
        return;
    };
    f.flags.insert(FdFlags::SOCKET_CONNECTED);
    let Some(p) = cur.ev.param(1) else {
        return;
    };
    if p.bytes.is_empty() {
        return;
    }
    fill_client_socket_info(f, &p);
}

fn fill_client_socket_info(f: &mut FdInfo, p: &Param<'_>) {
    let data = p.bytes;
    match data[0] {
        AF_INET | AF_INET6 => {
            let changed = if data[0] == AF_INET6 && data.len() >= 37 {
                let sip: [u8; 16] = arr(data, 1);
                let dip: [u8; 16] = arr(data, 19);
                if !(is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip)) {
                    f.kind = FdKind::Ipv6Socket;
                    set_ipv6_addresses(f, data)
                } else {
                    f.kind = FdKind::Ipv4Socket;
                    set_ipv4_mapped_addresses(f, data)
                }
            } else if data[0] == AF_INET && data.len() >= 13 {
                f.kind = FdKind::Ipv4Socket;
                set_ipv4_addresses(f, data)
            } else {
                return;
            };
            if changed && f.is_server() && f.is_udp() {
                swap_addresses(f);
            }
            f.name = sock_name(f).into_bytes();
        }
        _ => {
            f.name = param_text(p);
            if data.len() >= 17 {
                f.sock.set_unix(u64_at(data, 1), u64_at(data, 9));
            }
        }
    }
    if f.is_role_none() {
        f.flags.insert(FdFlags::ROLE_CLIENT);
    }
}

pub(super) fn parse_accept_exit(state: &mut State, cur: &mut Cur<'_>) {
    if !cur.has_thread {
        return;
    }
    let Some(fd) = p_i64(&cur.ev, 0).filter(|&fd| fd >= 0) else {
        return;
    };
    if let Some(t) = state.threads.get_mut(cur.tid) {
        t.lastevent_fd = fd;
    }
    let Some(p) = cur.ev.param(1) else {
        return;
    };
    let data = p.bytes;
    if data.is_empty() {
        return;
    }
    let mut f = FdInfo::new(FdKind::Unknown, Vec::new());
    match data[0] {
        AF_INET if data.len() >= 13 => {
            set_ipv4_addresses(&mut f, data);
            f.kind = FdKind::Ipv4Socket;
            let mut t = f.sock.ipv4();
            t.l4 = l4::TCP;
            f.sock.set_ipv4(t);
        }
        AF_INET6 if data.len() >= 37 => {
            let sip: [u8; 16] = arr(data, 1);
            let dip: [u8; 16] = arr(data, 19);
            if is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip) {
                set_ipv4_mapped_addresses(&mut f, data);
                f.kind = FdKind::Ipv4Socket;
                let mut t = f.sock.ipv4();
                t.l4 = l4::TCP;
                f.sock.set_ipv4(t);
            } else {
                set_ipv6_addresses(&mut f, data);
                f.kind = FdKind::Ipv6Socket;
                let mut t = f.sock.ipv6();
                t.l4 = l4::TCP;
                f.sock.set_ipv6(t);
            }
        }
        AF_UNIX => {
            f.kind = FdKind::UnixSocket;
            if data.len() >= 17 {
                f.sock.set_unix(u64_at(data, 1), u64_at(data, 9));
            }
        }
        _ => return,
    }
    f.name = param_text(&p);
    f.flags = FdFlags::ROLE_SERVER | FdFlags::SOCKET_CONNECTED;
    add_fd(state, cur, fd, f);
}

pub(super) fn parse_socketpair_exit(state: &mut State, cur: &mut Cur<'_>) {
    if p_i64(&cur.ev, 0).is_none_or(|r| r < 0) || !cur.has_thread {
        return;
    }
    let (Some(fd1), Some(fd2)) = (p_i64(&cur.ev, 1), p_i64(&cur.ev, 2)) else {
        return;
    };
    let mut f = FdInfo::new(FdKind::UnixSocket, Vec::new());
    f.sock.set_unix(
        p_u64(&cur.ev, 3).unwrap_or(0),
        p_u64(&cur.ev, 4).unwrap_or(0),
    );
    add_fd(state, cur, fd1, f.clone());
    let first = cur.fd;
    add_fd(state, cur, fd2, f);
    cur.fd = first;
}

/// Updates an IPv4 tuple from a packed socktuple unless it is the same connection (either
/// direction); the destination is only filled in when unknown. Returns whether it changed.
fn update_ipv4(f: &mut FdInfo, sip: [u8; 4], sport: u16, dip: [u8; 4], dport: u16) -> bool {
    let mut t = f.sock.ipv4();
    if f.kind == FdKind::Ipv4Socket
        && ((sip == t.sip && sport == t.sport && dip == t.dip && dport == t.dport)
            || (dip == t.sip && dport == t.sport && sip == t.dip && sport == t.dport))
    {
        return false;
    }
    let mut changed = false;
    if t.sip != sip {
        t.sip = sip;
        changed = true;
    }
    if t.sport != sport {
        t.sport = sport;
        changed = true;
    }
    if t.dip == [0; 4] {
        t.dip = dip;
        changed = true;
    }
    if t.dport == 0 {
        t.dport = dport;
        changed = true;
    }
    f.sock.set_ipv4(t);
    changed
}

fn set_ipv4_addresses(f: &mut FdInfo, d: &[u8]) -> bool {
    update_ipv4(f, arr(d, 1), u16_at(d, 5), arr(d, 7), u16_at(d, 11))
}

fn set_ipv4_mapped_addresses(f: &mut FdInfo, d: &[u8]) -> bool {
    update_ipv4(f, arr(d, 13), u16_at(d, 17), arr(d, 31), u16_at(d, 35))
}

fn set_ipv6_addresses(f: &mut FdInfo, d: &[u8]) -> bool {
    let (sip, sport, dip, dport): ([u8; 16], u16, [u8; 16], u16) =
        (arr(d, 1), u16_at(d, 17), arr(d, 19), u16_at(d, 35));
    let mut t = f.sock.ipv6();
    if f.kind == FdKind::Ipv6Socket
        && ((sip == t.sip && sport == t.sport && dip == t.dip && dport == t.dport)
            || (dip == t.sip && dport == t.sport && sip == t.dip && sport == t.dport))
    {
        return false;
    }
    let mut changed = false;
    if t.sip != sip {
        t.sip = sip;
        changed = true;
    }
    if t.sport != sport {
        t.sport = sport;
        changed = true;
    }
    if t.dip == [0; 16] {
        t.dip = dip;
        changed = true;
    }
    if t.dport == 0 {
        t.dport = dport;
        changed = true;
    }
    f.sock.set_ipv6(t);
    changed
}

fn swap_addresses(f: &mut FdInfo) {
    if f.kind == FdKind::Ipv4Socket {
        let mut t = f.sock.ipv4();
        std::mem::swap(&mut t.sip, &mut t.dip);
        std::mem::swap(&mut t.sport, &mut t.dport);
        f.sock.set_ipv4(t);
    } else {
        let mut t = f.sock.ipv6();
        std::mem::swap(&mut t.sip, &mut t.dip);
        std::mem::swap(&mut t.sport, &mut t.dport);
        f.sock.set_ipv6(t);
    }
}

/// Takes a socktuple parameter into the fd (recvfrom, sendto, ...). Returns false when
/// there was nothing to update.
fn update_fd(state: &State, f: &mut FdInfo, p: &[u8]) -> bool {
    if p.is_empty() {
        return false;
    }
    match p[0] {
        AF_INET if p.len() >= 13 => {
            if f.kind == FdKind::Ipv4Server {
                let server_l4 = f.sock.ipv4_server().l4;
                let mut t = f.sock.ipv4();
                t.l4 = server_l4;
                f.sock.set_ipv4(t);
            }
            f.kind = FdKind::Ipv4Socket;
            if !set_ipv4_addresses(f, p) {
                return false;
            }
        }
        AF_INET6 if p.len() >= 37 => {
            let sip: [u8; 16] = arr(p, 1);
            let dip: [u8; 16] = arr(p, 19);
            if is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip) {
                f.kind = FdKind::Ipv4Socket;
                if !set_ipv4_mapped_addresses(f, p) {
                    return false;
                }
            } else if !set_ipv6_addresses(f, p) {
                return false;
            }
        }
        AF_UNIX => {
            f.kind = FdKind::UnixSocket;
            if p.len() >= 17 {
                f.sock.set_unix(u64_at(p, 1), u64_at(p, 9));
            }
            f.name = crate::event::value::until_nul(p.get(17..).unwrap_or_default()).to_vec();
            return true;
        }
        _ => {}
    }
    // A changing address means the socket is not TCP.
    if f.kind == FdKind::Ipv4Socket {
        let mut t = f.sock.ipv4();
        if t.l4 == l4::UNKNOWN {
            t.l4 = l4::UDP;
            f.sock.set_ipv4(t);
        }
    } else if f.kind == FdKind::Ipv6Socket {
        let mut t = f.sock.ipv6();
        if t.l4 == l4::UNKNOWN {
            t.l4 = l4::UDP;
            f.sock.set_ipv6(t);
        }
    }
    complete_from_interfaces(state, f);
    true
}

/// Fills in a missing local or remote address from the machine's interfaces.
fn complete_from_interfaces(state: &State, f: &mut FdInfo) {
    let ifaces = &state.interfaces;
    if f.kind == FdKind::Ipv4Socket {
        let mut t = f.sock.ipv4();
        if t.sip != [0; 4] && t.dip != [0; 4] {
            return;
        }
        if t.sip == [0; 4] {
            let a = ifaces.infer_ipv4(t.dip);
            if a == t.dip && t.sport == t.dport {
                return;
            }
            t.sip = a;
        } else {
            let a = ifaces.infer_ipv4(t.sip);
            if a == t.sip && t.sport == t.dport {
                return;
            }
            t.dip = a;
        }
        f.sock.set_ipv4(t);
    } else if f.kind == FdKind::Ipv6Socket {
        let mut t = f.sock.ipv6();
        if t.sip != [0; 16] && t.dip != [0; 16] {
            return;
        }
        if t.sip == [0; 16] {
            let a = ifaces.infer_ipv6(t.dip);
            if a == t.dip && t.sport == t.dport {
                return;
            }
            t.sip = a;
        } else {
            let a = ifaces.infer_ipv6(t.sip);
            if a == t.sip && t.sport == t.dport {
                return;
            }
            t.dip = a;
        }
        f.sock.set_ipv6(t);
    }
}

/// Guesses whether this end is the server (it owns the port) or the client; libsinsp's
/// guess, whose own-table lookups make it in practice "server if it read first".
fn guess_role(state: &State, tid: i64, f: &mut FdInfo, incoming: bool) {
    let t = f.sock.ipv4();
    let table = state.threads.fds(tid);
    let bound = table.is_some_and(|tb| {
        tb.iter().any(|(_, o)| match o.kind {
            FdKind::Ipv4Socket => o.sock.ipv4().dport == t.dport,
            FdKind::Ipv4Server => o.sock.ipv4_server().port == t.dport,
            _ => false,
        })
    });
    if !bound {
        f.flags.insert(FdFlags::ROLE_CLIENT);
        return;
    }
    let uses_client_port = table.is_some_and(|tb| {
        tb.iter()
            .any(|(_, o)| o.kind == FdKind::Ipv4Socket && o.sock.ipv4().sport == t.sport)
    });
    if !uses_client_port {
        f.flags.insert(FdFlags::ROLE_SERVER);
    } else if f.is_role_none() {
        f.flags.insert(if incoming {
            FdFlags::ROLE_SERVER
        } else {
            FdFlags::ROLE_CLIENT
        });
    }
}

impl Parser {
    /// Exits of the read/write family: a socket that transfers data is connected, and a
    /// datagram socket learns its peer from the tuple of recvfrom/recvmsg (exit) or
    /// sendto/sendmsg (enter, or the exit when it carries its arguments).
    pub(super) fn parse_rw_exit(&mut self, state: &mut State, cur: &mut Cur<'_>) {
        use super::ids::*;
        let Some(fd) = cur.fd else {
            return;
        };
        let res = p_i64(&cur.ev, 0).unwrap_or(-1);
        if res < 0 {
            return;
        }
        let carries_tuple = matches!(
            cur.ty,
            SOCKET_RECVFROM_X | SOCKET_RECVMSG_X | SOCKET_SENDTO_X | SOCKET_SENDMSG_X
        );
        let Some(f) = state.fd(cur.tid, fd) else {
            return;
        };
        let ip = matches!(f.kind, FdKind::Ipv4Socket | FdKind::Ipv6Socket);
        // Only a connected IPv4 TCP socket keeps its name: a server socket, an IPv6 one or a
        // datagram one takes the tuple (libsinsp's rule; a wildcard IPv6 server that /proc
        // calls TCP can answer UDP queries over IPv4).
        let keeps_name =
            !f.name.is_empty() && f.kind == FdKind::Ipv4Socket && f.l4proto() == l4::TCP;
        if !carries_tuple || keeps_name {
            // read, write and the rest, and every transfer of a socket that keeps its name:
            // only the flag of an IP socket, set in place once (no copy of the fd, nor a
            // lookup to update, for every transfer).
            if ip
                && !f.flags.contains(FdFlags::SOCKET_CONNECTED)
                && let Some(f) = state.threads.fds_mut(cur.tid).and_then(|t| t.get_mut(fd))
            {
                f.flags.insert(FdFlags::SOCKET_CONNECTED);
            }
            return;
        }
        let mut f = f.clone();
        if ip {
            f.flags.insert(FdFlags::SOCKET_CONNECTED);
        }
        let reads = cur
            .ev
            .info()
            .is_some_and(|i| i.flags.contains(crate::event::EventFlags::READS_FROM_FD));
        let tuple: Option<(Vec<u8>, EventRef<'_>, usize)> = if reads {
            let idx = match cur.ty {
                SOCKET_RECVFROM_X => Some(2),
                SOCKET_RECVMSG_X => Some(3),
                _ => None,
            };
            idx.and_then(|i| Some((p_bytes(&cur.ev, i)?.to_vec(), cur.ev, i)))
        } else if matches!(cur.ty, SOCKET_SENDTO_X | SOCKET_SENDMSG_X) {
            let exit_args = self.exit_args;
            match self.retrieve_enter(state, cur) {
                Some(enter) => p_bytes(&enter, 2).map(|b| (b.to_vec(), enter, 2)),
                // Without its enter event, a current exit carries the tuple itself.
                None if exit_args => {
                    let i = cur.ev.info().and_then(|i| i.param_index("tuple"));
                    i.and_then(|i| Some((p_bytes(&cur.ev, i)?.to_vec(), cur.ev, i)))
                }
                None => {
                    put_back(state, cur.tid, fd, f);
                    return;
                }
            }
        } else {
            None
        };
        if let Some((bytes, src_ev, idx)) = tuple
            && update_fd(state, &mut f, &bytes)
        {
            if matches!(f.kind, FdKind::Ipv4Socket | FdKind::Ipv6Socket) {
                if f.is_role_none() {
                    // The guess looks at the process's table, this fd included as updated.
                    put_back(state, cur.tid, fd, f.clone());
                    guess_role(state, cur.tid, &mut f, reads);
                }
                if (reads && f.is_client()) || (!reads && f.is_server()) {
                    swap_addresses(&mut f);
                }
                f.name = sock_name(&f).into_bytes();
            } else if let Some(p) = src_ev.param(idx) {
                f.name = param_text(&p);
            }
        }
        put_back(state, cur.tid, fd, f);
    }
}

fn put_back(state: &mut State, tid: i64, fd: i64, f: FdInfo) {
    if let Some(slot) = state.threads.fds_mut(tid).and_then(|t| t.get_mut(fd)) {
        *slot = f;
    }
}
