//! The Falco filter language: `evt.type in (execve, execveat) and not user.name = root`.
//!
//! A filter is parsed once ([`parse`]), compiled once ([`Filter::compile`]: fields resolved,
//! values converted to the field's type, lists turned into sets, patterns compiled), and then
//! evaluated per event with no parsing and no name look-ups ([`Filter::matches`]).
//! [`Filter::event_types`] tells which event types it can ever match, for a live source to
//! program the kernel with.

pub mod ast;
mod parse;

use std::cell::RefCell;

use hashbrown::HashSet;

use crate::error::{Error, Result};
use crate::event::schema::{EVENT_MAX, event_info, ppm_sc_name};
use crate::fields::{EventView, FIELDS, Field, FieldType, Usage};
pub use ast::{Expr, FieldRef, Op, Transformer, Value};
pub use parse::ParseError;

/// Parses a filter into its syntax tree.
pub fn parse(text: &str) -> std::result::Result<Expr, ParseError> {
    parse::parse(text)
}

/// Number of syscall codes (`ppm_sc`) the schema names.
const SC_MAX: usize = crate::event::table::PPM_SC_NAMES.len();

/// A set of event types (by id), and of the syscalls (by `ppm_sc` code) whose generic
/// events can match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes {
    bits: Vec<u64>,
    syscalls: Vec<u64>,
}

impl EventTypes {
    fn none() -> Self {
        EventTypes {
            bits: vec![0; (EVENT_MAX as usize).div_ceil(64)],
            syscalls: vec![0; SC_MAX.div_ceil(64)],
        }
    }

    fn all() -> Self {
        let mut s = EventTypes::none();
        for id in 0..EVENT_MAX {
            s.insert(id);
        }
        for c in 0..SC_MAX {
            s.syscalls[c / 64] |= 1 << (c % 64);
        }
        s
    }

    /// Whether a generic syscall event for syscall `ppm_sc` (its code) can match.
    pub fn contains_generic(&self, ppm_sc: u16) -> bool {
        (self.contains(0) || self.contains(1))
            && self
                .syscalls
                .get(ppm_sc as usize / 64)
                .is_some_and(|w| w & (1 << (ppm_sc % 64)) != 0)
    }

    /// Whether syscall `ppm_sc` (its code) is in the set of generic syscalls.
    fn contains_syscall(&self, ppm_sc: u16) -> bool {
        self.syscalls
            .get(ppm_sc as usize / 64)
            .is_some_and(|w| w & (1 << (ppm_sc % 64)) != 0)
    }

    fn insert(&mut self, id: u16) {
        if let Some(w) = self.bits.get_mut(id as usize / 64) {
            *w |= 1 << (id % 64);
        }
    }

    /// Whether type `id` is in the set.
    pub fn contains(&self, id: u16) -> bool {
        self.bits
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Number of types in the set.
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids in the set.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..EVENT_MAX).filter(|&i| self.contains(i))
    }

    fn union(&mut self, o: &EventTypes) {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a |= b;
        }
        for (a, b) in self.syscalls.iter_mut().zip(&o.syscalls) {
            *a |= b;
        }
    }

    fn intersect(&mut self, o: &EventTypes) {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a &= b;
        }
        for (a, b) in self.syscalls.iter_mut().zip(&o.syscalls) {
            *a &= b;
        }
    }

    fn complement(&mut self) {
        let all = EventTypes::all();
        for (a, b) in self.bits.iter_mut().zip(&all.bits) {
            *a = !*a & b;
        }
        for (a, b) in self.syscalls.iter_mut().zip(&all.syscalls) {
            *a = !*a & b;
        }
    }
}

/// How a compared value is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Num,
    Float,
    Text,
    Bool,
    Ip,
}

fn kind_of(ty: FieldType) -> Kind {
    match ty {
        FieldType::Int16
        | FieldType::Int32
        | FieldType::Int64
        | FieldType::Uint32
        | FieldType::Uint64
        | FieldType::AbsTime
        | FieldType::RelTime
        | FieldType::Port => Kind::Num,
        FieldType::Double => Kind::Float,
        FieldType::Bool => Kind::Bool,
        FieldType::IpAddr | FieldType::IpNet => Kind::Ip,
        FieldType::CharBuf | FieldType::ByteBuf | FieldType::Dynamic => Kind::Text,
    }
}

/// A value the filter reads from the event: a field, possibly transformed.
#[derive(Debug)]
enum Operand {
    Field(Field),
    Transform(Transformer, Box<Operand>),
}

impl Operand {
    fn kind(&self) -> Kind {
        match self {
            Operand::Field(f) => kind_of(f.info().ty),
            Operand::Transform(Transformer::Len, _) => Kind::Num,
            Operand::Transform(_, _) => Kind::Text,
        }
    }

    /// Extracts into `out` (cleared first); false if the field does not apply.
    fn extract(&self, v: &EventView<'_>, out: &mut String) -> bool {
        out.clear();
        match self {
            Operand::Field(f) => f.extract(v, out),
            Operand::Transform(t, inner) => {
                let mut tmp = String::new();
                if !inner.extract(v, &mut tmp) {
                    return false;
                }
                match t {
                    Transformer::ToLower => out.push_str(&tmp.to_lowercase()),
                    Transformer::ToUpper => out.push_str(&tmp.to_uppercase()),
                    Transformer::Basename => {
                        out.push_str(tmp.rsplit('/').next().unwrap_or(&tmp));
                    }
                    Transformer::Len => out.push_str(&tmp.len().to_string()),
                    Transformer::B64 => push_base64(out, tmp.as_bytes()),
                }
                true
            }
        }
    }
}

