//! Event arguments rendered with state, as sysdig prints them: fds with their type and name
//! (`fd=3(<f>/etc/passwd)`), pids with their command (`pid=42(bash)`), relative paths with
//! the directory they resolve against, user and group names, fd lists with type characters.

use std::fmt::Write;

use super::EventView;
use crate::event::render;
use crate::event::{Param, ParamExtra, ParamInfo, ParamType, Value};
use crate::state::{FdInfo, path};

/// `PPM_AT_FDCWD`.
const AT_FDCWD: i64 = -100;

/// Renders parameter `index` of the event: `raw` gets the plain text, `resolved` the
/// symbolic or stateful form (empty when there is none).
pub fn render_param(
    view: &EventView<'_>,
    param: &Param<'_>,
    raw: &mut String,
    resolved: &mut String,
) {
    let compat;
    let param = match sysdig_param_info(view.raw.event.event_type(), param.info.name) {
        Some(info) => {
            compat = Param {
                info,
                bytes: param.bytes,
            };
            &compat
        }
        None => param,
    };
    let Ok(value) = param.value() else {
        return;
    };
    match (param.info.ty, value) {
        (ParamType::Fd | ParamType::Fd32, Value::Signed(fd)) => render_fd(view, fd, raw, resolved),
        (ParamType::Pid | ParamType::Pid32, Value::Signed(pid)) => {
            crate::event::render::push_i64(raw, pid);
            if let Some(t) = view.state.threads.get(pid) {
                resolved.push_str(&String::from_utf8_lossy(&t.comm));
            }
        }
        (ParamType::FsPath | ParamType::FsRelPath, Value::Str(s)) => {
            render::push_sanitized(raw, s);
            let Some(t) = view.thread() else {
                return;
            };
            if s.is_empty() || s.starts_with(b"<NA>") || !path::is_relative(s) {
                return;
            }
            let base = base_dir(view, param, t);
            let joined = path::join(&base, s);
            resolved.push_str(&String::from_utf8_lossy(&joined));
        }
        (ParamType::Uid, Value::Unsigned(id)) if id < u32::MAX as u64 => {
            crate::event::render::push_u64(raw, id);
            match view.state.users.user(id as u32) {
                Some(u) => render::push_sanitized(resolved, &u.name),
                None => resolved.push_str("<NA>"),
            }
        }
        (ParamType::Gid, Value::Unsigned(id)) if id < u32::MAX as u64 => {
            crate::event::render::push_u64(raw, id);
            match view.state.users.group(id as u32) {
                Some(name) => render::push_sanitized(resolved, name),
                None => resolved.push_str("<NA>"),
            }
        }
        (ParamType::FdList, Value::FdList(list)) => {
            if view.thread().is_none() {
                return;
            }
            for (i, (fd, flags)) in list.iter().enumerate() {
                if i > 0 {
                    raw.push(' ');
                }
                let ch = view.fd_table_get(fd).map_or('?', |f| f.kind.type_char());
                let _ = write!(raw, "{}:{ch}{:x}", fd as u64, flags as i16 as i32 as u32);
            }
        }
        _ => render::render_with(param.info, value, view.buffers, raw, resolved),
    }
}

/// Parameters whose type sysdig 0.29's table gave otherwise than the current schema (enum
/// flags were plain flags, `mmap`'s result an address, some flags had no name table), so
/// that arguments print as sysdig prints them: (event, parameter, type then).
const SYSDIG_PARAM_TYPES: &[(u16, &str, ParamType)] = &[
    (18, "domain", ParamType::Flags32),
    (42, "domain", ParamType::Flags32),
    (144, "resource", ParamType::Flags8),
    (36, "how", ParamType::Flags8),
    (45, "level", ParamType::Flags8),
    (45, "optname", ParamType::Flags8),
    (47, "level", ParamType::Flags8),
    (47, "optname", ParamType::Flags8),
    (86, "whence", ParamType::Flags8),
    (88, "whence", ParamType::Flags8),
    (140, "resource", ParamType::Flags8),
    (142, "resource", ParamType::Flags8),
    (150, "cmd", ParamType::Flags8),
    (168, "request", ParamType::Flags16),
    (62, "flags", ParamType::Flags32),
    (126, "flags", ParamType::Flags8),
    (136, "flags", ParamType::Flags8),
    (138, "flags", ParamType::Flags8),
    (24, "backlog", ParamType::Uint32),
    (161, "res", ParamType::Uint64),
    (163, "res", ParamType::Uint64),
    (293, "tty", ParamType::Int32),
    (331, "tty", ParamType::Int32),
    (293, "loginuid", ParamType::Int32),
    (331, "loginuid", ParamType::Int32),
    (295, "res", ParamType::Pid),
];

