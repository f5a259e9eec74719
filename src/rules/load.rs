//! Reading rules content: YAML documents to lists, macros and rules, with Falco's checks
//! and its diagnostics (code, message, and the chain of items they are about).
//!
//! Items are collected across files in load order. A later item with an existing name
//! replaces it but keeps the position of the first definition; `append` (or `override`)
//! extends it. Each item also records its *visibility*: the position of its latest
//! definition, which bounds what lists and macros it may refer to.

use std::collections::BTreeSet;

use hashbrown::HashMap;

use super::Priority;
use super::yaml::{self, Kind, Mark, Node};

/// The engine version rules files are checked against (`required_engine_version`). A plain
/// number `N` (the older form) stands for `0.N.0`.
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 57, 0);

/// What a diagnostic is about: one level of the chain from the file to the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The kind of item: `rules content`, `rule`, `macro`, `list`, `exception`, ...
    pub item_type: &'static str,
    /// The item's name, or empty.
    pub item_name: String,
    /// The file name (or, for a place in a condition, the start of the condition).
    pub name: String,
    /// Line, from 1 (0 for the whole content).
    pub line: usize,
    /// Column, from 0.
    pub column: usize,
    /// Offset in characters.
    pub offset: usize,
}

/// The chain of locations a diagnostic is about, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context(pub Vec<Location>);

impl Context {
    fn root(name: &str) -> Context {
        Context(vec![Location {
            item_type: "rules content",
            item_name: String::new(),
            name: name.to_string(),
            line: 0,
            column: 0,
            offset: 0,
        }])
    }

    fn child(&self, mark: Mark, item_type: &'static str, item_name: &str) -> Context {
        let mut locs = self.0.clone();
        locs.push(Location {
            item_type,
            item_name: item_name.to_string(),
            name: self.0.first().map(|l| l.name.clone()).unwrap_or_default(),
            line: mark.line,
            column: mark.column,
            offset: mark.offset,
        });
        Context(locs)
    }

    /// A place in a condition: `column` (1-based) into `condition`, which starts where the
    /// last location of `self` is.
    pub(crate) fn in_condition(&self, condition: &str, column: usize) -> Context {
        let short: String = if condition.chars().count() > 20 {
            format!("\"{}...\"", condition.chars().take(17).collect::<String>())
        } else {
            format!("\"{condition}\"")
        };
        let last = self.0.last().cloned().unwrap_or(Location {
            item_type: "rules content",
            item_name: String::new(),
            name: String::new(),
            line: 0,
            column: 0,
            offset: 0,
        });
        let mut locs = self.0.clone();
        locs.push(Location {
            item_type: "condition expression",
            item_name: String::new(),
            name: short.replace(['\n', '\r'], " "),
            line: last.line + 1,
            column: last.column + column,
            offset: last.offset + column.saturating_sub(1),
        });
        Context(locs)
    }
}

/// An error or warning from loading rules content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Falco's code: `LOAD_ERR_COMPILE_CONDITION`, `LOAD_NO_EVTTYPE`, ...
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The items it is about.
    pub context: Context,
    /// The lines of content at the innermost place, with a caret under the column (empty
    /// when the diagnostic is about the whole content).
    pub snippet: String,
}

impl Diagnostic {
    /// Fills [`Diagnostic::snippet`] from `content`, the text of the file `name`: the line
    /// of the innermost location in that file, cut to 160 characters, and a caret under
    /// its column.
    pub(crate) fn fill_snippet(&mut self, name: &str, content: &str) {
        let Some(loc) = self
            .context
            .0
            .iter()
            .rev()
            .find(|l| l.name == name && l.line > 0)
        else {
            return;
        };
        let Some(line) = content.lines().nth(loc.line - 1) else {
            return;
        };
        let line: String = line.chars().take(160).collect();
        let caret = loc.column.min(line.chars().count());
        self.snippet = format!("{line}\n{}^\n", " ".repeat(caret));
    }