fn push_base64(out: &mut String, b: &[u8]) {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// The right side, converted once.
#[derive(Debug)]
enum Rhs {
    None,
    Text(String),
    Num(i128),
    Float(f64),
    Ip(std::net::IpAddr),
    Net(std::net::IpAddr, u8),
    /// Addresses and networks of an `in` list, an address as a full-length network.
    Nets(Vec<(std::net::IpAddr, u8)>),
    TextSet(TextSet),
    NumSet(HashSet<i128>),
    Prefixes(HashSet<String>),
    Bytes(Vec<u8>),
    Regex(regex::Regex),
    Field(Operand),
}

/// The texts of an `in` list: compared one by one when there are few (cheaper than
/// hashing the text), hashed otherwise.
#[derive(Debug)]
enum TextSet {
    Few(Vec<String>),
    Many(HashSet<String>),
}

impl TextSet {
    /// Lists up to this long are compared one by one.
    const FEW: usize = 8;

    fn new(items: &[String]) -> TextSet {
        let set: HashSet<String> = items.iter().cloned().collect();
        if set.len() <= TextSet::FEW {
            TextSet::Few(set.into_iter().collect())
        } else {
            TextSet::Many(set)
        }
    }

    fn contains(&self, t: &str) -> bool {
        match self {
            TextSet::Few(list) => list.iter().any(|s| s == t),
            TextSet::Many(set) => set.contains(t),
        }
    }

    /// [`TextSet::contains`] of text given as bytes (no text is invalid UTF-8).
    fn contains_bytes(&self, b: &[u8]) -> bool {
        match self {
            TextSet::Few(list) => list.iter().any(|s| s.as_bytes() == b),
            TextSet::Many(set) => std::str::from_utf8(b).is_ok_and(|t| set.contains(t)),
        }
    }

    fn all(&self, f: impl Fn(&String) -> bool) -> bool {
        match self {
            TextSet::Few(list) => list.iter().all(f),
            TextSet::Many(set) => set.iter().all(f),
        }
    }
}

/// A compiled filter node.
#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// `evt.type` against a set of names: the event's type id, or for generic events its
    /// syscall's name.
    Type {
        ids: EventTypes,
        syscalls: HashSet<String>,
        negate: bool,
    },
    Cmp(Box<Cmp>),
}

/// One comparison.
#[derive(Debug)]
struct Cmp {
    lhs: Operand,
    op: Op,
    rhs: Rhs,
    kind: Kind,
    /// The comparison can be made on the bytes [`Field::text_bytes`] gives: an equality,
    /// inequality, prefix or `in` test against texts without U+FFFD (see there).
    on_bytes: bool,
    /// The comparison's field in a [`SharedFields`] registry: its value is extracted once
    /// per event for all the filters compiled against it.
    slot: Option<u16>,
    /// The comparison itself in the registry: identical comparisons of many rules (those
    /// of a shared macro) are evaluated once per event.
    result_slot: Option<u32>,
}

/// Fields the filter knows that are not in the field registry: each stands for either end
/// of a connection.
const FILTER_ONLY_FIELDS: &[&str] = &[
    "fd.ip", "fd.port", "fd.proto", "fd.net", "fd.cnet", "fd.snet", "fd.lnet", "fd.rnet",
];

/// A compiled filter.
#[derive(Debug)]
pub struct Filter {
    expr: Expr,
    root: Node,
    types: EventTypes,
    scratch: RefCell<(String, String)>,
}

fn err(column: usize, why: impl Into<String>) -> Error {
    Error::BadFilter {
        column,
        why: why.into(),
    }
}

/// Field names close to `name`, for suggestions.
fn nearest_fields(name: &str) -> Vec<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                let sub = prev[j] + usize::from(ca != *cb);
                cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }
    let mut scored: Vec<(usize, &'static str)> = FIELDS
        .iter()
        .map(|f| (distance(name, f.name), f.name))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// Whether `name` is an event name or a syscall name.
fn known_type_name(name: &str) -> bool {
    (0..EVENT_MAX).any(|i| event_info(i).is_some_and(|e| e.name == name))
        || (1..1024).any(|c| ppm_sc_name(c) == Some(name))
}

struct Compiler<'a> {
    text: &'a str,
    shared: Option<&'a SharedFields>,
}

/// Fields shared by many filters (the rules of a rule set): each distinct field gets a
/// slot, and a [`FieldCache`] keeps its value for the current event, so that fifty rules
/// asking for `fd.directory` of one event extract it once.
#[derive(Debug, Default)]
pub struct SharedFields {
    slots: RefCell<hashbrown::HashMap<String, u16>>,
    results: RefCell<hashbrown::HashMap<String, u32>>,
}

impl SharedFields {
    /// An empty registry.
    pub fn new() -> SharedFields {
        SharedFields::default()
    }

    fn slot(&self, field: &str) -> u16 {
        let mut m = self.slots.borrow_mut();
        let n = m.len();
        *m.entry(field.to_string())
            .or_insert(n.min(u16::MAX as usize - 1) as u16)
    }

    fn result_slot(&self, cmp: &str) -> u32 {
        let mut m = self.results.borrow_mut();
        let n = m.len() as u32;
        *m.entry(cmp.to_string()).or_insert(n)
    }

    /// A cache for the filters compiled against this registry.
    pub fn cache(&self) -> FieldCache {
        FieldCache {
            event: 1,
            slots: vec![(0, false, String::new()); self.slots.borrow().len()],
            results: vec![(0, false); self.results.borrow().len()],
        }
    }
}

