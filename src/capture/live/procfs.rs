//! The state of the machine when a live capture starts, read from /proc and /etc into the
//! same records a capture file's process list, fd lists and user list carry, so that one
//! seeding path serves both sources and a live capture written to a file keeps them.
//!
//! Processes come and go during the scan; anything that vanishes is skipped.

use std::collections::HashMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::capture::file::blocks::{
    MAX_ARGS, MAX_CGROUPS, MAX_CREDENTIALS, MAX_ENV, MAX_PATH, fd_type,
};
use crate::capture::file::{FdDetail, FdListRecord, FdRecord, Metadata, ThreadRecord, UserRecord};
use crate::state::sock::l4;

/// Reads every thread with its fds (sockets with their addresses), and the users.
pub fn scan() -> Metadata {
    let mut md = Metadata::default();
    let sockets = sockets();
    let Ok(procs) = fs::read_dir("/proc") else {
        return md;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        let dir = p.path();
        let Some(main) = thread(&dir, pid, pid) else {
            continue;
        };
        let fds = fd_list(&dir, pid, &sockets);
        let Ok(tasks) = fs::read_dir(dir.join("task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<u64>().ok()) else {
                continue;
            };
            let rec = if tid == pid {
                main.clone()
            } else {
                match thread(&t.path(), tid, pid) {
                    Some(r) => r,
                    None => continue,
                }
            };
            md.threads.push(rec);
        }
        md.fd_lists.push(fds);
    }
    md.users = users();
    md
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_default()
}

fn link(path: &Path) -> Vec<u8> {
    let mut l = fs::read_link(path)
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .unwrap_or_default();
    l.truncate(MAX_PATH - 1);
    l
}

/// A string cut to the format's limit for it (with room for its NUL), as libscap cuts what
/// it reads from /proc, so that every record written to a file reads back.
fn cut(mut s: Vec<u8>, max: usize) -> Vec<u8> {
    s.truncate(max - 1);
    s
}

/// A list of NUL-terminated strings cut to `max` bytes at a string boundary.
fn cut_list(mut s: Vec<u8>, max: usize) -> Vec<u8> {
    if s.len() > max {
        s.truncate(max);
        let keep = s.iter().rposition(|&b| b == 0).map_or(0, |i| i + 1);
        s.truncate(keep);
    }
    s
}

/// The value of `Key:` in a /proc status file.
fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

/// Whether a file-system user `fsuid`/`fsgid` with effective capabilities `caps` may write
/// the file `m` describes, decided as the probe decides it at execve: its owner may; else
/// the group's or others' write bit; CAP_DAC_OVERRIDE or CAP_FOWNER may always.
/// Supplementary groups, read-only mounts and immutable files are not looked at.
fn writable_by(m: &fs::Metadata, fsuid: u32, fsgid: u32, caps: u64) -> bool {
    const CAP_DAC_OVERRIDE: u64 = 1 << 1;
    const CAP_FOWNER: u64 = 1 << 3;
    caps & (CAP_DAC_OVERRIDE | CAP_FOWNER) != 0
        || m.uid() == fsuid
        || if m.gid() == fsgid {
            m.mode() & 0o020 != 0
        } else {
            m.mode() & 0o002 != 0
        }
}

