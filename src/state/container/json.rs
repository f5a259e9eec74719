//! A direct reader of container descriptions (`{"container": {...}}`): it checks the JSON
//! text and takes out only the keys a [`Container`] keeps, without building a tree of every
//! value as `serde_json::Value` does (a typical description of 5 kB: about 14,000
//! instructions instead of 36,000).
//!
//! It reads the texts the probe and sysdig write: objects, arrays, strings with the usual
//! escapes, integers and plain decimals, `true`, `false`, `null`. Anything else (exponents,
//! escaped surrogates, deep nesting, invalid text) it does not vouch for, and says so with
//! [`Unsure`]: the caller then reads the text with `serde_json`, so that every text gets
//! exactly the container `serde_json` would give.

use super::{Container, Mount, type_name};

/// The text has something this reader leaves to `serde_json`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unsure;

type R<T> = Result<T, Unsure>;

/// Nesting deeper than this is left to `serde_json` (which refuses 128 levels).
const MAX_DEPTH: u32 = 64;
/// Numbers longer than this are left to `serde_json` (they could overflow a float).
const MAX_NUMBER_LEN: usize = 40;

/// The container a description names (`Ok(None)`: the text is JSON but not a description).
/// One pass: the description is taken out as the text is checked.
pub(super) fn read(text: &[u8]) -> R<Option<Container>> {
    let mut s = Scan { b: text, pos: 0 };
    s.ws();
    let mut c = None;
    if s.peek() == Some(b'{') {
        s.object(0, |s, key| {
            if key == b"container" {
                c = Some(s.container()?);
            } else {
                s.value(1)?;
            }
            Ok(())
        })?;
    } else {
        s.value(0)?;
    }
    s.ws();
    if s.pos != text.len() {
        return Err(Unsure);
    }
    Ok(c)
}

/// The empty container a `container` value that is not an object describes.
fn unknown_container() -> Container {
    Container {
        kind: "unknown".into(),
        ..Container::default()
    }
}

