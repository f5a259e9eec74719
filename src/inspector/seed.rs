//! The initial state from a capture's metadata: its process list with each process's open
//! fds, its users and groups, its network interfaces. Loaded as libsinsp loads it.

use crate::capture::file::blocks::fd_type;
use crate::capture::file::{FdDetail, FdListRecord, Metadata, ThreadRecord};
use crate::parse::Parser;
use crate::state::fd::{FdFlags, FdInfo, FdKind};
use crate::state::ifaces::Ipv4Iface;
use crate::state::sock::{Ipv4Server, Ipv4Tuple, Ipv6Server, Ipv6Tuple, is_ipv4_mapped, l4};
use crate::state::thread::clone_flags;
use crate::state::{State, Thread, User, path};

/// Loads everything `md` describes into `state`.
pub(crate) fn seed(state: &mut State, parser: &mut Parser, md: &Metadata) {
    let mut fd_lists: hashbrown::HashMap<u64, &FdListRecord> = hashbrown::HashMap::new();
    for l in &md.fd_lists {
        fd_lists.insert(l.tid, l);
    }
    for rec in &md.threads {
        let mut t = thread_from_record(rec);
        if let Some(list) = fd_lists.get(&rec.tid) {
            // libsinsp builds every fd of a thread in one scratch record whose socket
            // addresses are not cleared between fds; a listening socket keeps the bytes its
            // view does not cover, which show if it later gets a peer.
            let mut scratch = crate::state::sock::SockAddrs::default();
            for fd in &list.fds {
                if let Some(info) = fd_from_record(parser, &fd.detail, fd.ino, &mut scratch) {
                    let max = state.limits.max_fds_per_process;
                    if !t.fds.insert(fd.fd, info, max) {
                        state.evictions.fds_dropped += 1;
                    }
                }
            }
        }
        crate::parse::resolve_container(state, &mut t);
        if state.threads.len() >= state.limits.max_threads {
            state.evictions.threads_dropped += 1;
            continue;
        }
        state.threads.insert(t);
    }
    for i in &md.ipv4_interfaces {
        state.interfaces.ipv4.push(Ipv4Iface {
            addr: i.addr,
            netmask: i.netmask,
        });
    }
    for i in &md.ipv6_interfaces {
        state.interfaces.ipv6.push(i.addr);
    }
    for u in &md.users {
        state.users.add_user(User {
            uid: u.uid,
            gid: u.gid,
            name: u.name.clone(),
            homedir: u.homedir.clone(),
            shell: u.shell.clone(),
        });
    }
    for g in &md.groups {
        state.users.add_group(g.gid, g.name.clone());
    }
    parser.finish_initial_state(state);
}

/// A thread of the process list. Environment and working directory are kept on the main
/// thread only (the others use the main thread's).
fn thread_from_record(r: &ThreadRecord) -> Thread {
    let mut t = Thread::new();
    t.tid = r.tid as i64;
    t.pid = r.pid as i64;
    t.ptid = r.ptid as i64;
    t.sid = r.sid;
    t.vpgid = r.vpgid;
    t.pgid = r.pgid;
    t.comm = r.comm.clone();
    t.exe = r.exe.clone();
    t.exepath = r.exepath.clone();
    t.exe_writable = r.exe_writable;
    t.args = r.args.clone();
    if t.is_main() {
        t.env = crate::parse::trim_env(&r.env).to_vec();
        let mut cwd = path::join(b"", &r.cwd);
        if cwd.last() != Some(&b'/') {
            cwd.push(b'/');
        }
        t.cwd = cwd;
    }
    t.flags |= r.flags | clone_flags::ACTIVE;
    t.fdlimit = r.fdlimit as i64;
    t.uid = r.uid;
    t.gid = r.gid;
    t.vmsize_kb = r.vmsize_kb;
    t.vmrss_kb = r.vmrss_kb;
    t.vmswap_kb = r.vmswap_kb;
    t.pfmajor = r.pfmajor;
    t.pfminor = r.pfminor;
    t.vtid = r.vtid;
    t.vpid = r.vpid;
    t.tty = r.tty;
    t.loginuid = r.loginuid;
    t.cap_inheritable = r.cap_inheritable;
    t.cap_permitted = r.cap_permitted;
    t.cap_effective = r.cap_effective;
    t.cgroups = r.cgroups.clone();
    t.root = r.root.clone();
    t
}

/// An fd of the fd list, named as libsinsp names it; `None` for types it does not keep.
fn fd_from_record(
    parser: &mut Parser,
    d: &FdDetail,
    ino: u64,
    scratch: &mut crate::state::sock::SockAddrs,
) -> Option<FdInfo> {
    let mut f = FdInfo::new(FdKind::Unknown, Vec::new());
    f.flags = FdFlags::FROM_PROC;
    f.ino = ino;
    f.sock = *scratch;
    let f = fill_fd(parser, d, f)?;
    *scratch = f.sock;
    Some(f)
}

