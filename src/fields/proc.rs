//! `proc.*`, `thread.*`, `user.*`, `group.*` and `container.*`: who made the event.

use std::fmt::Write;

use super::{EventView, Field, Kind as K, Sel};
use crate::state::Thread;
use crate::state::thread::{clone_flags, nul_list};

fn push_i64(out: &mut String, n: i64) {
    crate::event::render::push_i64(out, n);
}

fn push_u64(out: &mut String, n: u64) {
    crate::event::render::push_u64(out, n);
}

fn push_bytes(out: &mut String, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(b)),
    }
}

fn push_bool(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

/// Items of a NUL-separated list joined with single spaces.
fn push_joined(out: &mut String, list: &[u8]) {
    for (i, a) in nul_list(list).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_bytes(out, a);
    }
}

/// Name, then each argument after a space.
fn push_cmdline(out: &mut String, t: &Thread) {
    push_bytes(out, &t.comm);
    for a in nul_list(&t.args) {
        out.push(' ');
        push_bytes(out, a);
    }
}

/// The cgroups as `(subsystem, path)`, subsystems named as libsinsp names them (`_cgroup`
/// dropped, `perf`, `mem` and `io` renamed), the path after the last `=`.
pub(crate) fn cgroups(t: &Thread) -> impl Iterator<Item = (String, &[u8])> {
    nul_list(&t.cgroups).map_while(|entry| {
        let eq = entry.iter().rposition(|&c| c == b'=')?;
        let mut subsys = String::from_utf8_lossy(&entry[..eq]).into_owned();
        if let Some(pos) = subsys.find("_cgroup") {
            subsys.replace_range(pos..pos + "_cgroup".len(), "");
        }
        let subsys = match subsys.as_str() {
            "perf" => "perf_event".into(),
            "mem" => "memory".into(),
            "io" => "blkio".into(),
            _ => subsys,
        };
        Some((subsys, &entry[eq + 1..]))
    })
}

/// execve's flags: the executable is in an overlay's upper layer, or is a memfd.
const EXE_UPPER_LAYER: u32 = 2;
const EXE_FROM_MEMFD: u32 = 4;

/// Capability names by bit, as Linux numbers them.
const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability mask as names separated by spaces (empty for none).
fn push_caps(out: &mut String, caps: u64) {
    let mut first = true;
    for (bit, name) in CAP_NAMES.iter().enumerate() {
        if caps & (1 << bit) != 0 {
            if !first {
                out.push(' ');
            }
            out.push_str(name);
            first = false;
        }
    }
}

/// The thread `tid` of the table.
fn thread<'a>(v: &EventView<'a>, tid: i64) -> Option<&'a Thread> {
    v.state.threads.get(tid)
}

/// Follows the parent links from the process of `t` `levels` times.
fn ancestor<'a>(v: &EventView<'a>, t: &'a Thread, levels: i64) -> Option<&'a Thread> {
    let mut mt = v.state.threads.main_of_opt(t)?;
    for _ in 0..levels.max(0) {
        mt = thread(v, mt.ptid)?;
    }
    Some(mt)
}

/// Visits the ancestors of `t` (not `t`), stopping at a loop, like libsinsp's traversal.
fn for_each_parent<'a>(
    v: &EventView<'a>,
    t: &'a Thread,
    mut visit: impl FnMut(&'a Thread) -> bool,
) {
    let parent = |x: Option<&'a Thread>| x.and_then(|x| thread(v, x.ptid));
    let mut slow = parent(Some(t));
    let mut fast = parent(slow);
    while let Some(s) = slow {
        if s.tid == -1 || !visit(s) {
            break;
        }
        slow = parent(Some(s));
        for _ in 0..2 {
            fast = parent(fast);
            if let Some(s) = slow
                && (fast.is_some_and(|f| std::ptr::eq(f, s)) || s.tid == s.ptid)
            {
                return;
            }
        }
    }
}

