//! From collected items to compiled rules, as Falco does it: lists expanded into the
//! condition text, macros resolved in the syntax tree (each seeing only the macros defined
//! before its latest definition), exceptions turned into `and not (...)`, every condition
//! compiled once with the fields checked, and warnings for what will not work well.

use hashbrown::HashSet;

use super::load::{Collector, Context, Diagnostic, Entry, LoadResult, Stop, stop};
use super::{Priority, Rule};
use crate::filter::{self, Expr, Filter, Op, SharedFields, Value};
use crate::format::Format;

/// Wraps an item holding a space in double quotes, unless it is quoted already.
fn quote_item(s: &str) -> String {
    if s.contains(' ') && !s.starts_with('"') && !s.starts_with('\'') {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

fn paren_item(s: &str) -> String {
    if s.starts_with('(') {
        s.to_string()
    } else {
        format!("({s})")
    }
}

/// A list with its items expanded one level.
struct List {
    name: String,
    items: Vec<String>,
    used: bool,
    ctx: Context,
}

/// Replaces every whole-token occurrence of the list's name in `cnd` by its items, comma
/// separated. Returns whether it replaced any.
fn resolve_list(cnd: &mut String, list: &List) -> bool {
    const BLANKS: &[u8] = b" \t\n\r";
    let is_delim = |c: u8| BLANKS.contains(&c) || b"(),=".contains(&c);
    let name = list.name.as_str();
    if name.is_empty() {
        return false;
    }
    let mut used = false;
    let mut from = 0;
    while let Some(found) = cnd.get(from..).and_then(|s| s.find(name)) {
        let mut start = from + found;
        let mut end = start + name.len();
        let b = cnd.as_bytes();
        let before_ok = start == 0 || is_delim(b[start - 1]);
        let after_ok = end >= b.len() || is_delim(b[end]);
        if !(before_ok && after_ok) {
            from = start + 1;
            continue;
        }
        while start > 0 && BLANKS.contains(&b[start - 1]) {
            start -= 1;
        }
        while end < b.len() && BLANKS.contains(&b[end]) {
            end += 1;
        }
        let sub = list.items.join(", ");
        if sub.is_empty() {
            if start > 0 && b[start - 1] == b',' {
                start -= 1;
            } else if end < b.len() && b[end] == b',' {
                end += 1;
            }
        }
        let mut next = String::with_capacity(cnd.len() + sub.len() + 2);
        if start > 0 {
            next.push_str(&cnd[..start]);
            next.push(' ');
        }
        next.push_str(&sub);
        next.push(' ');
        next.push_str(&cnd[end.min(cnd.len())..]);
        *cnd = next;
        from = start + sub.len() + 2;
        used = true;
    }
    used
}

/// The condition text of a rule's exceptions, ` and not (...)` for each.
fn exceptions_condition(rule: &super::load::RuleInfo) -> Result<String, Stop> {
    let mut out = String::new();
    for ex in &rule.exceptions {
        let mut icond = String::new();
        match &ex.fields {
            Entry::Item(field) => {
                let comp = match &ex.comps {
                    Entry::Item(c) => c.as_str(),
                    _ => "in",
                };
                let mut vals = Vec::new();
                for v in &ex.values {
                    match v {
                        Entry::Item(s) => vals.push(quote_item(s)),
                        _ => {
                            return Err(stop(
                                "LOAD_ERR_VALIDATE",
                                "Expected values array to contain a list of strings",
                                &ex.ctx,
                            ));
                        }
                    }
                }
                if !vals.is_empty() {
                    icond = format!("({field} {comp} ({}))", vals.join(", "));
                }
            }
            Entry::List(fields) => {
                let comps: Vec<String> = match &ex.comps {
                    Entry::List(c) => c
                        .iter()
                        .map(|e| match e {
                            Entry::Item(s) => s.clone(),
                            _ => "=".into(),
                        })
                        .collect(),
                    _ => vec!["=".into(); fields.len()],
                };
                let mut alts = Vec::new();
                for values in &ex.values {
                    let Entry::List(values) = values else {
                        return Err(stop(
                            "LOAD_ERR_VALIDATE",
                            "Fields and values lists must have equal length",
                            &ex.ctx,
                        ));
                    };
                    if values.len() != fields.len() {
                        return Err(stop(
                            "LOAD_ERR_VALIDATE",
                            "Fields and values lists must have equal length",
                            &ex.ctx,
                        ));
                    }
                    let mut parts = Vec::new();
                    for ((field, comp), value) in fields.iter().zip(&comps).zip(values) {
                        let Entry::Item(field) = field else { continue };
                        let v = match value {
                            Entry::List(items) => {
                                let items: Vec<String> = items
                                    .iter()
                                    .filter_map(|i| match i {
                                        Entry::Item(s) => Some(quote_item(s)),
                                        _ => None,
                                    })
                                    .collect();
                                format!("({})", items.join(", "))
                            }
                            Entry::Item(s)
                                if matches!(comp.as_str(), "in" | "pmatch" | "intersects") =>
                            {
                                paren_item(s)
                            }
                            Entry::Item(s) => quote_item(s),
                            Entry::Missing => String::new(),
                        };
                        parts.push(format!("{field} {comp} {v}"));
                    }
                    alts.push(format!("({})", parts.join(" and ")));
                }
                if !alts.is_empty() {
                    icond = format!("({})", alts.join(" or "));
                }
            }
            Entry::Missing => {}
        }
        if !icond.is_empty() {
            out.push_str(" and not ");
            out.push_str(&icond);
        }
    }
    Ok(out)
}

/// Checks the fields and operators of an exception against what the filter knows.
fn validate_exception(ex: &super::load::ExceptionInfo) -> Result<(), Stop> {
    let refuse = |m: String| Err(stop("LOAD_ERR_VALIDATE", m, &ex.ctx));
    let known_op = |op: &str| filter::Op::ALL.iter().any(|(s, _)| *s == op);
    let field_ok = |f: &str| {
        filter::parse(&format!("{f} exists"))
            .map(|e| Filter::first_unknown_field(&e).is_none())
            .unwrap_or(false)
    };
    match &ex.fields {
        Entry::List(fields) => {
            if let Entry::List(comps) = &ex.comps
                && comps.len() != fields.len()
            {
                return refuse("Fields and comps lists must have equal length".into());
            }
            if let Entry::List(comps) = &ex.comps {
                for c in comps {
                    if let Entry::Item(c) = c
                        && !known_op(c)
                    {
                        return refuse(format!("'{c}' is not a supported comparison operator"));
                    }
                }
            }
            for f in fields {
                if let Entry::Item(f) = f
                    && !field_ok(f)
                {
                    return refuse(format!("'{f}' is not a supported filter field"));
                }
            }
        }
        Entry::Item(f) => {
            match &ex.comps {
                Entry::List(_) => return refuse("Fields and comps must both be strings".into()),
                Entry::Item(c) if !matches!(c.as_str(), "in" | "pmatch" | "intersects") => {
                    return refuse(
                        "When fields is a single value, comps must be one of (in, pmatch, intersects)"
                            .into(),
                    );
                }
                _ => {}
            }
            if !field_ok(f) {
                return refuse(format!("'{f}' is not a supported filter field"));
            }
        }
        Entry::Missing => {}
    }
    Ok(())
}

/// Parses a condition after substituting lists, marking the lists it used.
fn parse_condition(cond: &str, lists: &mut [List], ctx: &Context) -> Result<(Expr, String), Stop> {
    let mut text = cond.to_string();
    for l in lists.iter_mut() {
        if resolve_list(&mut text, l) {
            l.used = true;
        }
    }
    match filter::parse(&text) {
        Ok(e) => Ok((e, text)),
        Err(e) => {
            // Falco's wording where its parser has one, so tools that read Falco's
            // diagnostics read these too.
            let why = match &e.unexpected_after {
                Some(t) => format!("unexpected token after '{t}', expecting 'or', 'and'"),
                None => e.why,
            };
            Err(stop(
                "LOAD_ERR_COMPILE_CONDITION",
                why,
                &ctx.in_condition(&text, e.column),
            ))
        }
    }
}

/// A macro with its syntax tree.
struct Macro {
    index: usize,
    visibility: usize,
    ast: Expr,
    cond: String,
    used: bool,
    ctx: Context,
}

/// Most comparisons a condition may expand to: macros that use a macro twice double at
/// each level, so a short file could ask for billions.
const MAX_EXPANDED: usize = 1_000_000;
/// Deepest nesting of macros in macros.
const MAX_MACRO_DEPTH: usize = 100;
/// Deepest expression tree compiled (the compiler recurses along it).
const MAX_TREE_DEPTH: usize = 2_000;

/// The number of nodes of a tree and its depth, walked without recursion.
fn tree_shape(e: &Expr) -> (usize, usize) {
    let (mut size, mut depth) = (0, 0);
    let mut todo = vec![(e, 1)];
    while let Some((e, d)) = todo.pop() {
        size += 1;
        depth = depth.max(d);
        match e {
            Expr::And(items) | Expr::Or(items) => todo.extend(items.iter().map(|i| (i, d + 1))),
            Expr::Not(inner) => todo.push((inner, d + 1)),
            _ => {}
        }
    }
    (size, depth)
}

/// Resolves macro names in conditions, and records which macros were used.
struct Resolver<'a> {
    by_name: &'a hashbrown::HashMap<&'a str, usize>,
    used: HashSet<usize>,
}

impl Resolver<'_> {
    /// Replaces the macro names of `e` by their trees (macros with `index < visibility`
    /// only), recursively, refusing loops and expansions past the limits. `own` is the
    /// macro `e` is the condition of, if any. A reference error is `LOAD_ERR_VALIDATE` in
    /// `ref_ctx`; a tree too deep, `LOAD_ERR_COMPILE_CONDITION` in `depth_ctx`.
    fn resolve(
        &mut self,
        e: &mut Expr,
        macros: &[Macro],
        own: Option<usize>,
        visibility: usize,
        ref_ctx: &Context,
        depth_ctx: &Context,
    ) -> Result<(), Stop> {
        let mut stack: Vec<usize> = own.into_iter().collect();
        let mut budget = MAX_EXPANDED;
        self.expand(e, macros, visibility, &mut stack, &mut budget)
            .map_err(|msg| stop("LOAD_ERR_VALIDATE", msg, ref_ctx))?;
        if tree_shape(e).1 > MAX_TREE_DEPTH {
            return Err(stop(
                "LOAD_ERR_COMPILE_CONDITION",
                format!(
                    "the condition nests deeper than {MAX_TREE_DEPTH} levels once its macros are expanded"
                ),
                depth_ctx,
            ));
        }
        Ok(())
    }

    fn expand(
        &mut self,
        e: &mut Expr,
        macros: &[Macro],
        visibility: usize,
        stack: &mut Vec<usize>,
        budget: &mut usize,
    ) -> Result<(), String> {
        match e {
            Expr::And(items) | Expr::Or(items) => {
                for i in items {
                    self.expand(i, macros, visibility, stack, budget)?;
                }
            }
            Expr::Not(inner) => self.expand(inner, macros, visibility, stack, budget)?,
            Expr::Check { .. } => {}
            Expr::Ident(name) => {
                let Some(&m) = self
                    .by_name
                    .get(name.as_str())
                    .filter(|&&m| macros[m].index < visibility)
                else {
                    return Err(format!("Undefined macro '{name}' used in filter."));
                };
                if stack.contains(&m) {
                    return Err(format!("reference loop in macro '{name}'"));
                }
                self.used.insert(m);
                if stack.len() >= MAX_MACRO_DEPTH {
                    return Err(format!(
                        "macros nested more than {MAX_MACRO_DEPTH} deep at '{name}'"
                    ));
                }
                let grown = tree_shape(&macros[m].ast).0;
                if grown > *budget {
                    return Err(format!(
                        "the condition expands to more than {MAX_EXPANDED} terms through macro '{name}'"
                    ));
                }
                *budget -= grown;
                let mut body = macros[m].ast.clone();
                stack.push(m);
                self.expand(&mut body, macros, visibility, stack, budget)?;
                stack.pop();
                *e = body;
            }
        }
        Ok(())
    }
}

