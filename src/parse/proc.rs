//! Processes and threads: clone/fork (in either order of the parent's and the child's
//! return), execve, identity changes, containers.

use super::ids::*;
use super::{
    CLONE_STALE_TIME_NS, Cur, Parser, add_thread, get_or_make_thread, p_bytes, p_i64, p_str, p_u32,
    p_u64, parse_dirfd, remove_thread,
};
use crate::state::container::Container;
use crate::state::fd::FdFlags;
use crate::state::thread::clone_flags as cf;
use crate::state::{State, Thread, path};

/// execve's flag: the executable is writable by the user who ran it (PPM_EXE_WRITABLE).
const EXE_WRITABLE: u32 = 1;

/// Where a clone exit keeps its flags, uid, gid; whether it has comm, memory counters,
/// cgroups and namespace ids.
struct CloneLayout {
    flags: usize,
    uid: usize,
    has_comm: bool,
    has_mem: bool,
    has_ns: bool,
}

fn clone_layout(ty: u16) -> CloneLayout {
    match ty {
        SYSCALL_CLONE_11_X => CloneLayout {
            flags: 8,
            uid: 9,
            has_comm: false,
            has_mem: false,
            has_ns: false,
        },
        SYSCALL_CLONE_16_X | SYSCALL_FORK_X | SYSCALL_VFORK_X => CloneLayout {
            flags: 13,
            uid: 14,
            has_comm: false,
            has_mem: true,
            has_ns: false,
        },
        SYSCALL_CLONE_17_X | SYSCALL_FORK_17_X | SYSCALL_VFORK_17_X => CloneLayout {
            flags: 14,
            uid: 15,
            has_comm: true,
            has_mem: true,
            has_ns: false,
        },
        _ => CloneLayout {
            flags: 15,
            uid: 16,
            has_comm: true,
            has_mem: true,
            has_ns: true,
        },
    }
}

/// The container of a thread, from its cgroups.
pub(crate) fn resolve_container(state: &mut State, t: &mut Thread) {
    t.container_id.clear();
    if let Some((id, engine)) = state.containers.match_cgroups(&t.cgroups) {
        if engine.records && state.containers.get(&id).is_none() {
            state.containers.insert(Container {
                id: id.clone(),
                kind: engine.kind.into(),
                name: if engine.kind == "docker" {
                    String::new()
                } else {
                    id.clone()
                },
                ..Container::default()
            });
        }
        t.container_id = id;
    }
}

