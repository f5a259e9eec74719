//! Output formats: `-p` format strings (`%evt.num %evt.type`), compiled once into literal
//! text and fields, and rendered per event into a reused buffer.

mod listing;
mod summary;

pub use listing::{list_events, list_fields};
pub use summary::Summary;

use crate::error::{Error, Result};
use crate::fields::{EventView, Field};

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// A field, with a fixed width when one was given (`%10proc.name`).
    Field(Field, Option<usize>),
}

/// Appends `s` as a JSON string, quoted and escaped as the JSON output escapes text.
pub fn push_json_string(out: &mut String, s: &str) {
    json::push_str(out, s);
}

/// Widest field width a format may give (`%4096proc.name`).
pub const MAX_WIDTH: usize = 4096;

/// A compiled `-p` format.
#[derive(Debug, Clone)]
pub struct Format {
    pieces: Vec<Piece>,
    /// `*` prefix: print every event, with `<NA>` for fields that do not apply. Without it,
    /// an event is printed only if every field applies to it.
    print_all: bool,
    /// The field pieces in JSON key order: sorted by name, each name once.
    json_order: Vec<usize>,
}

impl Format {
    /// Compiles `spec`. A `%` starts a field; `%%` is a literal `%`.
    pub fn parse(spec: &str) -> Result<Format> {
        let (print_all, body) = match spec.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let offset = spec.len() - body.len();
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < body.len() {
            let rest = &body[i..];
            if let Some(after) = rest.strip_prefix('%') {
                if let Some(tail) = after.strip_prefix('%') {
                    text.push('%');
                    i = body.len() - tail.len();
                    continue;
                }
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                let width = if digits > 0 {
                    // Each field is padded to its width on every event: a width beyond any
                    // use would make one line take gigabytes.
                    match after[..digits].parse::<usize>() {
                        Ok(w) if w <= MAX_WIDTH => Some(w),
                        _ => {
                            return Err(Error::BadFormat {
                                column: offset + i + 2,
                                why: format!(
                                    "field width {} is more than the limit of {MAX_WIDTH}",
                                    &after[..digits]
                                ),
                            });
                        }
                    }
                } else {
                    None
                };
                let after = &after[digits..];
                if after.is_empty() {
                    return Err(Error::BadFormat {
                        column: offset + i + 1,
                        why: "the format ends with a '%' and no field".into(),
                    });
                }
                let (field, used) = Field::parse_prefix(after).map_err(|e| match e {
                    Error::UnknownField { name } => Error::BadFormat {
                        column: offset + i + 2 + digits,
                        why: format!("unknown field '{name}'"),
                    },
                    other => other,
                })?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Field(field, width));
                i += 1 + digits + used;
            } else {
                let c = rest.chars().next().unwrap();
                text.push(c);
                i += c.len_utf8();
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let mut json_order: Vec<usize> = (0..pieces.len())
            .filter(|&i| matches!(pieces[i], Piece::Field(..)))
            .collect();
        let name = |i: usize| match &pieces[i] {
            Piece::Field(f, _) => f.text(),
            Piece::Text(t) => t.as_str(),
        };
        json_order.sort_by(|&a, &b| name(a).cmp(name(b)));
        json_order.dedup_by(|a, b| name(*a) == name(*b));
        Ok(Format {
            pieces,
            print_all,
            json_order,
        })
    }

    /// The fields the format names, in the order they first appear, each once.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.pieces
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Piece::Field(f, _) => Some((i, f)),
                Piece::Text(_) => None,
            })
            .filter(|(i, f)| {
                !self.pieces[..*i]
                    .iter()
                    .any(|p| matches!(p, Piece::Field(g, _) if g.text() == f.text()))
            })
            .map(|(_, f)| f)
    }

    /// Renders `ev` into `out` (cleared first). Returns false, leaving `out` unspecified,
    /// when the event is not to be printed.
    pub fn render(&self, ev: &EventView<'_>, out: &mut String) -> bool {
        out.clear();
        // Every field is extracted even after one is missing: some fields remember the
        // previous event, and sysdig updates them on every event it formats.
        let mut complete = true;
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(f, width) => {
                    let start = out.len();
                    if !f.extract(ev, out) {
                        complete = false;
                        out.push_str("<NA>");
                    }
                    if let Some(w) = *width {
                        pad_or_cut(out, start, w);
                    }
                }
            }
        }
        complete || self.print_all
    }
}