impl Scan<'_> {
    /// The `container` value (an object, or else nothing known), each key's last value
    /// winning, as in `serde_json`'s maps.
    fn container(&mut self) -> R<Container> {
        let mut c = unknown_container();
        if self.peek() != Some(b'{') {
            self.value(1)?;
            return Ok(c);
        }
        self.object(1, |s, key| {
            match key {
                b"id" => c.id = s.string_or_empty()?,
                b"name" => c.name = s.string_or_empty()?,
                b"image" => c.image = s.string_or_empty()?,
                b"imageid" => c.image_id = s.string_or_empty()?,
                b"imagerepo" => c.image_repo = s.string_or_empty()?,
                b"imagetag" => c.image_tag = s.string_or_empty()?,
                b"imagedigest" => c.image_digest = s.string_or_empty()?,
                b"ip" => {
                    c.ip = s
                        .string()?
                        .and_then(|t| t.parse::<std::net::Ipv4Addr>().ok())
                        .map_or([0; 4], |a| a.octets());
                }
                b"type" => {
                    let v = s.token(2)?;
                    c.kind = as_u64(v)
                        .map_or("unknown", |t| type_name(t as u32))
                        .to_owned();
                }
                b"privileged" => c.privileged = s.token(2)? == b"true",
                b"lookup_state" => c.lookup_failed = as_u64(s.token(2)?).is_some_and(|v| v != 1),
                b"Mounts" => {
                    c.mounts.clear();
                    if s.peek() == Some(b'[') {
                        s.array(2, |s| {
                            let m = s.mount()?;
                            c.mounts.push(m);
                            Ok(())
                        })?;
                    } else {
                        s.value(2)?;
                    }
                }
                b"created_time" => {
                    c.created_ns =
                        as_u64(s.token(2)?).map_or(0, |v| v.saturating_mul(1_000_000_000));
                }
                b"labels" => {
                    c.labels.clear();
                    if s.peek() == Some(b'{') {
                        s.object(2, |s, key| {
                            // Keys with escapes are left to serde_json.
                            if key.contains(&b'\\') {
                                return Err(Unsure);
                            }
                            let key = std::str::from_utf8(key).map_err(|_| Unsure)?.to_string();
                            let value = s.string_or_empty()?;
                            // A repeated key keeps its first place and takes the last value.
                            match c.labels.iter_mut().find(|(k, _)| *k == key) {
                                Some(l) => l.1 = value,
                                None => c.labels.push((key, value)),
                            }
                            Ok(())
                        })?;
                    } else {
                        s.value(2)?;
                    }
                }
                b"Healthcheck" => c.probes[0] = s.probe()?,
                b"LivenessProbe" => c.probes[1] = s.probe()?,
                b"ReadinessProbe" => c.probes[2] = s.probe()?,
                _ => s.value(2)?,
            }
            Ok(())
        })?;
        Ok(c)
    }

    /// One element of `Mounts` (an element that is not an object is a mount with nothing
    /// known).
    fn mount(&mut self) -> R<Mount> {
        let mut m = Mount::default();
        if self.peek() != Some(b'{') {
            self.value(3)?;
            return Ok(m);
        }
        self.object(3, |s, key| {
            match key {
                b"Source" => m.source = s.string_or_empty()?,
                b"Destination" => m.dest = s.string_or_empty()?,
                b"Mode" => m.mode = s.string_or_empty()?,
                b"Propagation" => m.propagation = s.string_or_empty()?,
                b"RW" => m.rdwr = s.token(4)? == b"true",
                _ => s.value(4)?,
            }
            Ok(())
        })?;
        Ok(m)
    }

    /// A probe (`{"exe": ..., "args": [...]}`): none unless `exe` is a string; the arguments
    /// that are strings.
    fn probe(&mut self) -> R<Option<(String, Vec<String>)>> {
        if self.peek() != Some(b'{') {
            self.value(2)?;
            return Ok(None);
        }
        let (mut exe, mut args) = (None, Vec::new());
        self.object(2, |s, key| {
            match key {
                b"exe" => exe = s.string()?,
                b"args" => {
                    args.clear();
                    if s.peek() == Some(b'[') {
                        s.array(3, |s| {
                            args.extend(s.string()?);
                            Ok(())
                        })?;
                    } else {
                        s.value(3)?;
                    }
                }
                _ => s.value(3)?,
            }
            Ok(())
        })?;
        Ok(exe.map(|e| (e, args)))
    }

    /// A string value, decoded; `None` (the value checked and passed) for any other value.
    fn string(&mut self) -> R<Option<String>> {
        if !self.eat(b'"') {
            self.value(2)?;
            return Ok(None);
        }
        decode(self.string_body()?).map(Some)
    }

    fn string_or_empty(&mut self) -> R<String> {
        Ok(self.string()?.unwrap_or_default())
    }

    /// The text of a value, checked (for numbers and literals).
    fn token(&mut self, depth: u32) -> R<&[u8]> {
        let start = self.pos;
        self.value(depth)?;
        Ok(&self.b[start..self.pos])
    }
}