pub(super) fn parse_clone_exit(parser: &mut Parser, state: &mut State, cur: &mut Cur<'_>) {
    let ev = cur.ev;
    let layout = clone_layout(cur.ty);
    let Some(mut childtid) = p_i64(&ev, 0) else {
        return;
    };
    let flags = p_u32(&ev, layout.flags).unwrap_or(0);
    if childtid < 0 {
        return;
    }
    let mut tid = cur.tid;
    let (mut vtid, mut vpid) = (tid, -1);
    if layout.has_ns {
        vtid = p_i64(&ev, 18).unwrap_or(tid);
        vpid = p_i64(&ev, 19).unwrap_or(-1);
    }
    let in_container = flags & cf::CHILD_IN_PIDNS != 0 || tid != vtid;
    let mut inverted = false;
    let mut collision = false;

    if childtid == 0 {
        // The child's return.
        if let Some(t) = state.threads.get(tid)
            && t.clone_ts != 0
            && cur.ts.wrapping_sub(t.clone_ts) > CLONE_STALE_TIME_NS
        {
            remove_thread(state, tid, true);
            cur.has_thread = false;
        }
        let parent = if flags & cf::CLONE_THREAD != 0 {
            p_i64(&ev, 4)
        } else {
            p_i64(&ev, 5)
        }
        .unwrap_or(-1);
        if cur.has_thread && state.threads.contains(tid) {
            // The parent's return already made this thread.
            if in_container && let Some(t) = state.threads.get_mut(tid) {
                t.vtid = vtid;
                t.vpid = vpid;
            }
            return;
        }
        inverted = true;
        childtid = tid;
        tid = parent;
    } else if in_container {
        // The parent sees the child's id in its own namespace: wait for the child's return.
        return;
    }

    if !get_or_make_thread(state, tid, true) {
        return;
    }
    if let Some(child) = state.threads.get(childtid) {
        if child.flags & cf::CLONE_INVERTED != 0 {
            return;
        }
        remove_thread(state, childtid, true);
        collision = true;
    }

    let mut t = Thread::new();
    t.tid = childtid;
    t.ptid = tid;
    let valid_parent = state.threads.get(tid).is_some_and(|p| !p.is_fake());
    if valid_parent {
        let p = state.threads.get(tid).expect("checked above");
        t.comm = p.comm.clone();
        t.exe = p.exe.clone();
        t.exepath = p.exepath.clone();
        t.exe_writable = p.exe_writable;
        t.exe_flags = p.exe_flags;
        t.exe_ino = p.exe_ino;
        t.exe_ino_ctime = p.exe_ino_ctime;
        t.exe_ino_mtime = p.exe_ino_mtime;
        t.args = p.args.clone();
        t.root = p.root.clone();
        t.sid = p.sid;
        t.vpgid = p.vpgid;
        t.tty = p.tty;
        t.loginuid = p.loginuid;
        t.cap_permitted = p.cap_permitted;
        t.cap_effective = p.cap_effective;
        t.cap_inheritable = p.cap_inheritable;
        if flags & cf::CLONE_THREAD == 0 {
            t.env = p.env.clone();
        }
    } else {
        // A parent we know nothing about: start it over, and teach it what the event says.
        remove_thread(state, tid, true);
        collision = true;
        if !get_or_make_thread(state, tid, true) {
            return;
        }
        t.exe = p_str(&ev, 1).unwrap_or_default().to_vec();
        t.comm = if layout.has_comm {
            p_str(&ev, 13).unwrap_or_default().to_vec()
        } else {
            t.exe.clone()
        };
        t.args = p_bytes(&ev, 2).unwrap_or_default().to_vec();
        if let Some(p) = state.threads.get_mut(tid) {
            p.comm = t.comm.clone();
            p.exe = t.exe.clone();
            p.exepath = t.exepath.clone();
            p.args = t.args.clone();
        }
    }

    t.pid = p_i64(&ev, 4).unwrap_or(-1);
    t.flags = flags;
    if flags & cf::CLONE_THREAD == 0 {
        t.pid = childtid;
        // A new process: it starts with a copy of its parent's fds and directory.
        if let Some(table) = state.threads.fds(tid) {
            t.fds = table.clone();
            for (fd, _) in table.iter() {
                if let Some(f) = t.fds.get_mut(fd) {
                    f.flags.insert(FdFlags::IS_CLONED);
                }
            }
        }
        t.cwd = match state.threads.get(tid) {
            Some(p) => state.threads.cwd_of(p).to_vec(),
            None => b"./".to_vec(),
        };
    }
    if inverted {
        t.flags |= cf::CLONE_INVERTED;
    }
    t.exe = p_str(&ev, 1).unwrap_or_default().to_vec();
    t.comm = if layout.has_comm {
        p_str(&ev, 13).unwrap_or_default().to_vec()
    } else {
        t.exe.clone()
    };
    t.args = p_bytes(&ev, 2).unwrap_or_default().to_vec();
    t.fdlimit = p_i64(&ev, 7).unwrap_or(-1);
    if layout.has_mem {
        t.pfmajor = p_u64(&ev, 8).unwrap_or(0);
        t.pfminor = p_u64(&ev, 9).unwrap_or(0);
        t.vmsize_kb = p_u32(&ev, 10).unwrap_or(0);
        t.vmrss_kb = p_u32(&ev, 11).unwrap_or(0);
        t.vmswap_kb = p_u32(&ev, 12).unwrap_or(0);
    }
    t.uid = p_u32(&ev, layout.uid).unwrap_or(0);
    t.gid = p_u32(&ev, layout.uid + 1).unwrap_or(0);
    if in_container {
        t.vtid = vtid;
        t.vpid = vpid;
    } else {
        t.vtid = t.tid;
        t.vpid = t.pid;
    }
    if layout.has_ns {
        t.cgroups = p_bytes(&ev, 14).unwrap_or_default().to_vec();
        resolve_container(state, &mut t);
    }
    t.clone_ts = cur.ts;
    add_thread(state, t);
    if collision {
        cur.has_thread = state.threads.contains(cur.tid);
    }
    let _ = parser;
}

