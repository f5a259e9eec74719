//! The state of the machine when a live capture starts, read from /proc and /etc into the
//! same records a capture file's process list, fd lists and user list carry, so that one
//! seeding path serves both sources and a live capture written to a file keeps them.
//!
//! Processes come and go during the scan; anything that vanishes is skipped.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::capture::file::blocks::fd_type;
use crate::capture::file::{FdDetail, FdListRecord, FdRecord, Metadata, ThreadRecord, UserRecord};

/// Reads every thread with its fds, and the users.
pub fn scan() -> Metadata {
    let mut md = Metadata::default();
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
        let fds = fd_list(&dir, pid);
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
    fs::read_link(path)
        .map(|p| p.as_os_str().as_bytes().to_vec())
        .unwrap_or_default()
}

/// The value of `Key:` in a /proc status file.
fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
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
    Some(ThreadRecord {
        tid,
        pid,
        ptid: num(1) as u64,
        sid: num(3),
        vpgid: num(2),
        comm,
        exe,
        exepath: link(&dir.join("exe")),
        args: args_only,
        cwd: link(&dir.join("cwd")),
        fdlimit,
        uid: ids("Uid"),
        gid: ids("Gid"),
        vmsize_kb: kb("VmSize"),
        vmrss_kb: kb("VmRSS"),
        vmswap_kb: kb("VmSwap"),
        pfmajor: num(9) as u64,
        pfminor: num(7) as u64,
        env: read(&dir.join("environ")),
        vtid: last_ns("NSpid").unwrap_or(tid as i64),
        vpid: last_ns("NStgid").unwrap_or(pid as i64),
        cgroups,
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

/// The fds of process `pid`: files, directories and other named fds by their link target.
/// Sockets are listed by type only for now.
fn fd_list(dir: &Path, pid: u64) -> FdListRecord {
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
        } else if target.starts_with(b"socket:") {
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
                name: f[0].to_vec(),
                homedir: f[5].to_vec(),
                shell: f[6].to_vec(),
            })
        })
        .collect()
}