    /// The short description of the code.
    pub fn code_desc(&self) -> &'static str {
        match self.code {
            "LOAD_ERR_FILE_READ" => "File read error",
            "LOAD_ERR_YAML_PARSE" => "YAML parse error",
            "LOAD_ERR_YAML_VALIDATE" => "Error validating internal structure of YAML file",
            "LOAD_ERR_COMPILE_CONDITION" => "Error compiling condition",
            "LOAD_ERR_COMPILE_OUTPUT" => "Error compiling output",
            "LOAD_ERR_VALIDATE" => "Error validating rule/macro/list/exception objects",
            "LOAD_UNKNOWN_SOURCE" => "Unknown event source",
            "LOAD_UNSAFE_NA_CHECK" => "Unsafe <NA> comparison in condition",
            "LOAD_NO_EVTTYPE" => "Condition has no event-type restriction",
            "LOAD_UNKNOWN_FIELD" => "Unknown field in condition",
            "LOAD_UNUSED_MACRO" => "Unused macro",
            "LOAD_UNUSED_LIST" => "Unused list",
            "LOAD_UNKNOWN_ITEM" => "Unknown rules file item",
            _ => "",
        }
    }
}

/// What loading one piece of rules content gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadResult {
    /// The name the content was loaded under (its path, for a file).
    pub name: String,
    /// Errors: with any, the content was not loaded.
    pub errors: Vec<Diagnostic>,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
}

impl LoadResult {
    /// Whether the content loaded (it may still have warnings).
    pub fn successful(&self) -> bool {
        self.errors.is_empty()
    }
}

/// An error that stops reading: a diagnostic.
pub(crate) struct Stop(pub Diagnostic);

pub(crate) fn stop(code: &'static str, message: impl Into<String>, context: &Context) -> Stop {
    Stop(Diagnostic {
        code,
        message: message.into(),
        context: context.clone(),
        snippet: String::new(),
    })
}

fn invalid(message: impl Into<String>, context: &Context) -> Stop {
    stop("LOAD_ERR_YAML_VALIDATE", message, context)
}

fn refused(message: impl Into<String>, context: &Context) -> Stop {
    stop("LOAD_ERR_VALIDATE", message, context)
}

/// Items by name, in the order of their first definition.
#[derive(Debug, Clone)]
pub(crate) struct Indexed<T> {
    pub items: Vec<T>,
    by_name: HashMap<String, usize>,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed {
            items: Vec::new(),
            by_name: HashMap::new(),
        }
    }
}

impl<T> Indexed<T> {
    pub fn get(&self, name: &str) -> Option<&T> {
        self.by_name.get(name).map(|&i| &self.items[i])
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.by_name.get(name).map(|&i| &mut self.items[i])
    }

    fn insert(&mut self, name: &str, item: T) {
        match self.by_name.get(name) {
            Some(&i) => self.items[i] = item,
            None => {
                self.by_name.insert(name.to_string(), self.items.len());
                self.items.push(item);
            }
        }
    }
}

/// A list as read.
#[derive(Debug, Clone)]
pub(crate) struct ListInfo {
    pub ctx: Context,
    pub name: String,
    pub items: Vec<String>,
    pub index: usize,
    pub visibility: usize,
}

/// A macro as read.
#[derive(Debug, Clone)]
pub(crate) struct MacroInfo {
    pub ctx: Context,
    pub cond_ctx: Context,
    pub name: String,
    pub cond: String,
    pub index: usize,
    pub visibility: usize,
}

/// One part of an exception: a single name or a list (which may nest one level).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Entry {
    #[default]
    Missing,
    Item(String),
    List(Vec<Entry>),
}

/// A rule exception as read.
#[derive(Debug, Clone)]
pub(crate) struct ExceptionInfo {
    pub ctx: Context,
    pub name: String,
    pub fields: Entry,
    pub comps: Entry,
    pub values: Vec<Entry>,
}

/// A rule as read.
#[derive(Debug, Clone)]
pub(crate) struct RuleInfo {
    pub ctx: Context,
    pub cond_ctx: Context,
    pub output_ctx: Context,
    pub name: String,
    pub cond: String,
    pub output: String,
    pub desc: String,
    pub priority: Priority,
    pub source: String,
    pub enabled: bool,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub tags: BTreeSet<String>,
    pub exceptions: Vec<ExceptionInfo>,
}