pub(super) fn parse_execve_exit(parser: &mut Parser, state: &mut State, cur: &mut Cur<'_>) {
    let ev = cur.ev;
    let ty = cur.ty;
    if p_i64(&ev, 0).is_none_or(|r| r < 0) || !cur.has_thread {
        return;
    }
    // The exe path comes from the enter event, resolved against the thread's cwd.
    let exepath: Option<Vec<u8>> = match ty {
        SYSCALL_EXECVE_18_X | SYSCALL_EXECVE_19_X => {
            let cwd = state
                .threads
                .get(cur.tid)
                .map(|t| t.cwd.clone())
                .unwrap_or_default();
            parser.retrieve_enter(state, cur).map(|e| {
                let name = p_str(&e, 0).unwrap_or_default();
                if name.starts_with(b"<NA>") {
                    b"<NA>".to_vec()
                } else {
                    path::join(&cwd, name)
                }
            })
        }
        SYSCALL_EXECVEAT_X => {
            let enter = parser.retrieve_enter(state, cur).map(|e| {
                (
                    p_i64(&e, 0).unwrap_or(super::AT_FDCWD),
                    p_str(&e, 1).unwrap_or_default().to_vec(),
                    p_u32(&e, 2).unwrap_or(0),
                )
            });
            enter.map(|(dirfd, name, flags)| {
                if name.starts_with(b"<NA>") {
                    return b"<NA>".to_vec();
                }
                let dir = parse_dirfd(state, cur, &name, dirfd);
                const AT_EMPTY_PATH: u32 = 1;
                if flags & AT_EMPTY_PATH != 0 && name.is_empty() {
                    path::join(&dir, &dir)
                } else {
                    path::join(&dir, &name)
                }
            })
        }
        _ => None,
    };
    let old_layout = matches!(
        ty,
        SYSCALL_EXECVE_8_X | SYSCALL_EXECVE_13_X | SYSCALL_EXECVE_14_X
    );
    let nparams = ev.nparams();
    let Some(t) = state.threads.get_mut(cur.tid) else {
        return;
    };
    t.exe = p_str(&ev, 1).unwrap_or_default().to_vec();
    t.comm = if old_layout {
        t.exe.clone()
    } else {
        p_str(&ev, 13).unwrap_or_default().to_vec()
    };
    t.args = p_bytes(&ev, 2).unwrap_or_default().to_vec();
    if let Some(pid) = p_i64(&ev, 4) {
        t.pid = pid;
    }
    if t.ptid == -1 {
        t.ptid = p_i64(&ev, 5).unwrap_or(-1);
    }
    t.fdlimit = p_i64(&ev, 7).unwrap_or(-1);
    if ty != SYSCALL_EXECVE_8_X {
        t.pfmajor = p_u64(&ev, 8).unwrap_or(0);
        t.pfminor = p_u64(&ev, 9).unwrap_or(0);
        t.vmsize_kb = p_u32(&ev, 10).unwrap_or(0);
        t.vmrss_kb = p_u32(&ev, 11).unwrap_or(0);
        t.vmswap_kb = p_u32(&ev, 12).unwrap_or(0);
    }
    let env_idx = match ty {
        SYSCALL_EXECVE_8_X | SYSCALL_EXECVE_13_X => None,
        SYSCALL_EXECVE_14_X => Some(13),
        SYSCALL_EXECVE_15_X => Some(14),
        _ => Some(15),
    };
    if let Some(i) = env_idx {
        t.env = trim_env(p_bytes(&ev, i).unwrap_or_default()).to_vec();
    }
    let new_layout = !old_layout && ty != SYSCALL_EXECVE_15_X;
    if new_layout {
        t.cgroups = p_bytes(&ev, 14).unwrap_or_default().to_vec();
    }
    if !matches!(ty, SYSCALL_EXECVE_15_X | SYSCALL_EXECVE_16_X) && new_layout {
        t.tty = p_u32(&ev, 16).unwrap_or(0);
    }
    // The kernel's own path of the executable (trusted_exepath, sent by newer probes)
    // is preferred to the one rebuilt from the enter event, as in newer libsinsp; sysdig
    // 0.29's events do not carry it.
    let trusted = match ty {
        SYSCALL_EXECVE_19_X | SYSCALL_EXECVEAT_X if nparams > 27 => {
            p_str(&ev, 27).filter(|p| !p.is_empty())
        }
        _ => None,
    };
    if let Some(p) = trusted {
        t.exepath = p.to_vec();
    } else if let Some(p) = exepath {
        t.exepath = p;
    }
    if matches!(ty, SYSCALL_EXECVE_19_X | SYSCALL_EXECVEAT_X) {
        t.vpgid = p_i64(&ev, 17).unwrap_or(-1);
    }
    if nparams > 18 {
        t.loginuid = p_u32(&ev, 18).unwrap_or(u32::MAX);
    }
    if nparams > 19 {
        t.exe_flags = p_u32(&ev, 19).unwrap_or(0);
        t.exe_writable = t.exe_flags & EXE_WRITABLE != 0;
        t.exe_ino = p_u64(&ev, 23).unwrap_or(0);
        t.exe_ino_ctime = p_u64(&ev, 24).unwrap_or(0);
        t.exe_ino_mtime = p_u64(&ev, 25).unwrap_or(0);
    }
    if nparams > 20 {
        t.cap_inheritable = p_u64(&ev, 20).unwrap_or(0);
        t.cap_permitted = p_u64(&ev, 21).unwrap_or(0);
        t.cap_effective = p_u64(&ev, 22).unwrap_or(0);
    }
    if nparams > 26 {
        t.uid = p_u32(&ev, 26).unwrap_or(t.uid);
    }
    if nparams > 29 {
        t.gid = p_u32(&ev, 29).unwrap_or(t.gid);
    }
    let keep = t.flags & (cf::PIPE_SRC | cf::PIPE_DST | cf::IS_MAIN_THREAD | cf::CLONE_INVERTED);
    t.flags = cf::ACTIVE | keep | cf::NAME_CHANGED;
    t.lastexec_ts = cur.ts;
    // The new program does not inherit the fds marked close-on-exec.
    t.fds.close_on_exec();
    let pid = t.pid;
    if new_layout {
        let mut t = std::mem::take(state.threads.get_mut(cur.tid).expect("present"));
        resolve_container(state, &mut t);
        state.threads.insert(t);
    }
    // execve ends every other thread of the process: the kernel has killed them by the
    // time it returns.
    let others: Vec<i64> = state
        .threads
        .iter()
        .filter(|o| o.pid == pid && o.tid != cur.tid)
        .map(|o| o.tid)
        .collect();
    for tid in others {
        remove_thread(state, tid, true);
    }
}

