//! The filter parser: text to [`Expr`], with errors that name the column and what was
//! expected there.
//!
//! ```text
//! Expr     ::= Or
//! Or       ::= And ('or' And)*
//! And      ::= Not ('and' Not)*
//! Not      ::= 'not' Not | '(' Expr ')' | Check
//! Check    ::= FieldRef Op [Value] | Identifier
//! FieldRef ::= Transformer '(' FieldRef ')' | FieldName ('[' Arg ']')?
//! Value    ::= '(' Str (',' Str)* ')' | 'val(' FieldRef ')' | Transformer '(' FieldRef ')' | Str
//! Str      ::= "..." | '...' | bare word
//! ```

use super::ast::{Expr, FieldRef, Op, Transformer, Value};

/// Why a filter does not parse, and where (1-based column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based column of the problem.
    pub column: usize,
    /// What the problem is.
    pub why: String,
    /// When a complete condition is followed by something other than `and`, `or` or the
    /// end: the last token of that condition (Falco's rule diagnostics name it).
    pub unexpected_after: Option<String>,
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

/// Deepest nesting of parentheses, `not`s and transformers accepted (keeps hostile input
/// from exhausting the stack).
const MAX_DEPTH: usize = 256;

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x08)
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Parses a whole filter.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    p.skip_space();
    if p.at_end() {
        return Err(p.error("an empty filter: expected a condition"));
    }
    let e = p.or()?;
    p.skip_space();
    if !p.at_end() {
        if p.peek() == Some(b')') {
            return Err(p.error("expected a ')' without its '('"));
        }
        let mut e = p.error(&format!(
            "expected 'and', 'or' or the end of the filter, not '{}'",
            p.word_here()
        ));
        e.unexpected_after = Some(p.last_token());
        return Err(e);
    }
    Ok(e)
}