/// The values of shared fields for one event; [`FieldCache::next_event`] forgets them.
#[derive(Debug, Clone)]
pub struct FieldCache {
    event: u64,
    /// Per slot: the event it was filled for, whether the field applied, its value.
    slots: Vec<(u64, bool, String)>,
    /// Per comparison: the event it was evaluated for, and its result.
    results: Vec<(u64, bool)>,
}

impl FieldCache {
    /// Forgets the values: the next evaluations are for another event.
    pub fn next_event(&mut self) {
        self.event += 1;
    }
}

/// What evaluation works with: two scratch buffers, and the shared fields' values.
struct Scratch<'s> {
    a: &'s mut String,
    b: &'s mut String,
    cache: Option<&'s mut FieldCache>,
}

impl Compiler<'_> {
    /// The column of the first occurrence of `needle` in the filter (for messages about a
    /// compiled part; 1 when not found).
    fn column_of(&self, needle: &str) -> usize {
        self.text.find(needle).map_or(1, |i| i + 1)
    }

    fn operand(&self, r: &FieldRef) -> Result<Operand> {
        match r {
            FieldRef::Transform(t, inner) => {
                Ok(Operand::Transform(*t, Box::new(self.operand(inner)?)))
            }
            FieldRef::Field { name, arg } => {
                let text = match arg {
                    Some(a) => format!("{name}[{a}]"),
                    None => name.clone(),
                };
                let col = self.column_of(name);
                let field = Field::parse(&text).map_err(|e| match e {
                    Error::UnknownField { .. } => err(
                        col,
                        format!(
                            "unknown field '{name}'; nearest: {}",
                            nearest_fields(name).join(", ")
                        ),
                    ),
                    Error::InvalidField { why, .. } => err(col, format!("{name}: {why}")),
                    other => other,
                })?;
                Ok(Operand::Field(field))
            }
        }
    }

    fn convert(&self, kind: Kind, field: &str, op: Op, s: &str) -> Result<Rhs> {
        let col = self.column_of(s).max(1);
        Ok(match (kind, op) {
            (_, Op::Regex) => {
                let re = regex::Regex::new(&format!("^(?:{s})$"))
                    .map_err(|e| err(col, format!("bad regular expression '{s}': {e}")))?;
                Rhs::Regex(re)
            }
            (_, Op::BContains | Op::BStartsWith) => {
                let hex: String = s.chars().filter(|c| !c.is_whitespace()).collect();
                if !hex.len().is_multiple_of(2) || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return Err(err(col, format!("'{s}' is not a hex byte string")));
                }
                let bytes = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0))
                    .collect();
                Rhs::Bytes(bytes)
            }
            (Kind::Num, _) => Rhs::Num(
                parse_num(s)
                    .ok_or_else(|| err(col, format!("'{s}' is not a number, as {field} needs")))?,
            ),
            (Kind::Float, _) => Rhs::Float(
                s.parse()
                    .map_err(|_| err(col, format!("'{s}' is not a number, as {field} needs")))?,
            ),
            (Kind::Bool, _) => Rhs::Text(match s {
                "true" | "1" => "true".into(),
                "false" | "0" => "false".into(),
                _ => return Err(err(col, format!("{field} is true or false, not '{s}'"))),
            }),
            (Kind::Ip, _) => {
                if let Some((a, bits)) = s.split_once('/') {
                    let ip = a
                        .parse()
                        .map_err(|_| err(col, format!("'{s}' is not a network")))?;
                    let bits = bits
                        .parse()
                        .map_err(|_| err(col, format!("'{s}' is not a network")))?;
                    Rhs::Net(ip, bits)
                } else {
                    Rhs::Ip(
                        s.parse()
                            .map_err(|_| err(col, format!("'{s}' is not an IP address")))?,
                    )
                }
            }
            (Kind::Text, Op::IContains) => Rhs::Text(s.to_lowercase()),
            (Kind::Text, _) => Rhs::Text(s.to_string()),
        })
    }

    fn check_op(&self, field: &str, kind: Kind, op: Op) -> Result<()> {
        let ok = match op {
            Op::Eq | Op::Ne | Op::Exists | Op::In | Op::Intersects => true,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                matches!(kind, Kind::Num | Kind::Float | Kind::Text)
            }
            Op::Contains
            | Op::IContains
            | Op::BContains
            | Op::StartsWith
            | Op::BStartsWith
            | Op::EndsWith
            | Op::Glob
            | Op::IGlob
            | Op::Regex
            | Op::PMatch => kind == Kind::Text,
        };
        if ok {
            Ok(())
        } else {
            let ty = match kind {
                Kind::Num => "a number",
                Kind::Float => "a number",
                Kind::Bool => "a boolean",
                Kind::Ip => "an IP address",
                Kind::Text => "text",
            };
            Err(err(
                self.column_of(field),
                format!(
                    "operator '{}' does not apply to {field}, which is {ty}",
                    op.as_str()
                ),
            ))
        }
    }

    fn expr(&self, e: &Expr) -> Result<Node> {
        Ok(match e {
            Expr::And(items) => {
                Node::And(items.iter().map(|i| self.expr(i)).collect::<Result<_>>()?)
            }
            Expr::Or(items) => Node::Or(items.iter().map(|i| self.expr(i)).collect::<Result<_>>()?),
            Expr::Not(inner) => Node::Not(Box::new(self.expr(inner)?)),
            Expr::Ident(name) => {
                return Err(err(
                    self.column_of(name),
                    format!("'{name}' is not a field (macros and lists are not supported)"),
                ));
            }
            Expr::Check { field, op, value } => self.check(field, *op, value.as_ref())?,
        })
    }

    fn check(&self, field: &FieldRef, op: Op, value: Option<&Value>) -> Result<Node> {
        let name = field.to_string();
        // Filter-only socket fields stand for "either end".
        if let FieldRef::Field { name: n, arg: None } = field {
            let either: Option<&[&str]> = match n.as_str() {
                "fd.ip" => Some(&["fd.cip", "fd.sip"]),
                "fd.port" => Some(&["fd.cport", "fd.sport"]),
                "fd.proto" => Some(&["fd.cproto", "fd.sproto"]),
                "fd.net" => Some(&["fd.cip", "fd.sip"]),
                "fd.cnet" => Some(&["fd.cip"]),
                "fd.snet" => Some(&["fd.sip"]),
                "fd.lnet" => Some(&["fd.lip"]),
                "fd.rnet" => Some(&["fd.rip"]),
                _ => None,
            };
            if let Some(parts) = either {
                let nodes = parts
                    .iter()
                    .map(|p| {
                        let f = FieldRef::Field {
                            name: (*p).to_string(),
                            arg: None,
                        };
                        self.check(&f, op, value)
                    })
                    .collect::<Result<Vec<_>>>()?;
                return Ok(if op == Op::Ne {
                    Node::And(nodes)
                } else {
                    Node::Or(nodes)
                });
            }
            if n == "evt.type"
                && matches!(op, Op::Eq | Op::Ne | Op::In)
                && let Some(Value::Str(_) | Value::List(_)) = value
            {
                return self.type_check(op, value.unwrap());
            }
        }
        let lhs = self.operand(field)?;
        if let Operand::Field(f) = &lhs
            && f.info().usage == Usage::FilterOnly
            && f.info().name != "evt.around"
        {
            // Handled above; anything else filter-only is usable as is.
        }
        let kind = lhs.kind();
        self.check_op(&name, kind, op)?;
        let rhs = match value {
            None => Rhs::None,
            Some(Value::Field(r)) => Rhs::Field(self.operand(r)?),
            Some(Value::Str(s)) => self.convert(kind, &name, op, s)?,
            Some(Value::List(items)) => match (op, kind) {
                (Op::PMatch, _) => Rhs::Prefixes(
                    items
                        .iter()
                        .map(|s| s.trim_end_matches('/').to_string())
                        .collect(),
                ),
                (_, Kind::Num) => Rhs::NumSet(
                    items
                        .iter()
                        .map(|s| match self.convert(kind, &name, Op::Eq, s)? {
                            Rhs::Num(n) => Ok(n),
                            _ => unreachable!("numbers convert to numbers"),
                        })
                        .collect::<Result<_>>()?,
                ),
                // Addresses and networks: `fd.net in ("127.0.0.1/24", "10.0.0.0/8")`.
                (_, Kind::Ip) => Rhs::Nets(
                    items
                        .iter()
                        .map(|s| match self.convert(kind, &name, Op::Eq, s)? {
                            Rhs::Net(ip, bits) => Ok((ip, bits)),
                            Rhs::Ip(ip) => Ok((ip, if ip.is_ipv4() { 32 } else { 128 })),
                            _ => unreachable!("addresses convert to addresses"),
                        })
                        .collect::<Result<_>>()?,
                ),
                _ => Rhs::TextSet(TextSet::new(items)),
            },
        };
        let plain = |t: &String| !t.contains('\u{FFFD}');
        let on_bytes = match (op, &rhs) {
            (Op::Eq | Op::Ne | Op::StartsWith, Rhs::Text(t)) => plain(t),
            (Op::In | Op::Intersects, Rhs::TextSet(set)) => set.all(plain),
            _ => false,
        };
        let slot = match (&self.shared, &lhs) {
            (Some(shared), Operand::Field(f)) => Some(shared.slot(f.text())),
            _ => None,
        };
        let result_slot = self
            .shared
            .map(|shared| shared.result_slot(&format!("{field} {op:?} {value:?}")));
        Ok(Node::Cmp(Box::new(Cmp {
            lhs,
            op,
            rhs,
            kind,
            on_bytes,
            slot,
            result_slot,
        })))
    }

    fn type_check(&self, op: Op, value: &Value) -> Result<Node> {
        let names: Vec<&str> = match value {
            Value::Str(s) => vec![s.as_str()],
            Value::List(l) => l.iter().map(String::as_str).collect(),
            Value::Field(_) => unreachable!("checked by the caller"),
        };
        let mut ids = EventTypes::none();
        let mut syscalls = HashSet::new();
        for n in &names {
            if !known_type_name(n) {
                return Err(err(self.column_of(n), format!("unknown event type {n}")));
            }
            for i in 2..EVENT_MAX {
                if event_info(i).is_some_and(|e| e.name == *n) {
                    ids.insert(i);
                }
            }
            syscalls.insert((*n).to_string());
        }
        // The generic events' syscalls, by code, for `eval`.
        for c in 1..SC_MAX as u16 {
            if ppm_sc_name(c).is_some_and(|n| syscalls.contains(n)) {
                ids.syscalls[c as usize / 64] |= 1 << (c % 64);
            }
        }
        Ok(Node::Type {
            ids,
            syscalls,
            negate: op == Op::Ne,
        })
    }
}