/// Whether a condition compares a field with the text `<NA>`.
fn compares_with_na(e: &Expr) -> bool {
    match e {
        Expr::And(items) | Expr::Or(items) => items.iter().any(compares_with_na),
        Expr::Not(inner) => compares_with_na(inner),
        Expr::Check {
            value: Some(Value::Str(s)),
            op: Op::Eq | Op::Ne,
            ..
        } => s == "<NA>",
        _ => false,
    }
}

/// The output of a syscall rule with `%container.info` expanded as Falco does without an
/// extra output format.
fn output_text(output: &str) -> String {
    output.replace("%container.info", "%container.name (id=%container.id)")
}

/// Compiles everything collected. Errors stop at the first; warnings accumulate in `res`.
pub(crate) fn compile(
    col: &Collector,
    min_priority: Priority,
    res: &mut LoadResult,
) -> (Vec<Rule>, SharedFields) {
    let shared = SharedFields::new();
    match compile_all(col, min_priority, res, &shared) {
        Ok(rules) => (rules, shared),
        Err(Stop(d)) => {
            res.errors.push(d);
            (Vec::new(), shared)
        }
    }
}

fn warn(res: &mut LoadResult, code: &'static str, message: impl Into<String>, ctx: &Context) {
    res.warnings.push(Diagnostic {
        code,
        message: message.into(),
        context: ctx.clone(),
        snippet: String::new(),
    });
}