pub(super) fn extract(field: &Field, kind: K, v: &EventView<'_>, out: &mut String) -> bool {
    if kind == K::Tid {
        push_i64(out, v.raw.event.tid());
        return true;
    }
    if kind == K::ExecTime || kind == K::TotExecTime {
        // On a context switch: the time since the previous switch on the same CPU (as this
        // field saw them), which is how long the thread switched out ran.
        let ty = v.raw.event.event_type();
        let mut mem = field.memory.borrow_mut();
        let ran = if ty == 146 || ty == crate::parse::ids::SCHEDSWITCH_6_E {
            let ts = v.raw.event.ts();
            let last = mem.per_cpu.insert(v.raw.cpu, ts).unwrap_or(0);
            if last != 0 { ts.wrapping_sub(last) } else { 0 }
        } else {
            0
        };
        if kind == K::ExecTime {
            push_u64(out, ran);
            return true;
        }
        let Some(t) = v.thread() else {
            return false;
        };
        let total = mem.per_thread.entry(t.tid).or_insert(0);
        *total += ran;
        push_u64(out, *total);
        return true;
    }
    let Some(t) = v.thread() else {
        return false;
    };
    let main = v.state.threads.main_of_opt(t);
    match kind {
        K::Pid => push_i64(out, t.pid),
        K::Exe => push_bytes(out, &t.exe),
        K::Name => push_bytes(out, &t.comm),
        K::ProcArgs => push_joined(out, &t.args),
        K::Env => match main {
            Some(m) => push_joined(out, &m.env),
            None => push_joined(out, &t.env),
        },
        K::Cmdline => push_cmdline(out, t),
        K::Exeline => {
            push_bytes(out, &t.exe);
            out.push(' ');
            push_joined(out, &t.args);
        }
        K::Cwd => match main {
            Some(m) => push_bytes(out, &m.cwd),
            None => out.push_str("./"),
        },
        K::NThreads => match main {
            Some(m) => push_u64(out, u64::from(m.nchilds) + 1),
            None => return false,
        },
        K::NChilds => push_u64(out, u64::from(t.nchilds)),
        K::IsMain => push_bool(
            out,
            t.is_main() || t.flags & clone_flags::IS_MAIN_THREAD != 0,
        ),
        K::PPid => match main {
            Some(m) => push_i64(out, m.ptid),
            None => return false,
        },
        K::PName | K::PCmdline => {
            let Some(p) = thread(v, t.ptid) else {
                return false;
            };
            if kind == K::PName {
                push_bytes(out, &p.comm);
            } else {
                push_cmdline(out, p);
            }
        }
        K::APid | K::AName => {
            let levels = match field.sel {
                Sel::Index(n) => n,
                _ => 0,
            };
            let Some(a) = ancestor(v, t, levels) else {
                return false;
            };
            if kind == K::APid {
                push_i64(out, a.pid);
            } else {
                push_bytes(out, &a.comm);
            }
        }
        K::LoginShellId => {
            let Some(mt) = main else {
                return false;
            };
            let is_shell = |x: &Thread| x.comm.ends_with(b"sh");
            let mut found = is_shell(mt).then_some(mt.pid);
            for_each_parent(v, mt, |p| {
                if is_shell(p) {
                    found = Some(p.pid);
                }
                true
            });
            let Some(pid) = found else {
                return false;
            };
            push_i64(out, pid);
        }
        K::Duration => {
            if t.clone_ts == 0 {
                return false;
            }
            push_u64(out, v.raw.event.ts().wrapping_sub(t.clone_ts));
        }
        K::FdOpenCount | K::FdLimit | K::FdUsage => {
            let Some(m) = main else {
                return false;
            };
            let open = m.fds.len() as u64;
            match kind {
                K::FdOpenCount => push_u64(out, open),
                K::FdLimit => push_i64(out, m.fdlimit),
                _ => {
                    let pct = if m.fdlimit > 0 {
                        if open <= m.fdlimit as u64 {
                            open as f64 * 100.0 / m.fdlimit as f64
                        } else {
                            100.0
                        }
                    } else {
                        0.0
                    };
                    let _ = write!(out, "{pct:.1}");
                }
            }
        }
        K::VmSize => push_u64(out, u64::from(t.vmsize_kb)),
        K::VmRss => push_u64(out, u64::from(t.vmrss_kb)),
        K::VmSwap => push_u64(out, u64::from(t.vmswap_kb)),
        K::PfMajor => push_u64(out, t.pfmajor),
        K::PfMinor => push_u64(out, t.pfminor),
        K::ThreadVmSize | K::ThreadVmRss | K::ThreadVmSizeB | K::ThreadVmRssB => {
            let kb = if !t.is_main() {
                0
            } else if matches!(kind, K::ThreadVmSize | K::ThreadVmSizeB) {
                u64::from(t.vmsize_kb)
            } else {
                u64::from(t.vmrss_kb)
            };
            let bytes = matches!(kind, K::ThreadVmSizeB | K::ThreadVmRssB);
            push_u64(out, if bytes { kb * 1024 } else { kb });
        }
        K::Cgroups => {
            let mut any = false;
            for (i, (subsys, path)) in cgroups(t).enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&subsys);
                out.push('=');
                push_bytes(out, path);
                any = true;
            }
            return any;
        }
        K::Cgroup => {
            let Sel::Name(want) = &field.sel else {
                return false;
            };
            let Some((_, path)) = cgroups(t).find(|(s, _)| s == want) else {
                return false;
            };
            push_bytes(out, path);
        }
        K::VTid => {
            if t.vtid == -1 {
                return false;
            }
            push_i64(out, t.vtid);
        }
        K::VPid => {
            if t.vpid == -1 {
                return false;
            }
            push_i64(out, t.vpid);
        }
        K::ThreadCpu | K::ThreadCpuUser | K::ThreadCpuSystem => return false,
        K::Sid => push_i64(out, t.sid),
        K::SName => {
            if let Some(s) = thread(v, t.sid) {
                push_bytes(out, &s.comm);
            } else {
                let Some(mut leader) = main else {
                    return false;
                };
                let sid = leader.sid;
                for_each_parent(v, leader, |p| {
                    if p.sid != sid {
                        return false;
                    }
                    leader = p;
                    true
                });
                push_bytes(out, &leader.comm);
            }
        }
        K::Tty => push_i64(out, i64::from(t.tty as i32)),
        K::ExePath => push_bytes(out, &t.exepath),
        K::NameTid => {
            push_bytes(out, &t.comm);
            push_i64(out, v.raw.event.tid());
        }
        K::VPgid => push_i64(out, t.vpgid),
        K::IsHealthcheck | K::IsLivenessProbe | K::IsReadinessProbe => push_bool(out, false),
        K::IsExeWritable => push_bool(out, t.exe_writable),
        K::IsExeUpperLayer => push_bool(out, t.exe_flags & EXE_UPPER_LAYER != 0),
        K::IsExeFromMemfd => push_bool(out, t.exe_flags & EXE_FROM_MEMFD != 0),
        K::ExeIno | K::ExeInoCtime | K::ExeInoMtime => {
            let n = match kind {
                K::ExeIno => t.exe_ino,
                K::ExeInoCtime => t.exe_ino_ctime,
                _ => t.exe_ino_mtime,
            };
            if n == 0 {
                return false;
            }
            push_u64(out, n);
        }
        K::ExeInoCtimeDurationProcStart => {
            let start = main.map_or(t.clone_ts, |m| m.clone_ts);
            if t.exe_ino_ctime == 0 || start == 0 {
                return false;
            }
            push_u64(out, start.saturating_sub(t.exe_ino_ctime));
        }
        K::PExe | K::PExePath => {
            let Some(p) = main.and_then(|m| thread(v, m.ptid)) else {
                return false;
            };
            push_bytes(out, if kind == K::PExe { &p.exe } else { &p.exepath });
        }
        K::AExePath => {
            let levels = match field.sel {
                Sel::Index(n) => n,
                _ => 0,
            };
            let Some(a) = ancestor(v, t, levels) else {
                return false;
            };
            push_bytes(out, &a.exepath);
        }
        K::PPidDuration => {
            let Some(p) = main.and_then(|m| thread(v, m.ptid)) else {
                return false;
            };
            if p.clone_ts == 0 {
                return false;
            }
            push_u64(out, v.raw.event.ts().saturating_sub(p.clone_ts));
        }
        K::IsVpgidLeader => {
            let Some(m) = main else {
                return false;
            };
            if t.vpgid <= 0 {
                return false;
            }
            push_bool(out, m.vpid == t.vpgid);
        }
        K::VpgidName | K::VpgidExe => {
            // The leader: the process whose pid is the (host) process group id.
            let Some(leader) = (t.pgid > 0).then(|| thread(v, t.pgid)).flatten() else {
                return false;
            };
            push_bytes(
                out,
                if kind == K::VpgidName {
                    &leader.comm
                } else {
                    &leader.exe
                },
            );
        }
        K::CapPermitted | K::CapEffective | K::CapInheritable => {
            let caps = match kind {
                K::CapPermitted => t.cap_permitted,
                K::CapEffective => t.cap_effective,
                _ => t.cap_inheritable,
            };
            push_caps(out, caps);
        }
        K::Uid => push_u64(out, u64::from(t.uid)),
        K::UserName | K::HomeDir | K::Shell => {
            let Some(u) = v.state.users.user(t.uid) else {
                return false;
            };
            push_bytes(
                out,
                match kind {
                    K::UserName => &u.name,
                    K::HomeDir => &u.homedir,
                    _ => &u.shell,
                },
            );
        }
        K::LoginUid => push_i64(out, i64::from(t.loginuid as i32)),
        K::LoginName => {
            let Some(u) = v.state.users.user(t.loginuid) else {
                return false;
            };
            push_bytes(out, &u.name);
        }
        K::Gid => {
            // sysdig 0.29 reads this 32-bit id as 64 bits, taking the thread's count of
            // other threads (stored next to it) as the high half.
            push_u64(out, u64::from(t.gid) | (u64::from(t.nchilds) << 32));
        }
        K::GroupName => {
            let Some(g) = v.state.users.group(t.gid) else {
                return false;
            };
            push_bytes(out, g);
        }
        K::ContainerId => {
            if t.container_id.is_empty() {
                out.push_str("host");
            } else {
                out.push_str(&t.container_id);
            }
        }
        K::ContainerName | K::ContainerType => {
            if t.container_id.is_empty() {
                out.push_str("host");
                return true;
            }
            let Some(c) = v.state.containers.get(&t.container_id) else {
                return false;
            };
            let text = if kind == K::ContainerName {
                &c.name
            } else {
                &c.kind
            };
            if text.is_empty() {
                return false;
            }
            out.push_str(text);
        }
        K::ContainerImage
        | K::ContainerImageId
        | K::ContainerImageRepo
        | K::ContainerImageTag
        | K::ContainerImageDigest => {
            let Some(c) = v.state.containers.get(&t.container_id) else {
                return false;
            };
            let text = match kind {
                K::ContainerImage => &c.image,
                K::ContainerImageId => &c.image_id,
                K::ContainerImageRepo => &c.image_repo,
                K::ContainerImageTag => &c.image_tag,
                _ => &c.image_digest,
            };
            if text.is_empty() {
                return false;
            }
            out.push_str(text);
        }
        K::ContainerStartTs => {
            let Some(c) = v.state.containers.get(&t.container_id) else {
                return false;
            };
            if c.created_ns == 0 {
                return false;
            }
            push_u64(out, c.created_ns);
        }
        K::K8sNsName | K::K8sPodName | K::K8sPodUid => {
            let Some(c) = v.state.containers.get(&t.container_id) else {
                return false;
            };
            let key = match kind {
                K::K8sNsName => "io.kubernetes.pod.namespace",
                K::K8sPodName => "io.kubernetes.pod.name",
                _ => "io.kubernetes.pod.uid",
            };
            let Some((_, value)) = c.labels.iter().find(|(k, _)| k == key) else {
                return false;
            };
            out.push_str(value);
        }
        K::ContainerPrivileged => {
            let Some(c) = v.state.containers.get(&t.container_id) else {
                return false;
            };
            if !c.has_privileged() {
                return false;
            }
            push_bool(out, c.privileged);
        }
        K::ContainerMounts => {
            let Some(c) = v.state.containers.get(&t.container_id) else {
                return false;
            };
            for (i, m) in c.mounts.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_mount(out, m);
            }
        }
        K::ContainerMount
        | K::ContainerMountSource
        | K::ContainerMountDest
        | K::ContainerMountMode
        | K::ContainerMountRdwr
        | K::ContainerMountPropagation => {
            let Some(c) = v.state.containers.get(&t.container_id) else {
                return false;
            };
            let m = match &field.sel {
                Sel::Index(i) => usize::try_from(*i).ok().and_then(|i| c.mounts.get(i)),
                // A source pattern names the mount, except for the source itself, which is
                // found by its destination.
                Sel::Name(pat) => c.mounts.iter().find(|m| {
                    let target = if kind == K::ContainerMountSource {
                        &m.dest
                    } else {
                        &m.source
                    };
                    glob_match(pat.as_bytes(), target.as_bytes())
                }),
                Sel::None => None,
            };
            let Some(m) = m else {
                return false;
            };
            match kind {
                K::ContainerMount => push_mount(out, m),
                K::ContainerMountSource => out.push_str(&m.source),
                K::ContainerMountDest => out.push_str(&m.dest),
                K::ContainerMountMode => out.push_str(&m.mode),
                K::ContainerMountRdwr => push_bool(out, m.rdwr),
                _ => out.push_str(&m.propagation),
            }
        }
        K::ContainerHealthcheck | K::ContainerLivenessProbe | K::ContainerReadinessProbe => {
            let Some(c) = v.state.containers.get(&t.container_id) else {
                return false;
            };
            let i = match kind {
                K::ContainerHealthcheck => 0,
                K::ContainerLivenessProbe => 1,
                _ => 2,
            };
            match &c.probes[i] {
                Some((exe, args)) => {
                    out.push_str(exe);
                    for a in args {
                        out.push(' ');
                        out.push_str(a);
                    }
                }
                None => out.push_str("NONE"),
            }
        }
        _ => return false,
    }
    true
}

