//! Path arithmetic as libsinsp does it: joining a relative path to a directory, folding `.`
//! and `..`, squeezing repeated `/`, dropping a trailing `/`, and turning bytes that are not
//! printable ASCII into `.`.

/// Longest joined path; longer ones become [`PATH_TOO_LONG`].
pub const MAX_PATH: usize = 1024;

/// What a join that would exceed [`MAX_PATH`] gives.
pub const PATH_TOO_LONG: &[u8] = b"/PATH_TOO_LONG";

/// Joins `path` to the directory `dir` (which should end with `/`) unless `path` is absolute
/// or empty, and normalises the result. `dir` is taken as it is.
pub fn join(dir: &[u8], path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(dir.len() + path.len());
    join_into(&mut out, dir, path);
    out
}

/// [`join`] into a reused buffer (cleared first).
pub fn join_into(out: &mut Vec<u8>, dir: &[u8], path: &[u8]) {
    out.clear();
    if dir.len() + path.len() + 1 > MAX_PATH {
        out.extend_from_slice(PATH_TOO_LONG);
        return;
    }
    if !path.is_empty() && path[0] != b'/' {
        out.extend_from_slice(dir);
    }
    append_sanitized(out, path);
}

/// Whether `path` is relative (and so needs a directory to mean anything).
pub fn is_relative(path: &[u8]) -> bool {
    !path.is_empty() && path[0] != b'/'
}

fn is_invalid(c: u8) -> bool {
    !(0x20..0x7f).contains(&c)
}

/// Steps `out` back to just after the previous `/` (never before the first byte).
fn rewind_to_parent(out: &mut Vec<u8>) {
    if out.len() <= 1 {
        return;
    }
    let mut t = out.len() - 1;
    while t >= 1 && out[t - 1] != b'/' {
        t -= 1;
    }
    out.truncate(t);
}

fn append_sanitized(out: &mut Vec<u8>, path: &[u8]) {
    let at = |i: usize| path.get(i).copied().unwrap_or(0);
    let mut i = 0;
    loop {
        let c = at(i);
        if c == 0 {
            if out.len() > 1 && out.last() == Some(&b'/') {
                out.pop();
            }
            return;
        }
        if is_invalid(c) {
            out.push(b'.');
            i += 1;
        } else if c == b'.' && at(i + 1) == b'.' && at(i + 2) == b'/' {
            rewind_to_parent(out);
            i += 3;
        } else if c == b'.' && at(i + 1) == b'.' {
            if at(i + 2) == 0 {
                rewind_to_parent(out);
                i += 2;
            } else {
                out.extend_from_slice(b"..");
                i += 2;
            }
        } else if c == b'.' && at(i + 1) == b'/' {
            i += 2;
        } else if c == b'.' {
            if at(i + 1) != 0 {
                out.push(b'.');
            }
            i += 1;
        } else if c == b'/' {
            if out.last() != Some(&b'/') {
                out.push(b'/');
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(dir: &str, path: &str) -> String {
        String::from_utf8(join(dir.as_bytes(), path.as_bytes())).unwrap()
    }

    #[test]
    fn relative_paths_join_the_directory() {
        assert_eq!(j("/var/lib/mysql/", "./userss"), "/var/lib/mysql/userss");
        assert_eq!(j("/", "."), "/");
        assert_eq!(j("/home/u/", "a/../b"), "/home/u/b");
        assert_eq!(j("/home/u/", ".."), "/home");
        assert_eq!(j("/home/u/", "../../.."), "/");
        assert_eq!(j("/home/u/", "a//b/"), "/home/u/a/b");
    }

    #[test]
    fn absolute_paths_ignore_the_directory() {
        assert_eq!(j("/home/u/", "/etc/passwd"), "/etc/passwd");
        assert_eq!(j("/home/u/", "/etc/../tmp/./x"), "/tmp/x");
        assert_eq!(j("/home/u/", ""), "");
        assert_eq!(j("/x/", "/a\u{7f}b"), "/a.b");
    }

    #[test]
    fn overlong_joins_are_flagged() {
        let long = "a".repeat(MAX_PATH);
        assert_eq!(j("/", &long), "/PATH_TOO_LONG");
    }
}