/// Everything read so far, across files.
#[derive(Debug, Clone, Default)]
pub(crate) struct Collector {
    next_index: usize,
    pub lists: Indexed<ListInfo>,
    pub macros: Indexed<MacroInfo>,
    pub rules: Indexed<RuleInfo>,
}

/// The text of a required scalar under `key`, with Falco's checks and messages.
fn scalar<'n>(item: &'n Node, key: &str, ctx: &Context) -> Result<&'n Node, Stop> {
    let Some(v) = item.get(key) else {
        return Err(invalid(format!("Item has no mapping for key '{key}'"), ctx));
    };
    if v.is_null() {
        return Err(invalid(format!("Mapping for key '{key}' is empty"), ctx));
    }
    let vctx = ctx.child(v.mark, "value for", key);
    match v.as_str() {
        None => Err(invalid("Value is not a scalar value", &vctx)),
        Some("") => Err(invalid("Value must be non-empty", &vctx)),
        Some(_) => Ok(v),
    }
}

fn string(item: &Node, key: &str, ctx: &Context) -> Result<String, Stop> {
    Ok(scalar(item, key, ctx)?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn optional_string(item: &Node, key: &str, ctx: &Context) -> Result<Option<String>, Stop> {
    if item.get(key).is_none() {
        return Ok(None);
    }
    string(item, key, ctx).map(Some)
}

fn optional_bool(item: &Node, key: &str, ctx: &Context) -> Result<Option<bool>, Stop> {
    if item.get(key).is_none() {
        return Ok(None);
    }
    let v = scalar(item, key, ctx)?;
    match v.as_bool() {
        Some(b) => Ok(Some(b)),
        None => Err(invalid(
            "Can't decode YAML scalar value",
            &ctx.child(v.mark, "value for", key),
        )),
    }
}

/// A sequence of scalars under `key`.
fn strings(item: &Node, key: &str, ctx: &Context) -> Result<Option<Vec<String>>, Stop> {
    let Some(v) = item.get(key) else {
        return Ok(None);
    };
    let vctx = ctx.child(v.mark, "value for", key);
    let Some(seq) = v.as_seq() else {
        return Err(invalid("Value is not a sequence", &vctx));
    };
    seq.iter()
        .map(|n| match n.as_str() {
            Some(s) => Ok(s.to_string()),
            None => Err(invalid(
                "sequence value is not scalar",
                &vctx.child(n.mark, "list item", ""),
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// How an `override` key asks for a property to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Append,
    Replace,
}

/// The `override` mapping of an item: property name to append or replace.
fn overrides(item: &Node, ctx: &Context) -> Result<Option<Vec<(String, Change)>>, Stop> {
    let Some(o) = item.get("override") else {
        return Ok(None);
    };
    let octx = ctx.child(o.mark, "value for", "override");
    let Kind::Map(entries) = &o.kind else {
        return Err(invalid("Value is not a map", &octx));
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let key = k.as_str().unwrap_or_default().to_string();
        let change = match v.as_str() {
            Some("append") => Change::Append,
            Some("replace") => Change::Replace,
            _ => {
                return Err(invalid(
                    format!("Key '{key}' must be 'append' or 'replace'"),
                    &octx,
                ));
            }
        };
        out.push((key, change));
    }
    Ok(Some(out))
}

fn exception_entry(v: &Node, ctx: &Context, depth: usize) -> Result<Entry, Stop> {
    match &v.kind {
        Kind::Scalar(s, _) if s.is_empty() => Err(invalid("Value must be non-empty", ctx)),
        Kind::Scalar(s, _) => Ok(Entry::Item(s.clone())),
        Kind::Seq(items) if depth < 2 => items
            .iter()
            .map(|i| exception_entry(i, &ctx.child(i.mark, "exception", ""), depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Entry::List),
        _ => Err(invalid("Could not decode scalar value", ctx)),
    }
}

fn read_exceptions(item: &Node, ctx: &Context, append: bool) -> Result<Vec<ExceptionInfo>, Stop> {
    let Some(exs) = item.get("exceptions") else {
        return Ok(Vec::new());
    };
    if exs.is_null() {
        return Ok(Vec::new());
    }
    let exes_ctx = ctx.child(exs.mark, "exceptions", "");
    let Some(seq) = exs.as_seq() else {
        return Err(invalid("Rule exceptions must be a sequence", &exes_ctx));
    };
    let mut out = Vec::new();
    for ex in seq {
        let tmp = exes_ctx.child(ex.mark, "exception", "");
        if !matches!(ex.kind, Kind::Map(_)) {
            return Err(invalid("Rule exception must be a mapping", &tmp));
        }
        let name = string(ex, "name", &tmp)?;
        let ex_ctx = ctx.child(ex.mark, "exception", &name);
        let fields = match ex.get("fields") {
            None if append => Entry::Missing,
            None => {
                return Err(invalid("Item has no mapping for key 'fields'", &ex_ctx));
            }
            Some(f) => exception_entry(f, &ex_ctx.child(f.mark, "value for", "fields"), 1)?,
        };
        let comps = match ex.get("comps") {
            None => Entry::Missing,
            Some(c) => exception_entry(c, &ex_ctx.child(c.mark, "value for", "comps"), 1)?,
        };
        let mut values = Vec::new();
        if let Some(vals) = ex.get("values") {
            let vals_ctx = ex_ctx.child(vals.mark, "exception values", "");
            let Some(vseq) = vals.as_seq() else {
                return Err(invalid(
                    "Rule exception values must be a sequence",
                    &vals_ctx,
                ));
            };
            for v in vseq {
                let vctx = vals_ctx.child(v.mark, "exception value", "");
                values.push(exception_entry(v, &vctx, 1)?);
            }
        }
        out.push(ExceptionInfo {
            ctx: ex_ctx,
            name,
            fields,
            comps,
            values,
        });
    }
    Ok(out)
}

/// Parses a version: a plain number `N` (`0.N.0`) or `major.minor.patch`.
fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    if let Ok(n) = s.parse::<u64>() {
        return Some((0, n, 0));
    }
    let mut parts = s.split('.').map(|p| p.parse::<u64>().ok());
    let v = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(v)
}

fn version_text((a, b, c): (u64, u64, u64)) -> String {
    format!("{a}.{b}.{c}")
}

impl Collector {
    fn take_index(&mut self) -> usize {
        let i = self.next_index;
        self.next_index += 1;
        i
    }

    /// Reads one piece of rules content into the collection. Warnings go to `res`; the
    /// first error stops reading (items read before it stay).
    pub fn read(&mut self, name: &str, content: &str, res: &mut LoadResult) -> bool {
        let root = Context::root(name);
        let docs = match yaml::load_all(content) {
            Ok(d) => d,
            Err(e) => {
                let mut ctx = root.clone();
                ctx.0.push(Location {
                    item_type: "value for",
                    item_name: String::new(),
                    name: name.to_string(),
                    line: e.mark.line,
                    column: e.mark.column,
                    offset: e.mark.offset,
                });
                res.errors.push(Diagnostic {
                    code: "LOAD_ERR_YAML_PARSE",
                    message: if e.mark.line == 0 {
                        e.message
                    } else {
                        format!(
                            "error at line {}, column {}: {}",
                            e.mark.line,
                            e.mark.column + 1,
                            e.message
                        )
                    },
                    context: ctx,
                    snippet: String::new(),
                });
                return false;
            }
        };
        for doc in docs.iter().filter(|d| !d.is_null()) {
            if let Err(Stop(d)) = self.read_doc(doc, &root, res) {
                res.errors.push(d);
                return false;
            }
        }
        true
    }

    fn read_doc(&mut self, doc: &Node, root: &Context, res: &mut LoadResult) -> Result<(), Stop> {
        let Some(items) = doc.as_seq() else {
            return Err(invalid(
                if matches!(doc.kind, Kind::Map(_)) {
                    "Rules content is not yaml array of objects"
                } else {
                    "Rules content is not yaml"
                },
                root,
            ));
        };
        for item in items.iter().filter(|i| !i.is_null()) {
            self.read_item(item, root, res)?;
        }
        Ok(())
    }

    fn read_item(&mut self, item: &Node, root: &Context, res: &mut LoadResult) -> Result<(), Stop> {
        let tmp = root.child(item.mark, "rules content item", "");
        if !matches!(item.kind, Kind::Map(_)) {
            return Err(invalid(
                "Unexpected element type. Each element should be a yaml associative array.",
                &tmp,
            ));
        }
        if item.get("required_engine_version").is_some() {
            let ctx = root.child(item.mark, "required_engine_version", "");
            let v = scalar(item, "required_engine_version", &ctx)?;
            let text = v.as_str().unwrap_or_default();
            let Some(required) = parse_version(text) else {
                return Err(invalid(
                    "Can't decode YAML scalar value",
                    &ctx.child(v.mark, "value for", "required_engine_version"),
                ));
            };
            if required > ENGINE_VERSION {
                return Err(refused(
                    format!(
                        "Rules require engine version {text}, but engine version is {}",
                        version_text(ENGINE_VERSION)
                    ),
                    &ctx,
                ));
            }
        } else if let Some(req) = item.get("required_plugin_versions") {
            let ctx = root.child(req.mark, "required plugin versions", "");
            let Some(seq) = req.as_seq() else {
                return Err(invalid(
                    "Value of required_plugin_versions must be a sequence",
                    &ctx,
                ));
            };
            for p in seq {
                let tmp = ctx.child(p.mark, "required plugin versions entry", "");
                if !matches!(p.kind, Kind::Map(_)) {
                    return Err(invalid("Plugin version must be a mapping", &tmp));
                }
                let name = string(p, "name", &tmp)?;
                let pctx = ctx.child(p.mark, "required plugin versions entry", &name);
                // Checked for its form; Peregrine loads no plugins.
                string(p, "version", &pctx)?;
            }
        } else if item.get("list").is_some() {
            self.read_list(item, root)?;
        } else if item.get("macro").is_some() {
            self.read_macro(item, root)?;
        } else if item.get("rule").is_some() {
            self.read_rule(item, root)?;
        } else {
            res.warnings.push(Diagnostic {
                code: "LOAD_UNKNOWN_ITEM",
                message: "Unknown top level item".into(),
                context: tmp,
                snippet: String::new(),
            });
        }
        Ok(())
    }

    /// Whether the item asks to append (`append: true`, or `override` with `append` for
    /// `key`), replace (`override` with `replace`), or neither.
    fn change_of(item: &Node, ctx: &Context, key: &str) -> Result<Option<Change>, Stop> {
        let append = optional_bool(item, "append", ctx)?.unwrap_or(false);
        let ov = overrides(item, ctx)?;
        if append && ov.is_some() {
            return Err(invalid(
                "Keys 'override' and 'append: true' cannot be used together.",
                ctx,
            ));
        }
        if append {
            return Ok(Some(Change::Append));
        }
        Ok(ov.and_then(|o| o.into_iter().find(|(k, _)| k == key).map(|(_, c)| c)))
    }

    fn read_list(&mut self, item: &Node, root: &Context) -> Result<(), Stop> {
        let tmp = root.child(item.mark, "list", "");
        let name = string(item, "list", &tmp)?;
        let ctx = root.child(item.mark, "list", &name);
        let Some(items) = strings(item, "items", &ctx)? else {
            return Err(invalid("Item has no mapping for key 'items'", &ctx));
        };
        let change = Self::change_of(item, &ctx, "items")?;
        let index = self.take_index();
        match change {
            Some(c) => {
                let Some(prev) = self.lists.get_mut(&name) else {
                    return Err(dangling("List", item, &ctx));
                };
                if c == Change::Append {
                    prev.items.extend(items);
                } else {
                    prev.items = items;
                }
                prev.visibility = index;
            }
            None => {
                let first = self.lists.get(&name).map_or(index, |p| p.index);
                self.lists.insert(
                    &name,
                    ListInfo {
                        ctx,
                        name: name.clone(),
                        items,
                        index: first,
                        visibility: index,
                    },
                );
            }
        }
        Ok(())
    }

    fn read_macro(&mut self, item: &Node, root: &Context) -> Result<(), Stop> {
        let tmp = root.child(item.mark, "macro", "");
        let name = string(item, "macro", &tmp)?;
        let ctx = root.child(item.mark, "macro", &name);
        let cond = string(item, "condition", &ctx)?;
        let cnode = item.get("condition").map_or(item.mark, |n| n.mark);
        let cond_ctx = ctx.child(cnode, "macro condition", "");
        let change = Self::change_of(item, &ctx, "condition")?;
        let index = self.take_index();
        match change {
            Some(c) => {
                let Some(prev) = self.macros.get_mut(&name) else {
                    return Err(dangling("Macro", item, &ctx));
                };
                if c == Change::Append {
                    prev.cond.push(' ');
                    prev.cond.push_str(&cond);
                } else {
                    prev.cond = cond;
                }
                prev.visibility = index;
            }
            None => {
                let first = self.macros.get(&name).map_or(index, |p| p.index);
                self.macros.insert(
                    &name,
                    MacroInfo {
                        ctx,
                        cond_ctx,
                        name: name.clone(),
                        cond,
                        index: first,
                        visibility: index,
                    },
                );
            }
        }
        Ok(())
    }

    fn read_rule(&mut self, item: &Node, root: &Context) -> Result<(), Stop> {
        let tmp = root.child(item.mark, "rule", "");
        let name = string(item, "rule", &tmp)?;
        let ctx = root.child(item.mark, "rule", &name);
        let append = optional_bool(item, "append", &ctx)?.unwrap_or(false);
        let ov = overrides(item, &ctx)?;
        if append && ov.is_some() {
            return Err(invalid(
                "Keys 'override' and 'append: true' cannot be used together.",
                &ctx,
            ));
        }
        let mark_of = |key: &str| item.get(key).map_or(item.mark, |n| n.mark);
        if append {
            let cond = optional_string(item, "condition", &ctx)?.unwrap_or_default();
            let exceptions = read_exceptions(item, &ctx, true)?;
            self.append_rule(&name, &ctx, Some(cond), exceptions)?;
            return Ok(());
        }
        if let Some(ov) = ov {
            return self.override_rule(item, &name, &ctx, &ov);
        }
        let has = |k: &str| item.get(k).is_some();
        if !has("condition") && !has("output") && !has("desc") && !has("priority") {
            let v = scalar(item, "enabled", &ctx)?;
            let Some(enabled) = v.as_bool() else {
                return Err(invalid(
                    "Can't decode YAML scalar value",
                    &ctx.child(v.mark, "value for", "enabled"),
                ));
            };
            let Some(prev) = self.rules.get_mut(&name) else {
                return Err(refused(
                    "Rule has 'enabled' key but no rule by that name already exists",
                    &ctx,
                ));
            };
            prev.enabled = enabled;
            return Ok(());
        }
        let cond = string(item, "condition", &ctx)?;
        let cond_ctx = ctx.child(mark_of("condition"), "rule condition", "");
        let output = string(item, "output", &ctx)?.trim().to_string();
        let output_ctx = ctx.child(mark_of("output"), "rule output", "");
        let desc = string(item, "desc", &ctx)?;
        let priority_text = string(item, "priority", &ctx)?;
        let Some(priority) = Priority::parse(&priority_text) else {
            return Err(invalid(
                "Invalid priority",
                &ctx.child(mark_of("priority"), "rule priority", ""),
            ));
        };
        let source = optional_string(item, "source", &ctx)?.unwrap_or_else(|| "syscall".into());
        let enabled = optional_bool(item, "enabled", &ctx)?.unwrap_or(true);
        let warn_evttypes = optional_bool(item, "warn_evttypes", &ctx)?.unwrap_or(true);
        let skip_if_unknown_filter =
            optional_bool(item, "skip-if-unknown-filter", &ctx)?.unwrap_or(false);
        let tags = strings(item, "tags", &ctx)?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let exceptions = read_exceptions(item, &ctx, false)?;
        if let Some(prev) = self.rules.get(&name)
            && prev.source != source
        {
            return Err(refused(
                "Rule has been re-defined with a different source",
                &ctx,
            ));
        }
        for ex in &exceptions {
            if ex.fields == Entry::Missing {
                return Err(refused(
                    "Rule exception item must have fields property with a list of fields",
                    &ex.ctx,
                ));
            }
        }
        let _ = self.take_index();
        self.rules.insert(
            &name,
            RuleInfo {
                ctx,
                cond_ctx,
                output_ctx,
                name: name.clone(),
                cond,
                output,
                desc,
                priority,
                source,
                enabled,
                warn_evttypes,
                skip_if_unknown_filter,
                tags,
                exceptions,
            },
        );
        Ok(())
    }

    fn append_rule(
        &mut self,
        name: &str,
        ctx: &Context,
        cond: Option<String>,
        exceptions: Vec<ExceptionInfo>,
    ) -> Result<(), Stop> {
        let _ = self.take_index();
        let Some(prev) = self.rules.get_mut(name) else {
            return Err(refused(
                "Rule has 'append' key but no rule by that name already exists",
                ctx,
            ));
        };
        let cond = cond.unwrap_or_default();
        if cond.is_empty() && exceptions.is_empty() {
            return Err(refused(
                "Appended rule must have exceptions or condition property",
                ctx,
            ));
        }
        if !cond.is_empty() {
            prev.cond.push(' ');
            prev.cond.push_str(&cond);
        }
        merge_exceptions(prev, exceptions)
    }

    /// `override:` on a rule: each named property appended to or replaced.
    fn override_rule(
        &mut self,
        item: &Node,
        name: &str,
        ctx: &Context,
        ov: &[(String, Change)],
    ) -> Result<(), Stop> {
        let _ = self.take_index();
        for (key, _) in ov {
            if item.get(key).is_none() {
                return Err(invalid(
                    format!("An override is defined for '{key}' but no value is given"),
                    ctx,
                ));
            }
        }
        let cond = optional_string(item, "condition", ctx)?;
        let output = optional_string(item, "output", ctx)?;
        let desc = optional_string(item, "desc", ctx)?;
        let priority = match optional_string(item, "priority", ctx)? {
            None => None,
            Some(p) => Some(Priority::parse(&p).ok_or_else(|| invalid("Invalid priority", ctx))?),
        };
        let enabled = optional_bool(item, "enabled", ctx)?;
        let tags = strings(item, "tags", ctx)?;
        let exceptions = read_exceptions(item, ctx, true)?;
        let Some(prev) = self.rules.get_mut(name) else {
            return Err(dangling("Rule", item, ctx));
        };
        for (key, change) in ov {
            let append = *change == Change::Append;
            match key.as_str() {
                "condition" if append => {
                    prev.cond.push(' ');
                    prev.cond.push_str(cond.as_deref().unwrap_or_default());
                }
                "condition" => prev.cond = cond.clone().unwrap_or_default(),
                "output" if append => {
                    prev.output.push(' ');
                    prev.output.push_str(output.as_deref().unwrap_or_default());
                }
                "output" => prev.output = output.clone().unwrap_or_default().trim().to_string(),
                "desc" if append => {
                    prev.desc.push(' ');
                    prev.desc.push_str(desc.as_deref().unwrap_or_default());
                }
                "desc" => prev.desc = desc.clone().unwrap_or_default(),
                "priority" if !append => {
                    if let Some(p) = priority {
                        prev.priority = p;
                    }
                }
                "enabled" if !append => {
                    if let Some(e) = enabled {
                        prev.enabled = e;
                    }
                }
                "tags" => {
                    if !append {
                        prev.tags.clear();
                    }
                    prev.tags.extend(tags.clone().unwrap_or_default());
                }
                "exceptions" if append => merge_exceptions(prev, exceptions.clone())?,
                "exceptions" => prev.exceptions = exceptions.clone(),
                _ => {
                    return Err(invalid(
                        format!(
                            "Key '{key}' cannot be {}",
                            if append { "appended to" } else { "replaced" }
                        ),
                        ctx,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// An `append` or `override` of an item that does not exist: `what` is `List`, `Macro`
/// or `Rule`.
fn dangling(what: &str, item: &Node, ctx: &Context) -> Stop {
    let low = what.to_lowercase();
    refused(
        if item.get("override").is_none() {
            format!("{what} has 'append' key but no {low} by that name already exists")
        } else {
            format!("An 'override' key is present but no {low} by that name already exists")
        },
        ctx,
    )
}

fn merge_exceptions(prev: &mut RuleInfo, exceptions: Vec<ExceptionInfo>) -> Result<(), Stop> {
    for ex in exceptions {
        match prev.exceptions.iter_mut().find(|p| p.name == ex.name) {
            None => {
                if ex.fields == Entry::Missing {
                    return Err(refused(
                        "Rule exception must have fields property with a list of fields",
                        &ex.ctx,
                    ));
                }
                if ex.values.is_empty() {
                    return Err(refused(
                        "Rule exception must have values property with a list of values",
                        &ex.ctx,
                    ));
                }
                prev.exceptions.push(ex);
            }
            Some(p) => {
                if ex.fields != Entry::Missing {
                    return Err(refused(
                        "Can not append exception fields to existing exception, only values",
                        &ex.ctx,
                    ));
                }
                if ex.comps != Entry::Missing {
                    return Err(refused(
                        "Can not append exception comps to existing exception, only values",
                        &ex.ctx,
                    ));
                }
                p.values.extend(ex.values);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Collector, LoadResult) {
        let mut c = Collector::default();
        let mut r = LoadResult::default();
        c.read("t.yaml", text, &mut r);
        (c, r)
    }

    #[test]
    fn versions_read_in_both_forms() {
        assert_eq!(parse_version("17"), Some((0, 17, 0)));
        assert_eq!(parse_version("0.57.0"), Some((0, 57, 0)));
        assert_eq!(parse_version("x"), None);
        let (_, r) = read("- required_engine_version: 9999999\n");
        assert!(
            r.errors[0]
                .message
                .starts_with("Rules require engine version 9999999")
        );
    }

    #[test]
    fn redefinitions_keep_their_first_place_and_appends_extend() {
        let (c, r) = read(
            "- list: a\n  items: [x]\n- list: b\n  items: [y]\n- list: a\n  items: [z]\n\
             - list: b\n  items: [w]\n  append: true\n",
        );
        assert!(r.successful(), "{r:?}");
        assert_eq!(c.lists.items[0].items, ["z"]);
        assert_eq!(c.lists.items[1].items, ["y", "w"]);
        assert_eq!(
            (c.lists.items[0].index, c.lists.items[0].visibility),
            (0, 2)
        );
    }

    #[test]
    fn override_replaces_or_appends_rule_properties() {
        let (c, r) = read(
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n\
             - rule: r\n  condition: and proc.name=cat\n  priority: ERROR\n  \
             override:\n    condition: append\n    priority: replace\n",
        );
        assert!(r.successful(), "{r:?}");
        let rule = &c.rules.items[0];
        assert_eq!(rule.cond, "evt.type=open and proc.name=cat");
        assert_eq!(rule.priority, Priority::Error);
    }

    #[test]
    fn missing_keys_are_named() {
        let (_, r) = read("- list: bad_list\n");
        assert_eq!(r.errors[0].message, "Item has no mapping for key 'items'");
        assert_eq!(r.errors[0].context.0[1].item_name, "bad_list");
        let (_, r) = read("- rule:\n  condition: x\n");
        assert_eq!(r.errors[0].message, "Mapping for key 'rule' is empty");
    }
}
