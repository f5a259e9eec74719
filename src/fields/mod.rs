//! The field registry: every field's name, type and description, and its extractor. Fields
//! are looked up once (when a format or filter is compiled) and then extracted per event
//! without name look-ups.
//!
//! This registry holds the fields that need no state (`evt.*`, `thread.tid`); the state layer
//! adds `proc.*`, `fd.*` and the others.

mod time;

use std::fmt::Write;

use crate::capture::RawEvent;
use crate::error::{Error, Result};
use crate::event::render;
use crate::event::{Direction, ParamType, Value};

/// The type of a field's value, as `-l` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Int64,
    Uint64,
    Uint32,
    CharBuf,
    AbsTime,
}

impl FieldType {
    /// The libsinsp name of the type.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Int64 => "INT64",
            FieldType::Uint64 => "UINT64",
            FieldType::Uint32 => "UINT32",
            FieldType::CharBuf => "CHARBUF",
            FieldType::AbsTime => "ABSTIME",
        }
    }
}

/// What a field takes after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    /// `.NAME` or `[N]`: a parameter of the event.
    Param,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Num,
    Time,
    RawTime,
    DateTime,
    Cpu,
    Dir,
    Type,
    Res,
    Arg,
    RawArg,
    Tid,
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    pub name: &'static str,
    pub ty: FieldType,
    pub arg: ArgKind,
    pub description: &'static str,
    kind: Kind,
}

const fn field(
    name: &'static str,
    ty: FieldType,
    arg: ArgKind,
    kind: Kind,
    description: &'static str,
) -> FieldInfo {
    FieldInfo {
        name,
        ty,
        arg,
        description,
        kind,
    }
}

/// Every field Peregrine knows, in `-l` order.
pub static FIELDS: &[FieldInfo] = &[
    field(
        "evt.num",
        FieldType::Uint64,
        ArgKind::None,
        Kind::Num,
        "event number",
    ),
    field(
        "evt.time",
        FieldType::CharBuf,
        ArgKind::None,
        Kind::Time,
        "event timestamp as a time string that includes the nanosecond part",
    ),
    field(
        "evt.rawtime",
        FieldType::AbsTime,
        ArgKind::None,
        Kind::RawTime,
        "absolute event timestamp, i.e. nanoseconds from epoch",
    ),
    field(
        "evt.datetime",
        FieldType::CharBuf,
        ArgKind::None,
        Kind::DateTime,
        "event timestamp as a time string that includes the date",
    ),
    field(
        "evt.cpu",
        FieldType::Int64,
        ArgKind::None,
        Kind::Cpu,
        "number of the CPU where this event happened",
    ),
    field(
        "evt.dir",
        FieldType::CharBuf,
        ArgKind::None,
        Kind::Dir,
        "event direction: '>' for enter events, '<' for exit events",
    ),
    field(
        "evt.type",
        FieldType::CharBuf,
        ArgKind::None,
        Kind::Type,
        "the name of the event (e.g. 'open')",
    ),
    field(
        "evt.res",
        FieldType::CharBuf,
        ArgKind::None,
        Kind::Res,
        "event return value, as a string: 'SUCCESS', or the error code (e.g. 'ENOENT')",
    ),
    field(
        "evt.arg",
        FieldType::CharBuf,
        ArgKind::Param,
        Kind::Arg,
        "one of the event arguments, by name (evt.arg.fd) or number (evt.arg[0])",
    ),
    field(
        "evt.rawarg",
        FieldType::CharBuf,
        ArgKind::Param,
        Kind::RawArg,
        "one of the event arguments by name, unrendered (evt.rawarg.fd)",
    ),
    field(
        "thread.tid",
        FieldType::Int64,
        ArgKind::None,
        Kind::Tid,
        "the id of the thread generating the event",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum ParamSel {
    None,
    Name(String),
    Index(usize),
}

/// A field resolved once, ready to extract from any event.
#[derive(Debug, Clone)]
pub struct Field {
    info: &'static FieldInfo,
    sel: ParamSel,
    text: String,
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl Field {
    /// Parses a whole field name such as `evt.type` or `evt.arg.fd`.
    pub fn parse(text: &str) -> Result<Field> {
        let (f, used) = Field::parse_prefix(text)?;
        if used != text.len() {
            return Err(Error::UnknownField { name: text.into() });
        }
        Ok(f)
    }

    /// Parses the field at the start of `text` (as in a format string); returns it and the
    /// number of bytes it took.
    pub fn parse_prefix(text: &str) -> Result<(Field, usize)> {
        let name_len = text.find(|c| !is_field_char(c)).unwrap_or(text.len());
        let name = &text[..name_len];
        let unknown = || Error::UnknownField {
            name: text[..name_len.max(1).min(text.len())].into(),
        };
        // The longest registered name that the text starts with, ending at a boundary.
        let info = FIELDS
            .iter()
            .filter(|f| {
                name.starts_with(f.name)
                    && (name.len() == f.name.len()
                        || name.as_bytes()[f.name.len()] == b'.'
                        || text.as_bytes().get(f.name.len()) == Some(&b'['))
            })
            .max_by_key(|f| f.name.len())
            .ok_or_else(unknown)?;
        let rest = &text[info.name.len()..];
        let (sel, used) = match info.arg {
            ArgKind::None if name.len() == info.name.len() => (ParamSel::None, info.name.len()),
            ArgKind::None => return Err(unknown()),
            ArgKind::Param => {
                if let Some(r) = rest.strip_prefix('[') {
                    let close = r.find(']').ok_or_else(|| Error::InvalidField {
                        field: info.name.into(),
                        why: "missing ']' after the argument index".into(),
                    })?;
                    let idx = r[..close].parse().map_err(|_| Error::InvalidField {
                        field: info.name.into(),
                        why: format!("'{}' is not an argument index", &r[..close]),
                    })?;
                    (ParamSel::Index(idx), info.name.len() + close + 2)
                } else if name.len() > info.name.len() + 1 {
                    let arg = &name[info.name.len() + 1..];
                    (ParamSel::Name(arg.into()), name.len())
                } else {
                    return Err(Error::InvalidField {
                        field: info.name.into(),
                        why: format!(
                            "needs an argument name or index: {0}.NAME or {0}[N]",
                            info.name
                        ),
                    });
                }
            }
        };
        Ok((
            Field {
                info,
                sel,
                text: text[..used].to_owned(),
            },
            used,
        ))
    }

    /// The field as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Registry entry of the field.
    pub fn info(&self) -> &'static FieldInfo {
        self.info
    }

    fn param<'a>(&self, ev: &RawEvent<'a>) -> Option<crate::event::Param<'a>> {
        match &self.sel {
            ParamSel::Name(n) => ev.event.param_by_name(n),
            ParamSel::Index(i) => ev.event.param(*i),
            ParamSel::None => None,
        }
    }

    /// Appends the field's value for `ev` (number `num`) to `out`; false when the field does
    /// not apply to the event (nothing is appended then).
    pub fn extract(&self, ev: &RawEvent<'_>, num: u64, out: &mut String) -> bool {
        let e = &ev.event;
        match self.info.kind {
            Kind::Num => {
                let _ = write!(out, "{num}");
            }
            Kind::Time => time::push_time(out, e.ts(), false),
            Kind::DateTime => time::push_time(out, e.ts(), true),
            Kind::RawTime => {
                let _ = write!(out, "{}", e.ts());
            }
            Kind::Cpu => {
                let _ = write!(out, "{}", ev.cpu);
            }
            Kind::Dir => out.push_str(e.direction().symbol()),
            Kind::Type => out.push_str(event_type_name(e)),
            Kind::Tid => {
                let _ = write!(out, "{}", e.tid());
            }
            Kind::Res => return extract_res(ev, out),
            Kind::Arg | Kind::RawArg => {
                let Some(p) = self.param(ev) else {
                    return false;
                };
                let Ok(v) = p.value() else {
                    return false;
                };
                if self.info.kind == Kind::RawArg {
                    push_raw(out, p.info.ty, v);
                } else {
                    let mut resolved = String::new();
                    let start = out.len();
                    render::render(p.info, v, out, &mut resolved);
                    if !resolved.is_empty() {
                        out.truncate(start);
                        out.push_str(&resolved);
                    }
                }
            }
        }
        true
    }
}