fn fill_fd(parser: &mut Parser, d: &FdDetail, mut f: FdInfo) -> Option<FdInfo> {
    match d {
        FdDetail::Ipv4Sock {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            f.kind = FdKind::Ipv4Socket;
            let t = Ipv4Tuple {
                sip: *sip,
                dip: *dip,
                sport: *sport,
                dport: *dport,
                l4: *l4proto,
            };
            f.sock.set_ipv4(t);
            if *l4proto == l4::TCP {
                f.flags.insert(FdFlags::SOCKET_CONNECTED);
            }
            f.name = crate::parse::ipv4_tuple_name(&t).into_bytes();
        }
        FdDetail::Ipv4ServSock { ip, port, l4proto } => {
            f.kind = FdKind::Ipv4Server;
            let s = Ipv4Server {
                ip: *ip,
                port: *port,
                l4: *l4proto,
            };
            f.sock.set_ipv4_server(s);
            f.name = crate::parse::ipv4_server_name(&s).into_bytes();
            parser.add_server_port(*port);
        }
        FdDetail::Ipv6Sock {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            if is_ipv4_mapped(sip) && is_ipv4_mapped(dip) {
                f.kind = FdKind::Ipv4Socket;
                let t = Ipv4Tuple {
                    sip: [sip[12], sip[13], sip[14], sip[15]],
                    dip: [dip[12], dip[13], dip[14], dip[15]],
                    sport: *sport,
                    dport: *dport,
                    l4: *l4proto,
                };
                f.sock.set_ipv4(t);
                f.name = crate::parse::ipv4_tuple_name(&t).into_bytes();
            } else {
                f.kind = FdKind::Ipv6Socket;
                let t = Ipv6Tuple {
                    sip: *sip,
                    dip: *dip,
                    sport: *sport,
                    dport: *dport,
                    l4: *l4proto,
                };
                f.sock.set_ipv6(t);
                f.name = crate::parse::ipv6_tuple_name(&t).into_bytes();
            }
            if *l4proto == l4::TCP {
                f.flags.insert(FdFlags::SOCKET_CONNECTED);
            }
        }
        FdDetail::Ipv6ServSock { ip, port, l4proto } => {
            f.kind = FdKind::Ipv6Server;
            let s = Ipv6Server {
                ip: *ip,
                port: *port,
                l4: *l4proto,
            };
            f.sock.set_ipv6_server(s);
            f.name = crate::parse::ipv6_server_name(&s).into_bytes();
            parser.add_server_port(*port);
        }
        FdDetail::UnixSock { source, dest, name } => {
            f.kind = FdKind::UnixSocket;
            f.sock.set_unix(*source, *dest);
            f.name = crate::event::value::until_nul(name).to_vec();
            f.flags.insert(if f.name.is_empty() {
                FdFlags::ROLE_CLIENT
            } else {
                FdFlags::ROLE_SERVER
            });
        }
        FdDetail::File {
            open_flags,
            name,
            dev,
        } => {
            f.kind = FdKind::File;
            f.open_flags = *open_flags;
            f.name = crate::event::value::until_nul(name).to_vec();
            f.dev = *dev;
            f.flags.insert(tracer_flag(&f.name));
        }
        FdDetail::Named { fd_type: ty, name } => {
            f.kind = match *ty {
                fd_type::FILE => FdKind::File,
                fd_type::DIRECTORY => FdKind::Directory,
                fd_type::FIFO => FdKind::Fifo,
                fd_type::EVENT => FdKind::Event,
                fd_type::UNSUPPORTED => FdKind::Unsupported,
                fd_type::SIGNALFD => FdKind::Signalfd,
                fd_type::EVENTPOLL => FdKind::Eventpoll,
                fd_type::INOTIFY => FdKind::Inotify,
                fd_type::TIMERFD => FdKind::Timerfd,
                fd_type::NETLINK => FdKind::Netlink,
                fd_type::BPF => FdKind::Bpf,
                fd_type::USERFAULTFD => FdKind::Userfaultfd,
                fd_type::IOURING => FdKind::IoUring,
                fd_type::MEMFD => FdKind::Memfd,
                fd_type::PIDFD => FdKind::Pidfd,
                _ => return None,
            };
            f.name = crate::event::value::until_nul(name).to_vec();
            f.flags.insert(tracer_flag(&f.name));
        }
        FdDetail::Unknown => return None,
    }
    Some(f)
}

fn tracer_flag(name: &[u8]) -> FdFlags {
    if name == b"/dev/null" {
        FdFlags::IS_TRACER_FILE
    } else {
        FdFlags::IS_NOT_TRACER_FD
    }
}