/// The environment as libsinsp keeps it: a block that is all NULs from some point on ends
/// there.
pub(crate) fn trim_env(env: &[u8]) -> &[u8] {
    let mut off = 0;
    while off < env.len() {
        let rest = &env[off..];
        if rest[0] == 0 && rest.iter().all(|&b| b == 0) {
            return &env[..off];
        }
        let len = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        off += len + 1;
    }
    env
}

/// A context switch carries the thread's page faults and its process's memory.
pub(super) fn parse_context_switch(state: &mut State, cur: &mut Cur<'_>) {
    let ev = cur.ev;
    let Some(t) = state.threads.get_mut(cur.tid) else {
        return;
    };
    t.pfmajor = p_u64(&ev, 1).unwrap_or(t.pfmajor);
    t.pfminor = p_u64(&ev, 2).unwrap_or(t.pfminor);
    let main = if t.is_main() { cur.tid } else { t.pid };
    if let Some(m) = state.threads.get_mut(main) {
        m.vmsize_kb = p_u32(&ev, 3).unwrap_or(m.vmsize_kb);
        m.vmrss_kb = p_u32(&ev, 4).unwrap_or(m.vmrss_kb);
        m.vmswap_kb = p_u32(&ev, 5).unwrap_or(m.vmswap_kb);
    }
}

/// brk, mmap, munmap exits carry the process's memory.
pub(super) fn parse_memory_exit(state: &mut State, cur: &mut Cur<'_>) {
    let ev = cur.ev;
    let Some(t) = state.threads.get_mut(cur.tid) else {
        return;
    };
    t.vmsize_kb = p_u32(&ev, 1).unwrap_or(t.vmsize_kb);
    t.vmrss_kb = p_u32(&ev, 2).unwrap_or(t.vmrss_kb);
    t.vmswap_kb = p_u32(&ev, 3).unwrap_or(t.vmswap_kb);
}

/// setuid, setgid, setresuid, setresgid (and setreuid, setregid): the effective id.
pub(super) fn parse_setid_exit(parser: &mut Parser, state: &mut State, cur: &mut Cur<'_>) {
    let ev = cur.ev;
    if p_i64(&ev, 0).is_none_or(|r| r < 0) {
        return;
    }
    let (is_uid, enter_idx, exit_idx) = match cur.ty {
        SYSCALL_SETUID_X => (true, 0, 1),
        SYSCALL_SETGID_X => (false, 0, 1),
        SYSCALL_SETRESUID_X => (true, 1, 2),
        SYSCALL_SETRESGID_X => (false, 1, 2),
        SYSCALL_SETREUID_X => (true, 1, 2),
        _ => (false, 1, 2),
    };
    let from_enter =
        if cur.ty < super::OLD_TABLE_END && !(parser.exit_args && ev.nparams() > exit_idx) {
            parser
                .retrieve_enter(state, cur)
                .map(|e| p_u32(&e, enter_idx))
        } else {
            Some(p_u32(&ev, exit_idx))
        };
    let Some(Some(id)) = from_enter else {
        return;
    };
    let checks_none = !matches!(cur.ty, SYSCALL_SETUID_X | SYSCALL_SETGID_X);
    if checks_none && id == u32::MAX {
        return;
    }
    if let Some(t) = state.threads.get_mut(cur.tid) {
        if is_uid {
            t.uid = id;
        } else {
            t.gid = id;
        }
    }
}