impl Parser<'_> {
    fn error(&self, why: &str) -> ParseError {
        ParseError {
            column: self.pos + 1,
            why: why.to_string(),
            unexpected_after: None,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
    }

    /// The last token before here: a word, a quoted string's content, or a bracket.
    fn last_token(&self) -> String {
        let before = &self.s[..self.pos.min(self.s.len())];
        let end = before
            .iter()
            .rposition(|&c| !is_space(c))
            .map_or(0, |i| i + 1);
        let before = &before[..end];
        if let Some(&q @ (b'"' | b'\'')) = before.last() {
            let inner = &before[..before.len() - 1];
            let start = inner.iter().rposition(|&c| c == q).map_or(0, |i| i + 1);
            return String::from_utf8_lossy(&inner[start..]).into_owned();
        }
        let start = before
            .iter()
            .rposition(|&c| is_space(c) || b"=<>!(),".contains(&c))
            .map_or(0, |i| i + 1);
        let tok = &before[start..];
        if tok.is_empty() {
            before
                .last()
                .map(|&c| (c as char).to_string())
                .unwrap_or_default()
        } else {
            String::from_utf8_lossy(tok).into_owned()
        }
    }

    /// The text from here to the next space, for messages.
    fn word_here(&self) -> String {
        let rest = &self.s[self.pos.min(self.s.len())..];
        let end = rest.iter().position(|&c| is_space(c)).unwrap_or(rest.len());
        String::from_utf8_lossy(&rest[..end.min(40)]).into_owned()
    }

    /// Consumes keyword `kw` if it is here as a whole word (followed by a space, `(`, or
    /// the end).
    fn keyword(&mut self, kw: &str) -> bool {
        let rest = &self.s[self.pos..];
        if rest.len() < kw.len() || !rest[..kw.len()].eq_ignore_ascii_case(kw.as_bytes()) {
            return false;
        }
        match rest.get(kw.len()) {
            None => {}
            Some(&c) if is_space(c) || c == b'(' => {}
            _ => return false,
        }
        self.pos += kw.len();
        true
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and()?];
        loop {
            self.skip_space();
            if !self.keyword("or") {
                break;
            }
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.not()?];
        loop {
            self.skip_space();
            if !self.keyword("and") {
                break;
            }
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        self.skip_space();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("the filter nests too deeply"));
        }
        let e = if self.keyword("not") {
            Expr::Not(Box::new(self.not()?))
        } else if self.peek() == Some(b'(') {
            self.pos += 1;
            let e = self.or()?;
            self.skip_space();
            if self.peek() != Some(b')') {
                return Err(self.error("expected ')' to close the '('"));
            }
            self.pos += 1;
            e
        } else {
            self.check()?
        };
        self.depth -= 1;
        Ok(e)
    }

    fn check(&mut self) -> Result<Expr, ParseError> {
        self.skip_space();
        if self.at_end() {
            return Err(self.error("expected a condition, found the end of the filter"));
        }
        let field = self.field_ref()?;
        self.skip_space();
        let op_at = self.pos;
        if let FieldRef::Field { name, arg: None } = &field
            && !name.contains('.')
            && self.op().is_none()
        {
            // A bare identifier: a macro or a list name.
            self.pos = op_at;
            return Ok(Expr::Ident(name.clone()));
        }
        self.pos = op_at;
        let Some(op) = self.op() else {
            self.pos = if self.at_end() { self.pos } else { op_at };
            let found = if self.at_end() {
                "the end of the filter".to_string()
            } else {
                format!("'{}'", self.word_here())
            };
            return Err(self.error(&format!(
                "expected an operator (=, !=, <, <=, >, >=, contains, icontains, bcontains, \
                 startswith, bstartswith, endswith, glob, iglob, regex, in, intersects, pmatch, \
                 exists) after '{field}', found {found}"
            )));
        };
        let value = if op.is_unary() {
            None
        } else if op.takes_list() {
            Some(self.list_value()?)
        } else {
            Some(self.value()?)
        };
        Ok(Expr::Check { field, op, value })
    }

    fn op(&mut self) -> Option<Op> {
        let rest = &self.s[self.pos..];
        for &(text, op) in Op::ALL {
            if !rest.starts_with(text.as_bytes()) {
                continue;
            }
            let word = text.as_bytes()[0].is_ascii_alphabetic();
            if word && rest.get(text.len()).is_some_and(|&c| is_ident_char(c)) {
                continue;
            }
            self.pos += text.len();
            return Some(op);
        }
        None
    }

    /// A transformer name here, followed by `(`: consumes both.
    fn transformer(&mut self) -> Option<Transformer> {
        for &(name, t) in Transformer::ALL {
            let rest = &self.s[self.pos..];
            if rest.starts_with(name.as_bytes()) && rest.get(name.len()) == Some(&b'(') {
                self.pos += name.len() + 1;
                return Some(t);
            }
        }
        None
    }

    fn field_ref(&mut self) -> Result<FieldRef, ParseError> {
        self.skip_space();
        if let Some(t) = self.transformer() {
            // Transformers nest too (`tolower(tolower(...))`), and count towards the bound.
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error("the filter nests too deeply"));
            }
            let inner = self.field_ref()?;
            self.depth -= 1;
            self.skip_space();
            if self.peek() != Some(b')') {
                return Err(self.error(&format!("expected ')' to close {}(", t.as_str())));
            }
            self.pos += 1;
            return Ok(FieldRef::Transform(t, Box::new(inner)));
        }
        let start = self.pos;
        if !self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            return Err(self.error(&format!(
                "expected a field name, found '{}'",
                self.word_here()
            )));
        }
        while self.peek().is_some_and(|c| is_ident_char(c) || c == b'.') {
            self.pos += 1;
        }
        let name = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
        if ["and", "or", "not"]
            .iter()
            .any(|k| name.eq_ignore_ascii_case(k))
        {
            // `not= x` would name a field `not`, which prints as a `not` and so cannot be
            // read back.
            return Err(ParseError {
                column: start + 1,
                why: format!("expected a field name, found the keyword '{name}'"),
                unexpected_after: None,
            });
        }
        if name.ends_with('.') {
            return Err(ParseError {
                column: self.pos,
                why: format!("a field name cannot end with '.': '{name}'"),
                unexpected_after: None,
            });
        }
        let arg = if self.peek() == Some(b'[') {
            self.pos += 1;
            let a = if matches!(self.peek(), Some(b'"' | b'\'')) {
                self.quoted()?
            } else {
                let s = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b']' | b'[' | b'"' | b'\'') && !is_space(c))
                {
                    self.pos += 1;
                }
                String::from_utf8_lossy(&self.s[s..self.pos]).into_owned()
            };
            if self.peek() != Some(b']') {
                return Err(self.error(&format!("expected ']' after the argument of {name}")));
            }
            self.pos += 1;
            Some(a)
        } else {
            None
        };
        Ok(FieldRef::Field { name, arg })
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        self.skip_space();
        if self.at_end() {
            return Err(self.error("expected a value, found the end of the filter"));
        }
        let rest = &self.s[self.pos..];
        if rest.starts_with(b"val(") {
            self.pos += 4;
            let f = self.field_ref()?;
            self.skip_space();
            if self.peek() != Some(b')') {
                return Err(self.error("expected ')' to close val("));
            }
            self.pos += 1;
            return Ok(Value::Field(f));
        }
        if Transformer::ALL
            .iter()
            .any(|(n, _)| rest.starts_with(n.as_bytes()) && rest.get(n.len()) == Some(&b'('))
        {
            return Ok(Value::Field(self.field_ref()?));
        }
        Ok(Value::Str(self.string()?))
    }

    fn list_value(&mut self) -> Result<Value, ParseError> {
        self.skip_space();
        if self.s[self.pos..].starts_with(b"val(") {
            return self.value();
        }
        if self.peek() != Some(b'(') {
            return Err(self.error(&format!(
                "expected a list of values in parentheses, found '{}'",
                self.word_here()
            )));
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(b')') if items.is_empty() => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.error("expected ')' to close the list")),
                _ => {}
            }
            items.push(self.string()?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error("expected ',' or ')' in the list")),
            }
        }
        Ok(Value::List(items))
    }

    fn string(&mut self) -> Result<String, ParseError> {
        if matches!(self.peek(), Some(b'"' | b'\'')) {
            return self.quoted();
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| !is_space(c) && !matches!(c, b'(' | b')' | b',' | b'"' | b'\''))
        {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(&format!("expected a value, found '{}'", self.word_here())));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    /// A quoted string: `\\`, `\"`, `\'`, `\n`, `\t`, `\r` and `\xHH` escapes.
    fn quoted(&mut self) -> Result<String, ParseError> {
        let quote = self.s[self.pos];
        let open = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(ParseError {
                    column: open + 1,
                    why: "this quote is never closed".into(),
                    unexpected_after: None,
                });
            };
            self.pos += 1;
            if c == quote {
                break;
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                continue;
            };
            self.pos += 1;
            match e {
                b'\\' | b'"' | b'\'' => out.push(e),
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'x' => {
                    let hex = self.s.get(self.pos..self.pos + 2);
                    let v = hex
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    let Some(v) = v else {
                        return Err(ParseError {
                            column: self.pos - 1,
                            why: "\\x needs two hex digits".into(),
                            unexpected_after: None,
                        });
                    };
                    self.pos += 2;
                    out.push(v);
                }
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(field: &str, op: Op, value: Option<Value>) -> Expr {
        Expr::Check {
            field: FieldRef::Field {
                name: field.into(),
                arg: None,
            },
            op,
            value,
        }
    }

    fn s(v: &str) -> Option<Value> {
        Some(Value::Str(v.into()))
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let e = parse("a.b = 1 or not c.d = 2 and e.f exists").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                check("a.b", Op::Eq, s("1")),
                Expr::And(vec![
                    Expr::Not(Box::new(check("c.d", Op::Eq, s("2")))),
                    check("e.f", Op::Exists, None),
                ]),
            ])
        );
    }

    #[test]
    fn values_lists_arguments_and_transformers() {
        let e = parse(
            r#"proc.aname[2] in (bash, "my shell", 'x\'y') and tolower(fd.name) = val(proc.exe)"#,
        )
        .unwrap();
        let Expr::And(items) = e else { panic!() };
        assert_eq!(
            items[0],
            Expr::Check {
                field: FieldRef::Field {
                    name: "proc.aname".into(),
                    arg: Some("2".into())
                },
                op: Op::In,
                value: Some(Value::List(vec![
                    "bash".into(),
                    "my shell".into(),
                    "x'y".into()
                ])),
            }
        );
        assert_eq!(
            items[1],
            Expr::Check {
                field: FieldRef::Transform(
                    Transformer::ToLower,
                    Box::new(FieldRef::Field {
                        name: "fd.name".into(),
                        arg: None
                    })
                ),
                op: Op::Eq,
                value: Some(Value::Field(FieldRef::Field {
                    name: "proc.exe".into(),
                    arg: None
                })),
            }
        );
    }

    #[test]
    fn every_operator_parses() {
        for (text, op) in Op::ALL {
            let src = if op.is_unary() {
                format!("x.y {text}")
            } else if op.takes_list() {
                format!("x.y {text} (a, b)")
            } else {
                format!("x.y {text} a")
            };
            let e = parse(&src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
            let Expr::Check { op: got, .. } = e else {
                panic!("{src}")
            };
            assert_eq!(got, *op, "{src}");
        }
    }

    #[test]
    fn escapes_in_quoted_strings() {
        let e = parse(r#"fd.name = "a\"b\\c\x41\n""#).unwrap();
        assert_eq!(e, check("fd.name", Op::Eq, s("a\"b\\cA\n")));
    }

    fn err(text: &str) -> (usize, String) {
        let e = parse(text).unwrap_err();
        (e.column, e.why)
    }

    #[test]
    fn errors_name_the_column_and_what_was_expected() {
        assert_eq!(err(""), (1, "an empty filter: expected a condition".into()));
        assert_eq!(
            err("proc.name = cat and"),
            (
                20,
                "expected a condition, found the end of the filter".into()
            )
        );
        assert_eq!(
            err("(proc.name = cat"),
            (17, "expected ')' to close the '('".into())
        );
        assert_eq!(
            err("proc.name = cat)"),
            (16, "expected a ')' without its '('".into())
        );
        assert_eq!(err("proc.name in cat").0, 14);
        assert!(
            err("proc.name in cat")
                .1
                .starts_with("expected a list of values")
        );
        assert_eq!(
            err("proc.name = 'cat"),
            (13, "this quote is never closed".into())
        );
        let (col, why) = err("proc.name ~ cat");
        assert_eq!(col, 11);
        assert!(why.starts_with("expected an operator"), "{why}");
        assert_eq!(
            err("proc.name = cat or 1"),
            (20, "expected a field name, found '1'".into())
        );
        assert_eq!(err("fd.name = \"\\xZZ\"").0, 12, "at the backslash");
        assert_eq!(
            err("proc.aname[2 = x"),
            (13, "expected ']' after the argument of proc.aname".into())
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}a.b exists{}", "(".repeat(1000), ")".repeat(1000));
        assert_eq!(err(&deep).1, "the filter nests too deeply");
        let nots = format!("{}a.b exists", "not ".repeat(1000));
        assert_eq!(err(&nots).1, "the filter nests too deeply");
    }

    fn field_name() -> impl Strategy<Value = String> {
        "[a-z]{1,6}(\\.[a-z_]{1,6}){1,2}"
    }

    fn field_ref() -> impl Strategy<Value = FieldRef> {
        let plain = (field_name(), proptest::option::of("[a-z0-9]{1,4}"))
            .prop_map(|(name, arg)| FieldRef::Field { name, arg });
        plain.prop_recursive(2, 4, 1, |inner| {
            (proptest::sample::select(Transformer::ALL.to_vec()), inner)
                .prop_map(|((_, t), f)| FieldRef::Transform(t, Box::new(f)))
        })
    }

    fn text() -> impl Strategy<Value = String> {
        "[ -~\n\t]{0,12}"
    }

    fn check_expr() -> impl Strategy<Value = Expr> {
        (
            field_ref(),
            proptest::sample::select(Op::ALL.to_vec()),
            text(),
            proptest::collection::vec(text(), 0..4),
            field_ref(),
        )
            .prop_map(|(field, (_, op), v, list, other)| {
                let value = if op.is_unary() {
                    None
                } else if op.takes_list() {
                    Some(Value::List(list))
                } else if v.len() % 3 == 0 {
                    Some(Value::Field(other))
                } else {
                    Some(Value::Str(v))
                };
                Expr::Check { field, op, value }
            })
    }

    fn expr() -> impl Strategy<Value = Expr> {
        check_expr().prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
    }

    /// Nested and/or of the same kind flatten when printed and parsed again.
    fn normalize(e: Expr) -> Expr {
        match e {
            Expr::And(items) => Expr::And(
                items
                    .into_iter()
                    .map(normalize)
                    .flat_map(|i| match i {
                        Expr::And(inner) => inner,
                        other => vec![other],
                    })
                    .collect(),
            ),
            Expr::Or(items) => Expr::Or(
                items
                    .into_iter()
                    .map(normalize)
                    .flat_map(|i| match i {
                        Expr::Or(inner) => inner,
                        other => vec![other],
                    })
                    .collect(),
            ),
            Expr::Not(e) => Expr::Not(Box::new(normalize(*e))),
            other => other,
        }
    }

    proptest! {
        /// Printing a tree and parsing the text gives the tree back.
        #[test]
        fn printed_filters_parse_back_to_the_same_tree(e in expr()) {
            let text = e.to_string();
            let back = parse(&text).map_err(|err| TestCaseError::fail(format!("{text}: {err:?}")))?;
            prop_assert_eq!(normalize(back), normalize(e), "{}", text);
        }

        /// No input makes the parser panic.
        #[test]
        fn arbitrary_text_never_panics(s in "[ -~]{0,60}") {
            let _ = parse(&s);
        }
    }
}
