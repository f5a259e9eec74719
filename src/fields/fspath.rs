//! `fs.path.*`: the file a filesystem call names (created, removed, renamed, linked, opened,
//! changed), as an absolute path, or as the call gave it (`*raw`). For renames and links,
//! the source and target paths.

use super::{EventView, Kind as K};
use crate::event::Value;
use crate::state::path;

/// How the directory of a relative path is found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Base {
    /// The thread's working directory.
    Cwd,
    /// The fd parameter of this index.
    DirFd(usize),
    /// The fd the event is about (openat: its name is already the full path).
    EventFd,
    /// Nothing to resolve against.
    Unknown,
}

/// Where a path comes from: a parameter, or the name of the event's fd.
#[derive(Clone, Copy)]
enum Src {
    Param(usize, Base),
    FdName,
}

/// For each event: whether success is `fd != -1` (else `res == 0`), then the path, the
/// source and the target.
type Rule = (bool, Option<Src>, Option<Src>, Option<Src>);

fn rule(ty: u16) -> Option<Rule> {
    use Base::*;
    use Src::*;
    let p = |i, b| Some(Param(i, b));
    Some(match ty {
        277 | 279 | 301 | 379 | 381 => (false, p(1, Cwd), None, None),
        305 | 303 => (false, p(2, DirFd(1)), None, None),
        3 => (true, p(1, Cwd), None, None),
        307 | 327 => (true, p(2, EventFd), None, None),
        313 => (false, p(2, DirFd(1)), None, None),
        315 => (false, p(1, Cwd), None, None),
        317 | 383 => (false, Some(FdName), None, None),
        385 => (false, p(2, DirFd(1)), None, None),
        191 => (false, p(1, Cwd), None, None),
        175 => (false, None, p(1, Cwd), p(2, Cwd)),
        177 => (false, None, p(2, Cwd), p(4, Cwd)),
        319 => (false, None, p(2, DirFd(1)), p(4, DirFd(3))),
        309 | 311 => (
            false,
            None,
            p(if ty == 309 { 2 } else { 4 }, Cwd),
            p(if ty == 309 { 1 } else { 2 }, Cwd),
        ),
        179 => (false, None, p(2, Cwd), p(1, Cwd)),
        181 => (false, None, p(3, DirFd(2)), p(1, Unknown)),
        257 => (false, None, p(1, Cwd), p(2, Cwd)),
        387 | 391 => (false, p(1, Cwd), None, None),
        _ => return None,
    })
}

fn int_param(v: &EventView<'_>, i: usize) -> Option<i64> {
    match v.raw.event.param(i)?.value().ok()? {
        Value::Signed(n) => Some(n),
        Value::Unsigned(n) => Some(n as i64),
        _ => None,
    }
}

/// The directory `dirfd` stands for, as libsinsp's dirfd rule gives it.
fn dirfd_base(v: &EventView<'_>, name: &[u8], dirfd: i64) -> Vec<u8> {
    if name.first() == Some(&b'/') {
        return b".".to_vec();
    }
    if dirfd == -100 {
        return v
            .thread()
            .map(|t| v.state.threads.cwd_of(t).to_vec())
            .unwrap_or_default();
    }
    match v.fd_table_get(dirfd) {
        Some(f) => {
            let mut b = f.name.clone();
            b.push(b'/');
            b
        }
        None => b"<UNKNOWN>".to_vec(),
    }
}

pub(super) fn extract(kind: K, v: &EventView<'_>, out: &mut String) -> bool {
    let e = &v.raw.event;
    let Some((by_fd, name, source, target)) = rule(e.event_type()) else {
        return false;
    };
    let ok = if by_fd {
        int_param(v, 0).is_some_and(|fd| fd != -1)
    } else {
        int_param(v, 0) == Some(0)
    };
    if !ok {
        return false;
    }
    let src = match kind {
        K::FsPathName | K::FsPathNameRaw => name,
        K::FsPathSource | K::FsPathSourceRaw => source,
        _ => target,
    };
    let Some(src) = src else {
        return false;
    };
    let (raw, base) = match src {
        Src::FdName => match v.fd() {
            Some((_, f)) => (f.name.clone(), Base::Unknown),
            None => return false,
        },
        Src::Param(i, base) => match e.param(i).map(|p| p.value()) {
            Some(Ok(Value::Str(s) | Value::Bytes(s))) => {
                (crate::event::value::until_nul(s).to_vec(), base)
            }
            _ => return false,
        },
    };
    let resolved = matches!(kind, K::FsPathName | K::FsPathSource | K::FsPathTarget);
    if !resolved {
        out.push_str(&String::from_utf8_lossy(&raw));
        return true;
    }
    if v.thread().is_none() {
        return false;
    }
    let full = if path::is_relative(&raw) {
        let dir = match base {
            Base::Cwd => v
                .thread()
                .map(|t| v.state.threads.cwd_of(t).to_vec())
                .unwrap_or_default(),
            Base::DirFd(i) => dirfd_base(v, &raw, int_param(v, i).unwrap_or(-100)),
            Base::EventFd => {
                let name = v
                    .fd()
                    .map_or(b"<UNKNOWN>".to_vec(), |(_, f)| f.name.clone());
                out.push_str(&String::from_utf8_lossy(&path::join(b"", &name)));
                return true;
            }
            Base::Unknown => b"<UNKNOWN>".to_vec(),
        };
        path::join(&dir, &raw)
    } else {
        path::join(b"", &raw)
    };
    out.push_str(&String::from_utf8_lossy(&full));
    true
}
