//! Output formats: `-p` format strings (`%evt.num %evt.type`), compiled once into literal
//! text and fields, and rendered per event into a reused buffer.

use crate::capture::RawEvent;
use crate::error::{Error, Result};
use crate::fields::Field;

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Field(Field),
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
                let (field, used) = Field::parse_prefix(after).map_err(|e| match e {
                    Error::UnknownField { name } => Error::BadFormat {
                        column: offset + i + 2,
                        why: format!("unknown field '{name}'"),
                    },
                    other => other,
                })?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Field(field));
                i += 1 + used;
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
    pub fn render(&self, ev: &RawEvent<'_>, num: u64, out: &mut String) -> bool {
        out.clear();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(f) => {
                    if !f.extract(ev, num, out) {
                        if !self.print_all {
                            return false;
                        }
                        out.push_str("<NA>");
                    }
                }
            }
        }
        true
    }
}
