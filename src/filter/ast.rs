//! The syntax tree of a filter, and its canonical text (which parses back to the same tree).

use std::fmt;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=` (or `==`).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `contains`: the value holds the text.
    Contains,
    /// `icontains`: the same, ignoring case.
    IContains,
    /// `bcontains`: the value holds the bytes (given in hex).
    BContains,
    /// `startswith`.
    StartsWith,
    /// `bstartswith`: starts with the bytes (given in hex).
    BStartsWith,
    /// `endswith`.
    EndsWith,
    /// `glob`: matches a shell pattern.
    Glob,
    /// `iglob`: the same, ignoring case.
    IGlob,
    /// `regex`: matches a regular expression.
    Regex,
    /// `in`: equals one of a list.
    In,
    /// `intersects`: a list field shares a value with the list.
    Intersects,
    /// `pmatch`: the path is under one of the listed prefixes.
    PMatch,
    /// `exists`: the field has a value for the event.
    Exists,
}

impl Op {
    /// Every operator with its spelling, longest spellings of a prefix first.
    pub const ALL: &'static [(&'static str, Op)] = &[
        ("==", Op::Eq),
        ("=", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        ("<", Op::Lt),
        (">=", Op::Ge),
        (">", Op::Gt),
        ("contains", Op::Contains),
        ("icontains", Op::IContains),
        ("bcontains", Op::BContains),
        ("startswith", Op::StartsWith),
        ("bstartswith", Op::BStartsWith),
        ("endswith", Op::EndsWith),
        ("glob", Op::Glob),
        ("iglob", Op::IGlob),
        ("regex", Op::Regex),
        ("intersects", Op::Intersects),
        ("in", Op::In),
        ("pmatch", Op::PMatch),
        ("exists", Op::Exists),
    ];

    /// The operator's spelling.
    pub fn as_str(self) -> &'static str {
        Op::ALL
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("?", |(s, _)| s)
    }

    /// Whether the operator takes a list of values.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }

    /// Whether the operator takes no value.
    pub fn is_unary(self) -> bool {
        self == Op::Exists
    }
}

/// A function applied to a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transformer {
    /// `tolower`.
    ToLower,
    /// `toupper`.
    ToUpper,
    /// `b64`: decodes base64.
    B64,
    /// `basename`: the last component of a path.
    Basename,
    /// `len`: the length.
    Len,
}

impl Transformer {
    /// Every transformer with its name.
    pub const ALL: &'static [(&'static str, Transformer)] = &[
        ("tolower", Transformer::ToLower),
        ("toupper", Transformer::ToUpper),
        ("b64", Transformer::B64),
        ("basename", Transformer::Basename),
        ("len", Transformer::Len),
    ];

    /// The transformer's name.
    pub fn as_str(self) -> &'static str {
        Transformer::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("?", |(s, _)| s)
    }
}

/// A field, possibly transformed: `proc.name`, `proc.aname[2]`, `tolower(fd.name)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldRef {
    /// A field, with its argument (`aname[2]`'s `2`, `evt.arg.fd`'s `fd`).
    Field {
        /// The field's name.
        name: String,
        /// Its argument, if any.
        arg: Option<String>,
    },
    /// A transformer applied to a field (`tolower(fd.name)`).
    Transform(Transformer, Box<FieldRef>),
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// One value.
    Str(String),
    /// A list, for `in`, `intersects` and `pmatch`.
    List(Vec<String>),
    /// `val(field)` or a transformed field: compare with another field of the same event.
    Field(FieldRef),
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// All of them.
    And(Vec<Expr>),
    /// Any of them.
    Or(Vec<Expr>),
    /// Not it.
    Not(Box<Expr>),
    /// A comparison of a field with a value (or `exists`, which has none).
    Check {
        /// The field compared.
        field: FieldRef,
        /// The operator.
        op: Op,
        /// The value compared with; `None` for `exists`.
        value: Option<Value>,
    },
    /// A bare name (a macro or list in Falco rules): kept by the parser, refused by the
    /// compiler.
    Ident(String),
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldRef::Field { name, arg: None } => f.write_str(name),
            // An argument that was quoted (it has a bracket, a quote or a space) is printed
            // quoted, so that it reads back.
            FieldRef::Field { name, arg: Some(a) }
                if a.contains(['[', ']', '"', '\'', ' ', '\t', '\n', '\r', '\u{8}']) =>
            {
                write!(f, "{name}[")?;
                write_quoted(f, a)?;
                f.write_str("]")
            }
            FieldRef::Field { name, arg: Some(a) } => write!(f, "{name}[{a}]"),
            FieldRef::Transform(t, inner) => write!(f, "{}({inner})", t.as_str()),
        }
    }
}

/// Prints an `and`/`or` operand: in parentheses where precedence needs them or where the
/// source must have had them (an `and` under an `and` is flattened otherwise), so that the
/// text nests no deeper than the filter it was parsed from.
fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, parent_is_or: bool) -> fmt::Result {
    match e {
        Expr::And(_) if parent_is_or => write!(f, "{e}"),
        Expr::And(_) | Expr::Or(_) => write!(f, "({e})"),
        _ => write!(f, "{e}"),
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str| {
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " {sep} ")?;
                }
                write_operand(f, e, sep == "or")?;
            }
            Ok(())
        };
        match self {
            Expr::And(items) => join(f, items, "and"),
            Expr::Or(items) => join(f, items, "or"),
            Expr::Not(e) if matches!(**e, Expr::And(_) | Expr::Or(_)) => write!(f, "not ({e})"),
            Expr::Not(e) => write!(f, "not {e}"),
            Expr::Ident(name) => f.write_str(name),
            Expr::Check { field, op, value } => {
                write!(f, "{field} {}", op.as_str())?;
                match value {
                    None => Ok(()),
                    Some(Value::Str(s)) => {
                        f.write_str(" ")?;
                        write_quoted(f, s)
                    }
                    Some(Value::List(items)) => {
                        f.write_str(" (")?;
                        for (i, s) in items.iter().enumerate() {
                            if i > 0 {
                                f.write_str(", ")?;
                            }
                            write_quoted(f, s)?;
                        }
                        f.write_str(")")
                    }
                    Some(Value::Field(r @ FieldRef::Field { .. })) => write!(f, " val({r})"),
                    Some(Value::Field(r)) => write!(f, " {r}"),
                }
            }
        }
    }
}