/// Parses an integer: decimal, or hex with `0x`.
fn parse_num(s: &str) -> Option<i128> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i128::from_str_radix(h, 16).ok();
    }
    t.parse().ok()
}

impl Filter {
    /// Parses and compiles a filter.
    pub fn compile(text: &str) -> Result<Filter> {
        let expr = parse::parse(text).map_err(|e| err(e.column, e.why))?;
        Filter::build(expr, text, None)
    }

    /// Compiles `expr`, whose text (for error columns) is `text`.
    fn build(expr: Expr, text: &str, shared: Option<&SharedFields>) -> Result<Filter> {
        let mut root = Compiler { text, shared }.expr(&expr)?;
        reorder(&mut root);
        let types = types_of(&root).0;
        Ok(Filter {
            expr,
            root,
            types,
            scratch: RefCell::default(),
        })
    }

    /// Compiles a syntax tree built or rewritten by the caller (a rule condition with its
    /// macros expanded, for example). Error columns refer to the tree's canonical text.
    pub fn from_expr(expr: Expr) -> Result<Filter> {
        Filter::from_expr_shared(expr, None)
    }

    /// [`Filter::from_expr`], with the fields registered in `shared`: evaluate with
    /// [`Filter::matches_cached`] and a cache from that registry.
    pub fn from_expr_shared(expr: Expr, shared: Option<&SharedFields>) -> Result<Filter> {
        let text = expr.to_string();
        Filter::build(expr, &text, shared)
    }