/// The event name, except for generic syscall events, which are named after their syscall
/// (`<unknown>` for an id the syscall table lacks).
pub fn event_type_name(e: &crate::event::EventRef<'_>) -> &'static str {
    if e.event_type() <= 1 {
        return match e.param(0).map(|p| p.value()) {
            Some(Ok(Value::Unsigned(id))) if id != 0 => {
                crate::event::schema::ppm_sc_name(id as u16).unwrap_or("<unknown>")
            }
            _ => "<unknown>",
        };
    }
    e.name()
}

/// `evt.res`: `SUCCESS` or the errno name, from `res` (or `fd` of fd-creating exits).
fn extract_res(ev: &RawEvent<'_>, out: &mut String) -> bool {
    let e = &ev.event;
    let p = match e.param_by_name("res") {
        Some(p) => p,
        None => {
            let creates_fd = e
                .info()
                .is_some_and(|i| i.flags.contains(crate::event::EventFlags::CREATES_FD));
            if !(creates_fd && e.direction() == Direction::Exit) {
                return false;
            }
            match e.param_by_name("fd") {
                Some(p) => p,
                None => return false,
            }
        }
    };
    let Some(res) = p.value().ok().and_then(|v| v.as_i64()) else {
        return false;
    };
    if res >= 0 {
        out.push_str("SUCCESS");
    } else if let Some(name) = render::errno_name(res.unsigned_abs() as u32) {
        out.push_str(name);
    } else {
        let _ = write!(out, "{res}");
    }
    true
}

/// `evt.rawarg`: numbers in decimal, text as it is, other types as rendered.
fn push_raw(out: &mut String, ty: ParamType, v: Value<'_>) {
    match v {
        Value::Signed(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Unsigned(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Str(s) => render::push_sanitized(out, s),
        other => {
            let info = crate::event::ParamInfo {
                name: "",
                ty,
                format: crate::event::PrintFormat::Na,
                extra: crate::event::ParamExtra::None,
            };
            let mut resolved = String::new();
            render::render(&info, other, out, &mut resolved);
        }
    }
}

/// The registry entry called `name`, for listing.
pub fn lookup(name: &str) -> Option<&'static FieldInfo> {
    FIELDS.iter().find(|f| f.name == name)
}