fn compile_all(
    col: &Collector,
    min_priority: Priority,
    res: &mut LoadResult,
    shared: &SharedFields,
) -> Result<Vec<Rule>, Stop> {
    // Lists: items naming a list defined before this list's latest definition take that
    // list's items.
    let mut used_lists = Vec::new();
    let mut lists: Vec<List> = col
        .lists
        .items
        .iter()
        .map(|l| {
            let mut items = Vec::new();
            for item in &l.items {
                match col.lists.get(item).filter(|r| r.index < l.visibility) {
                    Some(r) => {
                        used_lists.push(r.name.clone());
                        items.extend(r.items.iter().map(|v| quote_item(v)));
                    }
                    None => items.push(quote_item(item)),
                }
            }
            List {
                name: l.name.clone(),
                items,
                used: false,
                ctx: l.ctx.clone(),
            }
        })
        .collect();

    // Macros: parsed, then resolved in order.
    let mut macros = Vec::with_capacity(col.macros.items.len());
    for m in &col.macros.items {
        let (ast, cond) = parse_condition(&m.cond, &mut lists, &m.cond_ctx)?;
        macros.push(Macro {
            index: m.index,
            visibility: m.visibility,
            ast,
            cond,
            used: false,
            ctx: m.ctx.clone(),
        });
    }
    let by_name: hashbrown::HashMap<&str, usize> = col
        .macros
        .items
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    let mut resolver = Resolver {
        by_name: &by_name,
        used: HashSet::new(),
    };
    for i in 0..macros.len() {
        let mut ast = macros[i].ast.clone();
        let ref_ctx = macros[i].ctx.in_condition(&macros[i].cond, 1);
        let depth_ctx = macros[i].ctx.clone();
        let visibility = macros[i].visibility;
        resolver.resolve(&mut ast, &macros, Some(i), visibility, &ref_ctx, &depth_ctx)?;
        macros[i].ast = ast;
    }

    let mut rules = Vec::new();
    for r in &col.rules.items {
        if r.priority > min_priority || r.source != "syscall" {
            continue;
        }
        for ex in &r.exceptions {
            validate_exception(ex)?;
        }
        let mut condition = r.cond.clone();
        let exc = exceptions_condition(r)?;
        if !exc.is_empty() {
            condition = format!("({condition}){exc}");
        }
        let (mut ast, text) = parse_condition(&condition, &mut lists, &r.cond_ctx)?;
        let ref_ctx = r.ctx.in_condition(&text, 1);
        resolver.resolve(&mut ast, &macros, None, usize::MAX, &ref_ctx, &r.cond_ctx)?;
        if compares_with_na(&ast) {
            warn(res, "LOAD_UNSAFE_NA_CHECK", "", &r.ctx);
        }
        let output = output_text(&r.output);
        let format = match Format::parse(&format!("*{output}")) {
            Ok(f) => f,
            Err(e) => {
                let token = bad_token(&output).unwrap_or_else(|| e.to_string());
                return Err(stop(
                    "LOAD_ERR_COMPILE_OUTPUT",
                    format!("invalid formatting token {token}"),
                    &r.output_ctx,
                ));
            }
        };
        if let Some(field) = Filter::first_unknown_field(&ast) {
            let msg = format!("filter_check called with nonexistent field {field}");
            if r.skip_if_unknown_filter {
                warn(res, "LOAD_UNKNOWN_FIELD", msg, &r.cond_ctx);
                continue;
            }
            return Err(stop(
                "LOAD_ERR_COMPILE_CONDITION",
                msg,
                &r.cond_ctx.in_condition(&text, 1),
            ));
        }
        let filter = match Filter::from_expr_shared(ast, Some(shared)) {
            Ok(f) => f,
            Err(e) => {
                let msg = match e {
                    crate::Error::BadFilter { why, .. } => why,
                    other => other.to_string(),
                };
                return Err(stop(
                    "LOAD_ERR_COMPILE_CONDITION",
                    msg,
                    &r.cond_ctx.in_condition(&text, 1),
                ));
            }
        };
        let n = filter.event_types().len();
        if (n == 0 || n > 100) && r.warn_evttypes {
            warn(
                res,
                "LOAD_NO_EVTTYPE",
                "Rule matches too many evt.type values. This has a significant performance penalty.",
                &r.ctx,
            );
        }
        rules.push(Rule {
            name: r.name.clone(),
            desc: r.desc.clone(),
            priority: r.priority,
            tags: r.tags.iter().cloned().collect(),
            source: r.source.clone(),
            condition: filter.expr().to_string(),
            output,
            enabled: r.enabled,
            filter,
            format,
        });
    }

    for i in resolver.used {
        macros[i].used = true;
    }
    for name in used_lists {
        if let Some(l) = lists.iter_mut().find(|l| l.name == name) {
            l.used = true;
        }
    }
    for m in macros.iter().filter(|m| !m.used) {
        warn(
            res,
            "LOAD_UNUSED_MACRO",
            "Macro not referred to by any other rule/macro",
            &m.ctx,
        );
    }
    for l in lists.iter().filter(|l| !l.used) {
        warn(
            res,
            "LOAD_UNUSED_LIST",
            "List not referred to by any other rule/macro",
            &l.ctx,
        );
    }
    Ok(rules)
}