/// A mount as `source:dest:mode:rdwr:propagation`.
fn push_mount(out: &mut String, m: &crate::state::container::Mount) {
    out.push_str(&m.source);
    out.push(':');
    out.push_str(&m.dest);
    out.push(':');
    out.push_str(&m.mode);
    out.push(':');
    push_bool(out, m.rdwr);
    out.push(':');
    out.push_str(&m.propagation);
}

/// Shell-style pattern matching: `*` any run, `?` one byte, `[...]` a set.
pub(crate) fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star_p, mut star_t) = (usize::MAX, 0);
    while t < text.len() {
        if p < pat.len() && pat[p] == b'*' {
            star_p = p;
            star_t = t;
            p += 1;
            continue;
        }
        if p < pat.len() {
            if pat[p] == b'[' {
                if let Some((true, next)) = match_set(&pat[p..], text[t]) {
                    p += next;
                    t += 1;
                    continue;
                }
            } else if pat[p] == b'?' || pat[p] == text[t] {
                p += 1;
                t += 1;
                continue;
            }
        }
        if star_p == usize::MAX {
            return false;
        }
        p = star_p + 1;
        star_t += 1;
        t = star_t;
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the set at the start of `pat` (`[abc]`, `[a-z]`, `[!x]`); returns
/// whether it matched and the set's length.
fn match_set(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pat.len() && (first || pat[i] != b']') {
        first = false;
        if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
            matched |= (pat[i]..=pat[i + 2]).contains(&c);
            i += 3;
        } else {
            matched |= pat[i] == c;
            i += 1;
        }
    }
    if i >= pat.len() {
        return None;
    }
    Some((matched != negate, i + 1))
}