pub(super) fn parse_capset_exit(state: &mut State, cur: &mut Cur<'_>) {
    let ev = cur.ev;
    if p_i64(&ev, 0).is_none_or(|r| r < 0) {
        return;
    }
    if let Some(t) = state.threads.get_mut(cur.tid) {
        t.cap_inheritable = p_u64(&ev, 1).unwrap_or(t.cap_inheritable);
        t.cap_permitted = p_u64(&ev, 2).unwrap_or(t.cap_permitted);
        t.cap_effective = p_u64(&ev, 3).unwrap_or(t.cap_effective);
    }
}

/// `prctl(PR_SET_NAME)` renames the thread.
pub(super) fn parse_prctl_exit(state: &mut State, cur: &mut Cur<'_>) {
    const PR_SET_NAME: u32 = 15;
    let ev = cur.ev;
    if p_i64(&ev, 0).is_none_or(|r| r < 0) || p_u32(&ev, 1) != Some(PR_SET_NAME) {
        return;
    }
    if let (Some(name), Some(t)) = (p_str(&ev, 2), state.threads.get_mut(cur.tid)) {
        t.comm = name.to_vec();
    }
}

pub(super) fn parse_chroot_exit(state: &mut State, cur: &mut Cur<'_>) {
    let ev = cur.ev;
    if p_i64(&ev, 0) != Some(0) || !cur.has_thread {
        return;
    }
    let Some(dir) = p_str(&ev, 1) else {
        return;
    };
    let Some(t) = state.threads.get(cur.tid) else {
        return;
    };
    let root = if path::is_relative(dir) {
        path::join(state.threads.cwd_of(t), dir)
    } else {
        dir.iter()
            .copied()
            .filter(|c| (0x20..0x7f).contains(c))
            .collect()
    };
    if let Some(t) = state.threads.get_mut(cur.tid) {
        t.root = root;
    }
}

pub(super) fn parse_setpgid_exit(parser: &mut Parser, state: &mut State, cur: &mut Cur<'_>) {
    // setpgid changes the process group id of a process (0 means the caller).
    if p_i64(&cur.ev, 0).is_none_or(|r| r < 0) {
        return;
    }
    let args = if cur.ev.nparams() >= 3 {
        Some((p_i64(&cur.ev, 1), p_i64(&cur.ev, 2)))
    } else {
        parser
            .retrieve_enter(state, cur)
            .map(|e| (p_i64(&e, 0), p_i64(&e, 1)))
    };
    let Some((Some(pid), Some(pgid))) = args else {
        return;
    };
    let target = if pid == 0 { cur.tid } else { pid };
    let pgid = if pgid == 0 { target } else { pgid };
    if let Some(t) = state.threads.get_mut(target) {
        t.pgid = pgid;
    }
}

/// The old container event: id, type, name, image.
pub(super) fn parse_container_event(state: &mut State, cur: &mut Cur<'_>) {
    let ev = cur.ev;
    let id = String::from_utf8_lossy(p_str(&ev, 0).unwrap_or_default()).into_owned();
    let c = Container {
        id,
        kind: crate::state::container::type_name(p_u32(&ev, 1).unwrap_or(0)).into(),
        name: String::from_utf8_lossy(p_str(&ev, 2).unwrap_or_default()).into_owned(),
        image: String::from_utf8_lossy(p_str(&ev, 3).unwrap_or_default()).into_owned(),
        ..Container::default()
    };
    state.containers.insert(c);
}

/// The thread a container JSON event is shown with, as libsinsp makes it up: tid and pid -1,
/// their namespace ids -2, the name `container:<id>`, root's ids, no parent.
fn set_container_event_thread(state: &mut State, id: &str) {
    let mut t = Thread::new();
    t.tid = -1;
    t.vtid = -2;
    t.vpid = -2;
    t.comm = format!("container:{id}").into_bytes();
    t.container_id = id.to_string();
    state.container_event_thread = Some(t);
}

/// A container JSON event: `{"container": {"id": ..., "name": ..., "image": ...}}`.
pub(super) fn parse_container_json(state: &mut State, cur: &mut Cur<'_>) {
    let Some(json) = p_str(&cur.ev, 0) else {
        return;
    };
    if let Some(c) = crate::state::container::from_json(json) {
        set_container_event_thread(state, &c.id);
        state.containers.insert(c);
    }
}
