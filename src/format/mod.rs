//! Output formats: `-p` format strings (`%evt.num %evt.type`), compiled once into literal
//! text and fields, and rendered per event into a reused buffer.

use crate::error::{Error, Result};
use crate::fields::{EventView, Field};

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// A field, with a fixed width when one was given (`%10proc.name`).
    Field(Field, Option<usize>),
}

/// A compiled `-p` format.
#[derive(Debug, Clone)]
pub struct Format {
    pieces: Vec<Piece>,
    /// `*` prefix: print every event, with `<NA>` for fields that do not apply. Without it,
    /// an event is printed only if every field applies to it.
    print_all: bool,
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
                    Some(
                        after[..digits]
                            .parse::<usize>()
                            .map_err(|_| Error::BadFormat {
                                column: offset + i + 2,
                                why: "field width too large".into(),
                            })?,
                    )
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
        Ok(Format { pieces, print_all })
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