/// The first `%` token of an output that is not a field.
fn bad_token(output: &str) -> Option<String> {
    let mut rest = output;
    while let Some(i) = rest.find('%') {
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('%') {
            rest = tail;
            continue;
        }
        let token: String = after
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | ',' | '"' | '\''))
            .collect();
        if Format::parse(&format!("%{token}")).is_err() {
            let name: String = token.chars().skip_while(char::is_ascii_digit).collect();
            return Some(name);
        }
        rest = &after[token.len().min(after.len())..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(name: &str, items: &[&str]) -> List {
        List {
            name: name.into(),
            items: items.iter().map(|s| s.to_string()).collect(),
            used: false,
            ctx: Context::default(),
        }
    }

    #[test]
    fn lists_replace_whole_tokens_only() {
        let l = list("cat_binaries", &["cat", "tac"]);
        let mut c = "proc.name in (cat_binaries) and fd.name=file_cat_binaries".to_string();
        assert!(resolve_list(&mut c, &l));
        assert_eq!(c, "proc.name in ( cat, tac ) and fd.name=file_cat_binaries");
        let mut c = "proc.name=cat_binaries".to_string();
        resolve_list(&mut c, &list("cat_binaries", &["cat"]));
        assert_eq!(c, "proc.name= cat ");
        let mut c = "x in (a, empty, b)".to_string();
        resolve_list(&mut c, &list("empty", &[]));
        assert_eq!(c, "x in (a  , b)");
    }

    #[test]
    fn bad_output_tokens_are_named() {
        assert_eq!(
            bad_token("x %not_a_real_field y").as_deref(),
            Some("not_a_real_field")
        );
        assert_eq!(bad_token("%proc.name 100%% sure"), None);
    }
}