    /// The first field of `expr` (in text order) that no field of the registry, nor a
    /// filter-only field, is: what a rule with `skip-if-unknown-filter` skips on.
    pub fn first_unknown_field(expr: &Expr) -> Option<String> {
        fn of_ref(r: &FieldRef) -> Option<String> {
            match r {
                FieldRef::Transform(_, inner) => of_ref(inner),
                FieldRef::Field { name, arg } => {
                    if arg.is_none() && FILTER_ONLY_FIELDS.contains(&name.as_str()) {
                        return None;
                    }
                    let text = match arg {
                        Some(a) => format!("{name}[{a}]"),
                        None => name.clone(),
                    };
                    match Field::parse(&text) {
                        Err(Error::UnknownField { .. }) => Some(name.clone()),
                        _ => None,
                    }
                }
            }
        }
        match expr {
            Expr::And(items) | Expr::Or(items) => {
                items.iter().find_map(Filter::first_unknown_field)
            }
            Expr::Not(inner) => Filter::first_unknown_field(inner),
            Expr::Ident(_) => None,
            Expr::Check { field, value, .. } => of_ref(field).or_else(|| match value {
                Some(Value::Field(r)) => of_ref(r),
                _ => None,
            }),
        }
    }

    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Every event type the filter can match (a superset): what a live source needs to
    /// capture for it. Events that change state must be captured anyway.
    pub fn event_types(&self) -> &EventTypes {
        &self.types
    }

    /// Whether the event passes the filter.
    pub fn matches(&self, v: &EventView<'_>) -> bool {
        let mut s = self.scratch.borrow_mut();
        let (a, b) = &mut *s;
        eval(&self.root, v, &mut Scratch { a, b, cache: None })
    }

    /// [`Filter::matches`] for a filter compiled with [`Filter::from_expr_shared`]: the
    /// shared fields' values are taken from `cache` (filled as needed), which must come
    /// from the same registry and be told of each new event.
    pub fn matches_cached(&self, v: &EventView<'_>, cache: &mut FieldCache) -> bool {
        let mut s = self.scratch.borrow_mut();
        let (a, b) = &mut *s;
        eval(
            &self.root,
            v,
            &mut Scratch {
                a,
                b,
                cache: Some(cache),
            },
        )
    }
}

/// A rough cost of evaluating a node: event-type sets first, then integer fields of the
/// event, then the rest. Predicates have no side effects, so `and`/`or` may evaluate their
/// operands cheapest first and stop early.
fn cost(n: &Node) -> u32 {
    match n {
        Node::Type { .. } => 0,
        Node::Cmp(c) => match (&c.lhs, &c.rhs) {
            (Operand::Field(f), Rhs::Num(_)) if f.info().name.starts_with("evt.") => 1,
            (Operand::Field(_), Rhs::Num(_)) => 2,
            (Operand::Field(_), _) => 3,
            _ => 4,
        },
        Node::Not(inner) => cost(inner),
        Node::And(items) | Node::Or(items) => items.iter().map(cost).max().unwrap_or(0) + 1,
    }
}

fn reorder(n: &mut Node) {
    match n {
        Node::And(items) | Node::Or(items) => {
            items.iter_mut().for_each(reorder);
            items.sort_by_key(cost);
        }
        Node::Not(inner) => reorder(inner),
        _ => {}
    }
}