fn thread(dir: &Path, tid: u64, pid: u64) -> Option<ThreadRecord> {
    let stat = String::from_utf8(fs::read(dir.join("stat")).ok()?).ok()?;
    // The comm is in parentheses and may hold spaces and parentheses itself.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let num = |i: usize| f.get(i).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let status = String::from_utf8(read(&dir.join("status"))).unwrap_or_default();
    let ids = |key| {
        status_field(&status, key)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let kb = |key| {
        status_field(&status, key)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    };
    // The innermost namespace's ids are the last of NSpid/NStgid.
    let last_ns = |key| {
        status_field(&status, key)
            .and_then(|v| v.split_whitespace().last())
            .and_then(|v| v.parse::<i64>().ok())
    };
    let mut comm = read(&dir.join("comm"));
    if comm.last() == Some(&b'\n') {
        comm.pop();
    }
    let args = read(&dir.join("cmdline"));
    let exe = args
        .split(|&b| b == 0)
        .next()
        .filter(|a| !a.is_empty())
        .map(<[u8]>::to_vec)
        .unwrap_or_else(|| comm.clone());
    let args_only = match args.iter().position(|&b| b == 0) {
        Some(i) => args[i + 1..].to_vec(),
        None => Vec::new(),
    };
    let fdlimit = String::from_utf8(read(&dir.join("limits")))
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|x| x.starts_with("Max open files"))
                .and_then(|x| x.split_whitespace().nth(3).map(str::to_owned))
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let loginuid = String::from_utf8(read(&dir.join("loginuid")))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(u32::MAX);
    let mut cgroups = Vec::new();
    for line in read(&dir.join("cgroup")).split(|&b| b == b'\n') {
        // `id:controllers:path`; the unified hierarchy has no controllers.
        let mut parts = line.splitn(3, |&b| b == b':');
        let (Some(_), Some(ctrl), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        for c in ctrl.split(|&b| b == b',') {
            let name: &[u8] = if c.is_empty() { b"cgroup" } else { c };
            cgroups.extend_from_slice(name);
            cgroups.push(b'=');
            cgroups.extend_from_slice(path);
            cgroups.push(0);
        }
    }
    let cap = |key| {
        status_field(&status, key)
            .and_then(|v| u64::from_str_radix(v, 16).ok())
            .unwrap_or(0)
    };
    // The file-system ids are the fourth of Uid/Gid.
    let fs_id = |key| {
        status_field(&status, key)
            .and_then(|v| v.split_whitespace().nth(3))
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let exepath = link(&dir.join("exe"));
    let exe_file = fs::metadata(dir.join("exe")).ok();
    let ns = |s: i64, n: i64| {
        (s as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(n as u64)
    };
    Some(ThreadRecord {
        tid,
        pid,
        ptid: num(1) as u64,
        sid: num(3),
        vpgid: num(2),
        comm: cut(comm, MAX_PATH),
        exe: cut(exe, MAX_PATH),
        exe_writable: exe_file
            .as_ref()
            .is_some_and(|m| writable_by(m, fs_id("Uid"), fs_id("Gid"), cap("CapEff"))),
        exe_from_memfd: exepath.starts_with(b"/memfd:"),
        exe_ino: exe_file.as_ref().map_or(0, |m| m.ino()),
        exe_ino_ctime: exe_file
            .as_ref()
            .map_or(0, |m| ns(m.ctime(), m.ctime_nsec())),
        exe_ino_mtime: exe_file
            .as_ref()
            .map_or(0, |m| ns(m.mtime(), m.mtime_nsec())),
        exepath,
        args: cut_list(args_only, MAX_ARGS),
        cwd: link(&dir.join("cwd")),
        fdlimit,
        uid: ids("Uid"),
        gid: ids("Gid"),
        vmsize_kb: kb("VmSize"),
        vmrss_kb: kb("VmRSS"),
        vmswap_kb: kb("VmSwap"),
        pfmajor: num(9) as u64,
        pfminor: num(7) as u64,
        env: cut_list(read(&dir.join("environ")), MAX_ENV),
        vtid: last_ns("NSpid").unwrap_or(tid as i64),
        vpid: last_ns("NStgid").unwrap_or(pid as i64),
        cgroups: cut_list(cgroups, MAX_CGROUPS),
        root: link(&dir.join("root")),
        tty: num(4) as u32,
        loginuid,
        cap_inheritable: cap("CapInh"),
        cap_permitted: cap("CapPrm"),
        cap_effective: cap("CapEff"),
        pgid: num(2),
        ..ThreadRecord::default()
    })
}

/// The fds of process `pid`: files, directories and other named fds by their link target,
/// sockets with what `sockets` knows of their inode.
fn fd_list(dir: &Path, pid: u64, sockets: &HashMap<u64, FdDetail>) -> FdListRecord {
    let mut list = FdListRecord {
        tid: pid,
        fds: Vec::new(),
    };
    let Ok(entries) = fs::read_dir(dir.join("fd")) else {
        return list;
    };
    for e in entries.flatten() {
        let Some(fd) = e.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let target = link(&e.path());
        if target.is_empty() {
            continue;
        }
        let detail = if target.starts_with(b"/") {
            let is_dir = fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
            if is_dir {
                FdDetail::Named {
                    fd_type: fd_type::DIRECTORY,
                    name: target,
                }
            } else {
                FdDetail::File {
                    open_flags: 0,
                    name: target,
                    dev: 0,
                }
            }
        } else if target.starts_with(b"pipe:") {
            FdDetail::Named {
                fd_type: fd_type::FIFO,
                name: Vec::new(),
            }
        } else if let Some(inode) = target
            .strip_prefix(b"socket:[")
            .and_then(|t| t.strip_suffix(b"]"))
            .and_then(|t| std::str::from_utf8(t).ok()?.parse::<u64>().ok())
        {
            // Sockets of families /proc/net does not list (netlink, packet, ...) stay out.
            let Some(d) = sockets.get(&inode) else {
                continue;
            };
            list.fds.push(FdRecord {
                fd,
                ino: inode,
                detail: d.clone(),
            });
            continue;
        } else {
            let ty = if target.starts_with(b"anon_inode:[eventpoll]") {
                fd_type::EVENTPOLL
            } else if target.starts_with(b"anon_inode:[eventfd]") {
                fd_type::EVENT
            } else if target.starts_with(b"anon_inode:[signalfd]") {
                fd_type::SIGNALFD
            } else if target.starts_with(b"anon_inode:inotify") {
                fd_type::INOTIFY
            } else if target.starts_with(b"anon_inode:[timerfd]") {
                fd_type::TIMERFD
            } else {
                fd_type::UNSUPPORTED
            };
            FdDetail::Named {
                fd_type: ty,
                name: target,
            }
        };
        list.fds.push(FdRecord { fd, ino: 0, detail });
    }
    list
}

/// The users of /etc/passwd.
fn users() -> Vec<UserRecord> {
    let text = read(Path::new("/etc/passwd"));
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let f: Vec<&[u8]> = line.split(|&b| b == b':').collect();
            if f.len() < 7 {
                return None;
            }
            let num = |b: &[u8]| std::str::from_utf8(b).ok()?.parse::<u32>().ok();
            Some(UserRecord {
                uid: num(f[2])?,
                gid: num(f[3])?,
                name: cut(f[0].to_vec(), MAX_CREDENTIALS),
                homedir: cut(f[5].to_vec(), MAX_CREDENTIALS),
                shell: cut(f[6].to_vec(), MAX_CREDENTIALS),
            })
        })
        .collect()
}

/// The sockets of /proc/net by inode: TCP and UDP over IPv4 and IPv6, and unix sockets.
fn sockets() -> HashMap<u64, FdDetail> {
    let mut out = HashMap::new();
    for (file, proto) in [
        ("/proc/net/tcp", l4::TCP),
        ("/proc/net/udp", l4::UDP),
        ("/proc/net/tcp6", l4::TCP),
        ("/proc/net/udp6", l4::UDP),
    ] {
        let text = String::from_utf8(read(Path::new(file))).unwrap_or_default();
        for line in text.lines().skip(1) {
            if let Some((inode, d)) = inet_socket(line, proto) {
                out.insert(inode, d);
            }
        }
    }
    let text = String::from_utf8(read(Path::new("/proc/net/unix"))).unwrap_or_default();
    for line in text.lines().skip(1) {
        // Num RefCount Protocol Flags Type St Inode [Path]
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(num), Some(inode)) = (f.first(), f.get(6)) else {
            continue;
        };
        let (Ok(source), Ok(inode)) = (
            u64::from_str_radix(num.trim_end_matches(':'), 16),
            inode.parse::<u64>(),
        ) else {
            continue;
        };
        let name = cut(
            f.get(7).map(|p| p.as_bytes().to_vec()).unwrap_or_default(),
            MAX_PATH,
        );
        out.insert(
            inode,
            FdDetail::UnixSock {
                source,
                dest: 0,
                name,
            },
        );
    }
    out
}