impl Format {
    /// Renders `ev` as one JSON object, as sysdig's `-j` does: each field of the format
    /// under its name (once, keys sorted), integers, ports and booleans as JSON values,
    /// text as strings, the event-time fields (`evt.time`, `evt.outputtime`, ...) as the
    /// timestamp in nanoseconds, and `null` for a field that does not apply. Literal text
    /// and widths of the format are ignored. Returns false, as [`Format::render`] does,
    /// when the event is not to be printed.
    pub fn render_json(&self, ev: &EventView<'_>, out: &mut String) -> bool {
        out.clear();
        out.push('{');
        let mut text = String::new();
        let mut complete = true;
        for (n, &i) in self.json_order.iter().enumerate() {
            let Piece::Field(f, _) = &self.pieces[i] else {
                continue;
            };
            if n > 0 {
                out.push(',');
            }
            json::push_str(out, f.text());
            out.push(':');
            if f.info().is_event_time() {
                json::push_u64(out, ev.raw.event.ts());
                continue;
            }
            text.clear();
            if !f.extract(ev, &mut text) {
                complete = false;
                out.push_str("null");
                continue;
            }
            if f.info().is_hex() {
                json::push_str(out, &text);
            } else {
                json::push_value(out, f.info().ty, &text);
            }
        }
        out.push('}');
        complete || self.print_all
    }
}

/// JSON text the way sysdig's JSON library writes it.
mod json {
    use crate::fields::FieldType;

    /// A field's value: a number or boolean where the field's type is one and the text
    /// reads as one (hexadecimal renderings such as `fd.dev` stay strings), else a string.
    pub(super) fn push_value(out: &mut String, ty: FieldType, text: &str) {
        use FieldType as T;
        let number = match ty {
            T::Int16
            | T::Int32
            | T::Int64
            | T::Uint32
            | T::Uint64
            | T::AbsTime
            | T::RelTime
            | T::Port
            | T::Dynamic => text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok(),
            T::Double => {
                if let Ok(d) = text.parse::<f64>() {
                    push_double(out, d);
                    return;
                }
                false
            }
            T::Bool => text == "true" || text == "false",
            T::CharBuf | T::ByteBuf | T::IpAddr | T::IpNet => false,
        };
        if number {
            // Without the zero padding some fields print with (`evt.reltime`).
            let digits = text.strip_prefix('-').unwrap_or(text);
            let trimmed = digits.trim_start_matches('0');
            if text.starts_with('-') {
                out.push('-');
            }
            out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
        } else {
            push_str(out, text);
        }
    }

    pub(super) fn push_u64(out: &mut String, v: u64) {
        use std::fmt::Write;
        let _ = write!(out, "{v}");
    }

    /// `%.17g`, with `.0` added to whole numbers, as jsoncpp prints doubles.
    fn push_double(out: &mut String, d: f64) {
        if !d.is_finite() {
            out.push_str("null");
            return;
        }
        let mut buf = [0u8; 40];
        // SAFETY: `buf` is writable for its whole length, which is passed as the limit; the
        // format takes exactly one double, which is given.
        let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), d) };
        let s = std::str::from_utf8(&buf[..(n.max(0) as usize).min(buf.len() - 1)]).unwrap_or("0");
        out.push_str(s);
        if !s.contains(['.', 'e', 'n', 'i']) {
            out.push_str(".0");
        }
    }

    /// A quoted string: quote, backslash and the usual control characters escaped by name,
    /// other control characters and everything outside ASCII as `\uXXXX` (surrogate pairs
    /// beyond the BMP), as jsoncpp does by default.
    pub(super) fn push_str(out: &mut String, s: &str) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                ' '..='\u{7f}' => out.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        push_hex4(out, *u);
                    }
                }
            }
        }
        out.push('"');
    }

    fn push_hex4(out: &mut String, u: u16) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            out.push(HEX[usize::from((u >> shift) & 0xf)] as char);
        }
    }
}

/// Makes `out[start..]` exactly `width` bytes: cut, or padded with spaces on the right.
fn pad_or_cut(out: &mut String, start: usize, width: usize) {
    let len = out.len() - start;
    if len > width {
        let mut cut = start + width;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    while out.len() < start + width {
        out.push(' ');
    }
}