/// The event types a node can match, and whether that set is exact.
fn types_of(n: &Node) -> (EventTypes, bool) {
    match n {
        Node::Type {
            ids,
            syscalls,
            negate,
        } => {
            let mut s = ids.clone();
            // Generic events can carry any syscall (older probes sent many that now have
            // events of their own that way): those named go in the set of generic syscalls.
            let mut generic = false;
            for c in 1..SC_MAX as u16 {
                if ppm_sc_name(c).is_some_and(|n| syscalls.contains(n)) {
                    s.syscalls[c as usize / 64] |= 1 << (c % 64);
                    generic = true;
                }
            }
            if generic {
                s.insert(0);
                s.insert(1);
            }
            if *negate {
                // Generic events match unless their syscall is named: not exact for them.
                s.complement();
                s.insert(0);
                s.insert(1);
                return (s, false);
            }
            let exact = !s.contains(0);
            (s, exact)
        }
        Node::And(items) => {
            let mut s = EventTypes::all();
            let mut exact = true;
            for i in items {
                let (t, e) = types_of(i);
                s.intersect(&t);
                exact &= e;
            }
            (s, exact && items.len() == 1)
        }
        Node::Or(items) => {
            let mut s = EventTypes::none();
            let mut exact = true;
            for i in items {
                let (t, e) = types_of(i);
                s.union(&t);
                exact &= e;
            }
            (s, exact)
        }
        Node::Not(inner) if matches!(**inner, Node::Type { .. }) => {
            let Node::Type {
                ids,
                syscalls,
                negate,
            } = &**inner
            else {
                unreachable!("matched above")
            };
            types_of(&Node::Type {
                ids: ids.clone(),
                syscalls: syscalls.clone(),
                negate: !negate,
            })
        }
        Node::Not(inner) => {
            let (mut t, exact) = types_of(inner);
            if exact {
                t.complement();
                (t, true)
            } else {
                (EventTypes::all(), false)
            }
        }
        // `evt.dir = <` (or `>`) can only match exit (or enter) events.
        Node::Cmp(c)
            if matches!(
                (&c.lhs, c.op, &c.rhs),
                (Operand::Field(f), Op::Eq, Rhs::Text(dir))
                    if f.info().name == "evt.dir" && (dir == "<" || dir == ">")
            ) =>
        {
            let Rhs::Text(dir) = &c.rhs else {
                return (EventTypes::all(), false);
            };
            let mut s = EventTypes::all();
            s.bits.iter_mut().for_each(|w| *w = 0);
            for id in (0..EVENT_MAX).filter(|&id| crate::event::Direction::of(id).symbol() == dir) {
                s.insert(id);
            }
            (s, false)
        }
        Node::Cmp(_) => (EventTypes::all(), false),
    }
}

fn ip_of(text: &str) -> Option<std::net::IpAddr> {
    text.parse().ok()
}