/// The name sysdig 0.29's table gave a parameter that the schema renamed.
fn sysdig_param_name(event: u16, name: &'static str) -> &'static str {
    match (event, name) {
        (293 | 331, "vpgid") => "pgid",
        (322, "plugin_id") => "plugin ID",
        _ => name,
    }
}

/// The parameter info sysdig 0.29 used for parameter `name` of `event`, where it differs.
fn sysdig_param_info(event: u16, name: &str) -> Option<&'static ParamInfo> {
    use std::sync::OnceLock;
    static INFOS: OnceLock<Vec<(u16, ParamInfo)>> = OnceLock::new();
    if !matches!(
        event,
        18 | 24
            | 36
            | 42
            | 45
            | 47
            | 62
            | 86
            | 88
            | 126
            | 136
            | 138
            | 140
            | 142
            | 144
            | 150
            | 161
            | 163
            | 168
            | 293
            | 295
            | 331
    ) {
        return None;
    }
    if !SYSDIG_PARAM_TYPES
        .iter()
        .any(|&(e, n, _)| e == event && n == name)
    {
        return None;
    }
    let infos = INFOS.get_or_init(|| {
        SYSDIG_PARAM_TYPES
            .iter()
            .filter_map(|&(e, n, ty)| {
                let info = crate::event::event_info(e)?
                    .params
                    .iter()
                    .find(|p| p.name == n)?;
                let extra = match ty {
                    ParamType::Flags8 | ParamType::Flags16 | ParamType::Flags32 => info.extra,
                    _ => ParamExtra::None,
                };
                Some((e, ParamInfo { ty, extra, ..*info }))
            })
            .collect()
    });
    infos
        .iter()
        .find(|(e, i)| *e == event && i.name == name)
        .map(|(_, i)| i)
}

/// `fd=3(<f>/etc/passwd)`: the number, then the fd's type and name if the thread has it, the
/// errno name for a negative value, `AT_FDCWD` for -100.
pub fn render_fd(view: &EventView<'_>, fd: i64, raw: &mut String, resolved: &mut String) {
    crate::event::render::push_i64(raw, fd);
    if view.thread().is_none() {
        return;
    }
    if fd >= 0 {
        if let Some(f) = view.fd_table_get(fd) {
            push_fd_tag(resolved, f);
            render::push_sanitized(resolved, &f.name);
        }
    } else if fd == AT_FDCWD {
        resolved.push_str("AT_FDCWD");
    } else if let Some(name) = render::errno_name(fd.unsigned_abs() as u32) {
        resolved.push_str(name);
    }
}

/// `<f>`, `<4t>`, `<u>`: the type character, and for IP sockets the protocol character.
pub fn push_fd_tag(out: &mut String, f: &FdInfo) {
    out.push('<');
    out.push(f.kind.type_char());
    if let Some(c) = f.l4_char() {
        out.push(c);
    }
    out.push('>');
}

/// The directory a relative path parameter resolves against: the thread's cwd, or for a
/// `PT_FSRELPATH` the path of its dirfd parameter (unless that is `AT_FDCWD`).
/// An unknown or unnamed dirfd gives an empty base (the path is then taken as it is).
fn base_dir(view: &EventView<'_>, param: &Param<'_>, t: &crate::state::Thread) -> Vec<u8> {
    let cwd = view.state.threads.cwd_of(t).to_vec();
    if param.info.ty != ParamType::FsRelPath {
        return cwd;
    }
    let ParamExtra::DirFd(dir_index) = param.info.extra else {
        return cwd;
    };
    let dirfd = match view
        .raw
        .event
        .param(dir_index as usize)
        .map(|p| (p.info.ty, p.value()))
    {
        Some((ParamType::Fd, Ok(Value::Signed(fd)))) => fd,
        _ => return cwd,
    };
    if dirfd == AT_FDCWD {
        return cwd;
    }
    let Some(dir) = view.fd_table_get(dirfd).filter(|d| !d.name.is_empty()) else {
        return Vec::new();
    };
    let mut base: Vec<u8> = dir
        .name
        .iter()
        .copied()
        .filter(|c| (0x20..0x7f).contains(c))
        .collect();
    base.push(b'/');
    base
}

/// `evt.args`: every parameter as `name=value` or `name=value(resolved)`, each followed by a
/// space. Generic syscall events give nothing.
pub fn push_args(view: &EventView<'_>, out: &mut String) {
    let e = &view.raw.event;
    if e.event_type() <= 1 {
        return;
    }
    let mut resolved = String::new();
    let ty = e.event_type();
    for p in e.params() {
        out.push_str(sysdig_param_name(ty, p.name()));
        out.push('=');
        resolved.clear();
        render_param(view, &p, out, &mut resolved);
        if !resolved.is_empty() {
            out.push('(');
            out.push_str(&resolved);
            out.push(')');
        }
        out.push(' ');
    }
}