/// An address of /proc/net/{tcp,udp}{,6}: hexadecimal 32-bit words as the kernel holds
/// them (so each word's bytes are in memory order), a colon, the port in hexadecimal.
fn inet_addr<const N: usize>(s: &str) -> Option<([u8; N], u16)> {
    let (addr, port) = s.split_once(':')?;
    if addr.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_mut(4).enumerate() {
        let word = u32::from_str_radix(addr.get(i * 8..i * 8 + 8)?, 16).ok()?;
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    Some((out, u16::from_str_radix(port, 16).ok()?))
}

/// One line of /proc/net/{tcp,udp}{,6}: a listening (or, for UDP, unconnected) socket as a
/// server socket, any other as a connection from the local end to the remote one.
fn inet_socket(line: &str, proto: u8) -> Option<(u64, FdDetail)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let (local, remote, state, inode) = (f.get(1)?, f.get(2)?, f.get(3)?, f.get(9)?);
    let inode = inode.parse::<u64>().ok()?;
    const LISTEN: &str = "0A";
    /// A listener (or an unconnected UDP socket) becomes `server`, any other `conn`.
    fn detail<const N: usize>(
        local: &str,
        remote: &str,
        listening: bool,
        proto: u8,
        server: fn([u8; N], u16, u8) -> FdDetail,
        conn: fn([u8; N], [u8; N], u16, u16, u8) -> FdDetail,
    ) -> Option<FdDetail> {
        let (sip, sport) = inet_addr::<N>(local)?;
        let (dip, dport) = inet_addr::<N>(remote)?;
        Some(if listening || (proto == l4::UDP && dport == 0) {
            server(sip, sport, proto)
        } else {
            conn(sip, dip, sport, dport, proto)
        })
    }
    let listening = *state == LISTEN;
    let d = if local.len() > 13 {
        detail::<16>(
            local,
            remote,
            listening,
            proto,
            |ip, port, l4proto| FdDetail::Ipv6ServSock { ip, port, l4proto },
            |sip, dip, sport, dport, l4proto| FdDetail::Ipv6Sock {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            },
        )?
    } else {
        detail::<4>(
            local,
            remote,
            listening,
            proto,
            |ip, port, l4proto| FdDetail::Ipv4ServSock { ip, port, l4proto },
            |sip, dip, sport, dport, l4proto| FdDetail::Ipv4Sock {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            },
        )?
    };
    Some((inode, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_lines_become_socket_records() {
        let listen = "   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23456 1 0000000000000000 100 0 0 10 0";
        assert_eq!(
            inet_socket(listen, l4::TCP),
            Some((
                23456,
                FdDetail::Ipv4ServSock {
                    ip: [127, 0, 0, 1],
                    port: 631,
                    l4proto: l4::TCP
                }
            ))
        );
        let conn = "   1: 0F02000A:D4C2 22D8B85D:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 777 1";
        assert_eq!(
            inet_socket(conn, l4::TCP),
            Some((
                777,
                FdDetail::Ipv4Sock {
                    sip: [10, 0, 2, 15],
                    dip: [93, 184, 216, 34],
                    sport: 54466,
                    dport: 443,
                    l4proto: l4::TCP
                }
            ))
        );
        let v6 = "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1";
        let Some((999, FdDetail::Ipv6ServSock { ip, port: 22, .. })) = inet_socket(v6, l4::TCP)
        else {
            panic!("not a v6 listener");
        };
        assert_eq!(ip, std::net::Ipv6Addr::LOCALHOST.octets());
        assert_eq!(inet_socket("garbage", l4::TCP), None);
    }
}