fn in_net(ip: std::net::IpAddr, net: std::net::IpAddr, bits: u8) -> bool {
    use std::net::IpAddr::{V4, V6};
    match (ip, net) {
        (V4(a), V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits.min(32))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (V6(a), V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits.min(128))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn eval(n: &Node, v: &EventView<'_>, s: &mut Scratch<'_>) -> bool {
    match n {
        Node::And(items) => items.iter().all(|i| eval_item(i, v, s)),
        Node::Or(items) => items.iter().any(|i| eval_item(i, v, s)),
        _ => eval_item(n, v, s),
    }
}

/// [`eval`] of an operand of `and` / `or`: comparisons, type checks and their negations are
/// evaluated in place, without a call per node.
#[inline(always)]
fn eval_item(n: &Node, v: &EventView<'_>, s: &mut Scratch<'_>) -> bool {
    let (n, negate) = match n {
        Node::Not(inner) => (&**inner, true),
        _ => (n, false),
    };
    let hit = match n {
        Node::Cmp(c) => match (c.result_slot, s.cache.as_deref_mut()) {
            (Some(slot), Some(cache)) if (slot as usize) < cache.results.len() => {
                let event = cache.event;
                let (at, hit) = cache.results[slot as usize];
                if at == event {
                    hit
                } else {
                    let hit = eval_cmp(c, v, s);
                    if let Some(cache) = s.cache.as_deref_mut() {
                        cache.results[slot as usize] = (event, hit);
                    }
                    hit
                }
            }
            _ => eval_cmp(c, v, s),
        },
        Node::Type {
            ids,
            negate: type_negate,
            ..
        } => {
            let ty = v.raw.event.event_type();
            let hit = if ty <= 1 {
                // A generic event is of its syscall's type (see `fields::event_type_name`).
                match v.raw.event.param(0).map(|p| p.value()) {
                    Some(Ok(crate::event::Value::Unsigned(id))) if id != 0 => {
                        ids.contains_syscall(id as u16)
                    }
                    _ => false,
                }
            } else {
                ids.contains(ty)
            };
            hit != *type_negate
        }
        _ => eval(n, v, s),
    };
    hit != negate
}

#[inline(always)]
fn eval_cmp(c: &Cmp, v: &EventView<'_>, s: &mut Scratch<'_>) -> bool {
    if let (Operand::Field(f), Rhs::Num(n)) = (&c.lhs, &c.rhs)
        && let Some(value) = f.extract_int(v)
    {
        return value.is_some_and(|l| cmp_result(c.op, i128::from(l).cmp(n)));
    }
    if c.on_bytes
        && let Operand::Field(f) = &c.lhs
        && let Some(text) = f.text_bytes(v)
    {
        return match (&c.rhs, c.op) {
            (Rhs::Text(t), Op::Eq) => text == t.as_bytes(),
            (Rhs::Text(t), Op::Ne) => text != t.as_bytes(),
            (Rhs::Text(t), Op::StartsWith) => text.starts_with(t.as_bytes()),
            (Rhs::TextSet(set), _) => set.contains_bytes(text),
            // Not made `on_bytes`.
            _ => false,
        };
    }
    if let Operand::Field(f) = &c.lhs
        && let Some(text) = f.extract_str(v)
    {
        // The common text comparisons in place; the others in `compare`.
        return match (&c.rhs, c.op) {
            (_, Op::Exists) => true,
            (Rhs::Text(t), Op::Eq) => text == t,
            (Rhs::Text(t), Op::Ne) => text != t,
            (Rhs::Text(t), Op::StartsWith) => text.starts_with(t.as_str()),
            (Rhs::TextSet(set), Op::In | Op::Intersects) => set.contains(text),
            _ => compare(text, c.op, &c.rhs, c.kind, v, s.b),
        };
    }
    if let (Some(slot), Some(cache)) = (c.slot, s.cache.as_deref_mut())
        && let Some(entry) = cache.slots.get_mut(slot as usize)
    {
        if entry.0 != cache.event {
            entry.0 = cache.event;
            entry.1 = c.lhs.extract(v, &mut entry.2);
        }
        if !entry.1 {
            return false;
        }
        if c.op == Op::Exists {
            return true;
        }
        return compare(&entry.2, c.op, &c.rhs, c.kind, v, s.b);
    }
    if !c.lhs.extract(v, s.a) {
        return false;
    }
    if c.op == Op::Exists {
        return true;
    }
    compare(s.a, c.op, &c.rhs, c.kind, v, s.b)
}

fn cmp_result(op: Op, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq | Op::In | Op::Intersects => ord == Equal,
        Op::Ne => ord != Equal,
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        Op::Gt => ord == Greater,
        Op::Ge => ord != Less,
        _ => false,
    }
}

fn compare(lhs: &str, op: Op, rhs: &Rhs, kind: Kind, v: &EventView<'_>, buf: &mut String) -> bool {
    match rhs {
        Rhs::None => false,
        Rhs::Num(n) => parse_num(lhs).is_some_and(|l| cmp_result(op, l.cmp(n))),
        Rhs::Float(f) => lhs
            .parse::<f64>()
            .ok()
            .and_then(|l| l.partial_cmp(f))
            .is_some_and(|o| cmp_result(op, o)),
        Rhs::NumSet(set) => parse_num(lhs).is_some_and(|l| set.contains(&l)),
        Rhs::TextSet(set) => set.contains(lhs),
        Rhs::Prefixes(set) => {
            let mut p = lhs.trim_end_matches('/');
            loop {
                if set.contains(p) {
                    return true;
                }
                match p.rfind('/') {
                    Some(i) => p = &p[..i],
                    None => return false,
                }
            }
        }
        Rhs::Ip(ip) => ip_of(lhs).is_some_and(|l| (l == *ip) == (op != Op::Ne)),
        Rhs::Net(net, bits) => ip_of(lhs).is_some_and(|l| in_net(l, *net, *bits) == (op != Op::Ne)),
        Rhs::Nets(nets) => ip_of(lhs).is_some_and(|l| nets.iter().any(|(n, b)| in_net(l, *n, *b))),
        Rhs::Regex(re) => re.is_match(lhs),
        Rhs::Bytes(bytes) => match op {
            Op::BStartsWith => lhs.as_bytes().starts_with(bytes),
            _ => lhs
                .as_bytes()
                .windows(bytes.len().max(1))
                .any(|w| w == bytes.as_slice()),
        },
        Rhs::Text(t) => match op {
            Op::Contains => lhs.contains(t.as_str()),
            Op::IContains => lhs.to_lowercase().contains(t.as_str()),
            Op::StartsWith => lhs.starts_with(t.as_str()),
            Op::EndsWith => lhs.ends_with(t.as_str()),
            Op::Glob => crate::fields::glob_match(t.as_bytes(), lhs.as_bytes()),
            Op::IGlob => crate::fields::glob_match(
                t.to_lowercase().as_bytes(),
                lhs.to_lowercase().as_bytes(),
            ),
            _ => cmp_result(op, lhs.cmp(t.as_str())),
        },
        Rhs::Field(other) => {
            if !other.extract(v, buf) {
                return false;
            }
            match kind {
                Kind::Num => match (parse_num(lhs), parse_num(buf)) {
                    (Some(l), Some(r)) => cmp_result(op, l.cmp(&r)),
                    _ => false,
                },
                _ => match op {
                    Op::Contains => lhs.contains(buf.as_str()),
                    Op::StartsWith => lhs.starts_with(buf.as_str()),
                    Op::EndsWith => lhs.ends_with(buf.as_str()),
                    _ => cmp_result(op, lhs.cmp(buf.as_str())),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::RawEvent;
    use crate::event::{EventBuilder, EventRef};

    /// A `close` exit of thread 42 (fd 3, result 0).
    fn close_exit() -> Vec<u8> {
        EventBuilder::new(5).ts(1).tid(42).i64(0).i64(3).build()
    }

    /// `bytes` lent as event number 7 from CPU 1.
    fn lent(bytes: &[u8]) -> RawEvent<'_> {
        RawEvent {
            event: EventRef::new(bytes).unwrap(),
            cpu: 1,
            flags: 0,
            number: 7,
            offset: 0,
        }
    }

    /// Whether `filter` keeps a `close` exit (event number 7, thread 42, CPU 1).
    fn keeps(filter: &str) -> bool {
        let bytes = close_exit();
        let raw = lent(&bytes);
        let f = Filter::compile(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
        f.matches(&EventView::stateless(raw, 7))
    }

    #[test]
    fn operators_evaluate() {
        for yes in [
            "evt.type=close",
            "evt.type==close",
            "evt.type!=open",
            "evt.type in (open, close)",
            "evt.type intersects (close, x.y)",
            "evt.num>6 and evt.num<8 and evt.num>=7 and evt.num<=7",
            "evt.num in (1, 7)",
            "evt.num = 0x7",
            "evt.cpu=1",
            "evt.type contains los",
            "evt.type icontains LOS",
            "evt.type startswith cl",
            "evt.type endswith se",
            "evt.type glob 'c?o*'",
            "evt.type iglob 'C*E'",
            "evt.type regex 'cl[a-z]+'",
            "evt.type bcontains 6f73",
            "evt.type bstartswith 636c",
            "evt.type pmatch (/x, close)",
            "evt.type exists",
            "toupper(evt.type) = CLOSE",
            "tolower(toupper(evt.type)) = close",
            "len(evt.type) = 5",
            "b64(evt.type) = Y2xvc2U=",
            "basename(evt.type) = close",
            "evt.num = val(evt.num)",
            "evt.type > abc and evt.type < zzz",
            "not evt.res exists or evt.res = SUCCESS",
            "evt.failed = false",
        ] {
            assert!(keeps(yes), "{yes} should keep the event");
        }
        for no in [
            "evt.type=open",
            "evt.num>7",
            "evt.type regex 'lo'",
            "evt.type glob 'o*'",
            "evt.arg.nosuch exists",
            "not evt.type=close",
            "evt.num != val(evt.num)",
        ] {
            assert!(!keeps(no), "{no} should drop the event");
        }
    }

    fn compile_error(filter: &str) -> (usize, String) {
        match Filter::compile(filter) {
            Err(Error::BadFilter { column, why }) => (column, why),
            other => panic!("{filter}: {other:?}"),
        }
    }

    #[test]
    fn compile_errors_explain_themselves() {
        assert_eq!(
            compile_error("proc.nam = cat"),
            (
                1,
                "unknown field 'proc.nam'; nearest: proc.name, proc.aname, proc.pname".into()
            )
        );
        assert_eq!(
            compile_error("evt.type = nosuch"),
            (12, "unknown event type nosuch".into())
        );
        assert_eq!(
            compile_error("evt.num contains 3"),
            (
                1,
                "operator 'contains' does not apply to evt.num, which is a number".into()
            )
        );
        assert_eq!(
            compile_error("evt.num > x3"),
            (11, "'x3' is not a number, as evt.num needs".into())
        );
        assert!(
            compile_error("evt.type regex '('")
                .1
                .starts_with("bad regular expression '(': regex parse error")
        );
        assert_eq!(
            compile_error("my_macro and evt.num > 1"),
            (
                1,
                "'my_macro' is not a field (macros and lists are not supported)".into()
            )
        );
    }

    #[test]
    fn event_types_give_the_types_a_filter_can_match() {
        let ids =
            |f: &str| -> Vec<u16> { Filter::compile(f).unwrap().event_types().iter().collect() };
        // Generic events (0, 1) may carry any syscall.
        assert_eq!(ids("evt.type=close"), vec![0, 1, 4, 5]);
        assert_eq!(
            ids("evt.type in (open, close) and proc.name=cat"),
            vec![0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            ids("evt.type=open or evt.type=close"),
            vec![0, 1, 2, 3, 4, 5]
        );
        assert_eq!(ids("evt.type=procexit"), vec![16, 186]);
        // A direction narrows the set to exits (odd ids) or enters (even ids).
        assert_eq!(
            ids("evt.type in (open, close) and evt.dir = <"),
            vec![1, 3, 5]
        );
        assert_eq!(ids("evt.dir = > and evt.type=close"), vec![0, 4]);
        assert_eq!(ids("evt.dir = <").len(), EVENT_MAX as usize / 2);
        assert_eq!(ids("evt.dir != <").len(), EVENT_MAX as usize);
        assert_eq!(ids("not evt.dir = <").len(), EVENT_MAX as usize);
        assert_eq!(ids("proc.name=cat").len(), EVENT_MAX as usize);
        let not_exit = ids("not evt.type=procexit");
        assert!(!not_exit.contains(&186) && not_exit.contains(&2));
    }

    #[test]
    fn proc_name_compares_as_the_text_it_prints() {
        use crate::fields::EventContext;
        use crate::state::{State, Thread};
        for (comm, filter, want) in [
            (&b"ca\xfft"[..], "proc.name = 'ca\u{FFFD}t'", true),
            (b"ca\xfft", "proc.name = cat", false),
            (b"ca\xfft", "proc.name != 'ca\u{FFFD}t'", false),
            (b"ca\xfft", "proc.name in (cat, 'ca\u{FFFD}t')", true),
            (b"ca\xfft", "proc.name in (cat, dog)", false),
            (b"ca\xfft", "proc.name startswith 'ca\u{FFFD}'", true),
            (b"ca\xfft", "proc.name startswith ca", true),
            (b"ca\xfft", "proc.name contains 'a\u{FFFD}t'", true),
            (b"cat", "proc.name = cat", true),
            (b"cat", "proc.name != cat", false),
            (b"cat", "proc.name startswith cb", false),
            (b"cat", "proc.name in (dog, cat)", true),
            (b"cat", "not proc.name in (dog, cow)", true),
        ] {
            let mut state = State::default();
            let mut t = Thread::unknown(42);
            t.comm = comm.to_vec();
            state.threads.insert(t);
            let bytes = close_exit();
            let view = EventView::new(lent(&bytes), 7, &state, EventContext::default());
            let f = Filter::compile(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
            assert_eq!(f.matches(&view), want, "{filter} on {comm:?}");
        }
    }

    #[test]
    fn generic_syscalls_named_by_a_filter_are_the_only_generic_ones_it_matches() {
        let sc = |name: &str| {
            (1..SC_MAX as u16)
                .find(|&c| ppm_sc_name(c) == Some(name))
                .unwrap()
        };
        let f = Filter::compile("evt.type = getppid").unwrap();
        assert!(f.event_types().contains_generic(sc("getppid")));
        assert!(!f.event_types().contains_generic(sc("getpid")));
        let f = Filter::compile("evt.type = open").unwrap();
        assert!(!f.event_types().contains_generic(sc("getppid")));
        let f = Filter::compile("not evt.type = getppid").unwrap();
        assert!(!f.event_types().contains_generic(sc("getppid")));
        assert!(f.event_types().contains_generic(sc("getpid")));
        let f = Filter::compile("proc.name = x").unwrap();
        assert!(f.event_types().contains_generic(sc("getppid")));
    }
}