/// A value's text that is an integer from 0 to `u64::MAX` (what `as_u64` accepts).
fn as_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// The text of a string body (between the quotes, escapes undone). The body was checked:
/// valid UTF-8, no control characters, escapes well formed and not surrogates.
fn decode(raw: &str) -> R<String> {
    let Some(first) = raw.find('\\') else {
        return Ok(raw.to_owned());
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut rest = &raw[first..];
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let b = rest.as_bytes();
        let (c, used) = match b.get(i + 1) {
            Some(b'"') => ('"', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'/') => ('/', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => (hex4(b.get(i + 2..i + 6)).ok_or(Unsure)?, 6),
            _ => return Err(Unsure),
        };
        out.push(c);
        rest = rest.get(i + used..).ok_or(Unsure)?;
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether any byte of `w` is a quote, a backslash or a control character (below 0x20).
fn special_byte(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte below `n` (`n` at most 0x80) sets its high bit in `(x - n) & !x`.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    (below(w ^ (ONES * u64::from(b'"')), 1)
        | below(w ^ (ONES * u64::from(b'\\')), 1)
        | below(w, 0x20))
        != 0
}

/// The character of a `\uXXXX` escape; `None` for a surrogate (left to `serde_json`).
fn hex4(h: Option<&[u8]>) -> Option<char> {
    let h = h?;
    let mut n = 0u32;
    for &d in h {
        n = n * 16 + (d as char).to_digit(16)?;
    }
    char::from_u32(n)
}

/// A cursor over a JSON text.
struct Scan<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Scan<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Checks one value at the cursor and moves past it (`depth`: how many arrays and
    /// objects hold it).
    fn value(&mut self, depth: u32) -> R<()> {
        match self.peek().ok_or(Unsure)? {
            b'{' => self.object(depth, |s, _| s.value(depth + 1)),
            b'[' => self.array(depth, |s| s.value(depth + 1)),
            b'"' => {
                self.pos += 1;
                self.string_body().map(|_| ())
            }
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Unsure),
        }
    }

    /// Checks the object at the cursor and moves past it, calling `member` at each key
    /// (decoded when it has escapes) with the cursor on its value, which it must pass.
    fn object(&mut self, depth: u32, mut member: impl FnMut(&mut Self, &[u8]) -> R<()>) -> R<()> {
        if depth >= MAX_DEPTH || !self.eat(b'{') {
            return Err(Unsure);
        }
        self.ws();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            if !self.eat(b'"') {
                return Err(Unsure);
            }
            let raw = self.string_body()?;
            self.ws();
            if !self.eat(b':') {
                return Err(Unsure);
            }
            self.ws();
            if raw.contains('\\') {
                member(self, decode(raw)?.as_bytes())?;
            } else {
                member(self, raw.as_bytes())?;
            }
            self.ws();
            if self.eat(b'}') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(Unsure);
            }
            self.ws();
        }
    }

    /// Checks the array at the cursor and moves past it, calling `element` with the cursor
    /// on each element, which it must pass.
    fn array(&mut self, depth: u32, mut element: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        if depth >= MAX_DEPTH || !self.eat(b'[') {
            return Err(Unsure);
        }
        self.ws();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            element(self)?;
            self.ws();
            if self.eat(b']') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(Unsure);
            }
            self.ws();
        }
    }

    fn word(&mut self, w: &[u8]) -> R<()> {
        if self.b[self.pos..].starts_with(w) {
            self.pos += w.len();
            Ok(())
        } else {
            Err(Unsure)
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`; exponents and long numbers are left to `serde_json`.
    fn number(&mut self) -> R<()> {
        let start = self.pos;
        self.eat(b'-');
        let digits = |s: &mut Self| {
            let from = s.pos;
            while s.b.get(s.pos).is_some_and(u8::is_ascii_digit) {
                s.pos += 1;
            }
            s.pos - from
        };
        let first = self.b.get(self.pos).copied();
        let n = digits(self);
        if n == 0 || (first == Some(b'0') && n > 1) {
            return Err(Unsure);
        }
        if self.eat(b'.') && digits(self) == 0 {
            return Err(Unsure);
        }
        if matches!(self.b.get(self.pos), Some(b'e' | b'E')) || self.pos - start > MAX_NUMBER_LEN {
            return Err(Unsure);
        }
        Ok(())
    }

    /// Checks a string body after its opening quote and moves past the closing one; returns
    /// the body as written (escapes not undone).
    fn string_body(&mut self) -> R<&'a str> {
        let start = self.pos;
        loop {
            // Eight bytes at a time past the plain characters: no quote, no backslash, no
            // control character among them.
            while let Some(w) = self.b.get(self.pos..).and_then(|r| r.first_chunk::<8>()) {
                if special_byte(u64::from_le_bytes(*w)) {
                    break;
                }
                self.pos += 8;
            }
            let c = *self.b.get(self.pos).ok_or(Unsure)?;
            match c {
                b'"' => break,
                b'\\' => {
                    match self.b.get(self.pos + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => {
                            hex4(self.b.get(self.pos + 2..self.pos + 6)).ok_or(Unsure)?;
                            self.pos += 4;
                        }
                        _ => return Err(Unsure),
                    }
                    self.pos += 2;
                }
                0..0x20 => return Err(Unsure),
                _ => self.pos += 1,
            }
        }
        let body = std::str::from_utf8(&self.b[start..self.pos]).map_err(|_| Unsure)?;
        self.pos += 1;
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn special_byte_finds_quotes_backslashes_and_controls(
            w in proptest::collection::vec(
                prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, any::<u8>()], 8)
        ) {
            let word: [u8; 8] = w.clone().try_into().unwrap();
            let bytewise = w.iter().any(|&c| c == b'"' || c == b'\\' || c < 0x20);
            prop_assert_eq!(special_byte(u64::from_le_bytes(word)), bytewise);
        }
    }
}
