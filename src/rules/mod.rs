//! Detection with Falco rules: rules files (lists, macros, rules, exceptions) loaded and
//! checked as Falco loads them, compiled once, and evaluated over events with an index by
//! event type, so that an event runs only the rules that can fire on it.
//!
//! ```no_run
//! use peregrine::Inspector;
//! use peregrine::rules::{AlertFormat, Rules};
//!
//! # fn main() -> peregrine::Result<()> {
//! let rules = Rules::load(["falco_rules.yaml"])?;
//! let mut inspector = Inspector::builder().file("capture.scap").build()?;
//! let mut alerts = AlertFormat::text();
//! let mut line = String::new();
//! while let Some(ev) = inspector.next()? {
//!     if let Some(rule) = rules.first_match(&ev) {
//!         alerts.write(rule, &ev, &mut line);
//!         println!("{line}");
//!     }
//!     // Or as a value: the rule, its output, and the output's fields.
//!     if let Some(alert) = rules.check(&ev) {
//!         println!("{:?} {} {:?}", alert.priority(), alert.output, alert.fields);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`RulesLoader`] gives what Falco's `-V` reports for each file (errors and warnings with
//! their codes and places); [`Rules::load`] is the short way when any error should stop.

mod compile;
mod load;
mod output;
pub mod yaml;

use std::path::{Path, PathBuf};

pub use load::{Context, Diagnostic, ENGINE_VERSION, LoadResult, Location};
pub use output::AlertFormat;

use crate::error::{Error, Result};
use crate::event::schema::EVENT_MAX;
use crate::filter::{EventTypes, FieldCache, Filter, SharedFields};
use crate::format::Format;
use crate::inspector::Event;

/// How severe a rule's alert is, most severe first (the order of Falco's priorities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// `Emergency`.
    Emergency,
    /// `Alert`.
    Alert,
    /// `Critical`.
    Critical,
    /// `Error`.
    Error,
    /// `Warning`.
    Warning,
    /// `Notice`.
    Notice,
    /// `Informational` (also spelt `Info`).
    Informational,
    /// `Debug`.
    Debug,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Reads a priority in any case; `info` is `Informational`.
    pub fn parse(s: &str) -> Option<Priority> {
        if s.eq_ignore_ascii_case("info") {
            return Some(Priority::Informational);
        }
        Priority::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
    }

    /// The name alerts print: `Warning`, `Informational`, ...
    pub fn name(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// The short upper-case name of the statistics: `WARNING`, `INFO`, ...
    pub fn short_name(self) -> &'static str {
        match self {
            Priority::Emergency => "EMERGENCY",
            Priority::Alert => "ALERT",
            Priority::Critical => "CRITICAL",
            Priority::Error => "ERROR",
            Priority::Warning => "WARNING",
            Priority::Notice => "NOTICE",
            Priority::Informational => "INFO",
            Priority::Debug => "DEBUG",
        }
    }
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    name: String,
    desc: String,
    priority: Priority,
    tags: Vec<String>,
    source: String,
    condition: String,
    output: String,
    enabled: bool,
    filter: Filter,
    format: Format,
}

/// An alert: the rule an event satisfied, its output filled in, and the values of the
/// fields that output names.
#[derive(Debug)]
pub struct Alert<'r> {
    /// The rule.
    pub rule: &'r Rule,
    /// The rule's output for the event (without Falco's time and priority prefix; see
    /// [`AlertFormat`] for the whole line or JSON object).
    pub output: String,
    /// Each field the output names, with its value (`None`: it does not apply).
    pub fields: Vec<(&'r str, Option<String>)>,
}

impl Alert<'_> {
    /// The rule's priority.
    pub fn priority(&self) -> Priority {
        self.rule.priority()
    }

    /// The rule's tags.
    pub fn tags(&self) -> &[String] {
        self.rule.tags()
    }
}

impl Rule {
    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its description.
    pub fn desc(&self) -> &str {
        &self.desc
    }

    /// Its priority.
    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// Its tags, sorted.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// Its event source (`syscall`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The condition as compiled: lists, macros and exceptions expanded.
    pub fn condition(&self) -> &str {
        &self.condition
    }

    /// The output format (`%field` references), as compiled.
    pub fn output(&self) -> &str {
        &self.output
    }

    /// Whether it is enabled.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Every event type the rule can fire on.
    pub fn event_types(&self) -> &EventTypes {
        self.filter.event_types()
    }

    /// Whether the event satisfies the rule's condition (enabled or not).
    pub fn matches(&self, ev: &Event<'_>) -> bool {
        self.filter.matches(ev.view())
    }

    /// [`Rule::matches`] on an event's view (what fields read), for callers that build
    /// views themselves.
    pub fn matches_view(&self, v: &crate::fields::EventView<'_>) -> bool {
        self.filter.matches(v)
    }

    /// Renders the rule's output for the event into `out` (cleared first); a field with no
    /// value prints `<NA>`.
    pub fn render_output(&self, ev: &Event<'_>, out: &mut String) {
        self.format.render(ev.view(), out);
    }
}

/// Loads rules content as Falco does: each file in turn into one collection, every load
/// compiling all that was collected so far and reporting on the file just read.
#[derive(Debug, Default)]
pub struct RulesLoader {
    collector: load::Collector,
    min_priority: Option<Priority>,
    rules: Vec<Rule>,
    shared: SharedFields,
    results: Vec<LoadResult>,
}

impl RulesLoader {
    /// A loader with nothing loaded.
    pub fn new() -> RulesLoader {
        RulesLoader::default()
    }

    /// Rules less severe than `p` are left out when compiling: they never fire, and
    /// appending to them is not an error.
    pub fn min_priority(&mut self, p: Priority) -> &mut Self {
        self.min_priority = Some(p);
        self
    }

    /// Loads rules content from a string, under `name` (for diagnostics).
    pub fn load_str(&mut self, name: &str, content: &str) -> &LoadResult {
        let mut res = LoadResult {
            name: name.to_string(),
            ..LoadResult::default()
        };
        if self.collector.read(name, content, &mut res) {
            (self.rules, self.shared) = compile::compile(
                &self.collector,
                self.min_priority.unwrap_or(Priority::Debug),
                &mut res,
            );
        }
        for d in res.errors.iter_mut().chain(res.warnings.iter_mut()) {
            d.fill_snippet(name, content);
        }
        self.results.push(res);
        self.results.last().expect("just pushed")
    }

    /// Loads a rules file; a directory loads its regular files sorted by name.
    pub fn load_path(&mut self, path: impl AsRef<Path>) -> Vec<&LoadResult> {
        let path = path.as_ref();
        let before = self.results.len();
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(path)
                .map(|d| {
                    d.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.is_file())
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        } else {
            vec![path.to_path_buf()]
        };
        for f in files {
            let name = f.display().to_string();
            match std::fs::read(&f) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    self.load_str(&name, &text);
                }
                Err(e) => {
                    let mut res = LoadResult {
                        name: name.clone(),
                        ..LoadResult::default()
                    };
                    res.errors.push(Diagnostic {
                        code: "LOAD_ERR_FILE_READ",
                        message: format!("Could not open file {name} for reading: {e}"),
                        context: Context(vec![Location {
                            item_type: "rules content",
                            item_name: String::new(),
                            name,
                            line: 0,
                            column: 0,
                            offset: 0,
                        }]),
                        snippet: String::new(),
                    });
                    self.results.push(res);
                }
            }
        }
        self.results[before..].iter().collect()
    }

    /// Every load's result, in order.
    pub fn results(&self) -> &[LoadResult] {
        &self.results
    }

    /// Whether every load succeeded.
    pub fn successful(&self) -> bool {
        self.results.iter().all(LoadResult::successful)
    }

    /// The rules as compiled by the last successful load. Fails with the first error if a
    /// load failed.
    pub fn build(self) -> Result<Rules> {
        if let Some(d) = self.results.iter().flat_map(|r| &r.errors).next() {
            return Err(Error::BadRules(describe(d)));
        }
        Ok(Rules::new(self.rules, &self.shared))
    }
}

/// The host name alerts carry: `FALCO_HOSTNAME` if set (as Falco), else the machine's.
pub fn hostname() -> String {
    std::env::var("FALCO_HOSTNAME").unwrap_or_else(|_| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    })
}

/// One line for a diagnostic: the file and place, the item, and the message.
pub fn describe(d: &Diagnostic) -> String {
    let file = d.context.0.first().map_or("", |l| l.name.as_str());
    let item = d
        .context
        .0
        .iter()
        .rev()
        .find(|l| !l.item_name.is_empty())
        .map(|l| format!(" {} '{}'", l.item_type, l.item_name))
        .unwrap_or_default();
    let place = d
        .context
        .0
        .iter()
        .rev()
        .find(|l| l.line > 0 && l.item_type != "condition expression")
        .map(|l| format!(":{}:{}", l.line, l.column + 1))
        .unwrap_or_default();
    let item = if item.is_empty() {
        item
    } else {
        format!("{item}:")
    };
    format!("{file}{place}:{item} {} ({})", d.message, d.code)
}

/// A compiled rule set, in load order, with its index by event type.
#[derive(Debug)]
pub struct Rules {
    rules: Vec<Rule>,
    /// For each event type, the enabled rules that can fire on it, in load order.
    index: Vec<Vec<u32>>,
    /// For generic events (types 0 and 1), by their syscall's code: the enabled rules that
    /// can fire on that syscall.
    generic: Vec<Vec<u32>>,
    use_index: bool,
    /// The values of the fields the rules share, for the event being evaluated.
    cache: std::cell::RefCell<FieldCache>,
}

impl Rules {
    fn new(rules: Vec<Rule>, shared: &SharedFields) -> Rules {
        let mut r = Rules {
            rules,
            index: Vec::new(),
            generic: Vec::new(),
            use_index: true,
            cache: std::cell::RefCell::new(shared.cache()),
        };
        r.reindex();
        r
    }

    /// Loads rules files (directories give their files sorted by name) and compiles them.
    /// Any error stops with a message naming the file, the place and the item.
    pub fn load<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Rules> {
        let mut l = RulesLoader::new();
        for p in paths {
            l.load_path(p);
        }
        l.build()
    }

    fn reindex(&mut self) {
        let syscalls = crate::event::table::PPM_SC_NAMES.len();
        self.index = vec![Vec::new(); EVENT_MAX as usize];
        self.generic = vec![Vec::new(); syscalls];
        for (i, r) in self.rules.iter().enumerate().filter(|(_, r)| r.enabled) {
            for t in r.event_types().iter() {
                self.index[t as usize].push(i as u32);
            }
            for sc in 0..syscalls as u16 {
                if r.event_types().contains_generic(sc) {
                    self.generic[sc as usize].push(i as u32);
                }
            }
        }
    }

    /// The rules an event may fire, in load order: those indexed under its type, or for a
    /// generic event under its syscall.
    fn candidates(&self, ev: &Event<'_>) -> &[u32] {
        let e = ev.event();
        let ty = e.event_type();
        if ty <= 1 {
            return match e.param(0).map(|p| p.value()) {
                Some(Ok(crate::event::Value::Unsigned(sc))) => {
                    self.generic.get(sc as usize).map_or(&[][..], Vec::as_slice)
                }
                _ => &[],
            };
        }
        self.index.get(ty as usize).map_or(&[][..], Vec::as_slice)
    }

    /// Every rule, enabled or not, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Enables or disables every rule whose name contains `substring`.
    pub fn enable_matching(&mut self, substring: &str, enabled: bool) {
        for r in self.rules.iter_mut().filter(|r| r.name.contains(substring)) {
            r.enabled = enabled;
        }
        self.reindex();
    }

    /// Enables or disables every rule that has any of `tags`.
    pub fn enable_tagged(&mut self, tags: &[impl AsRef<str>], enabled: bool) {
        for r in self.rules.iter_mut().filter(|r| {
            tags.iter()
                .any(|t| r.tags.iter().any(|rt| rt == t.as_ref()))
        }) {
            r.enabled = enabled;
        }
        self.reindex();
    }

    /// Enables or disables every rule.
    pub fn enable_all(&mut self, enabled: bool) {
        self.rules.iter_mut().for_each(|r| r.enabled = enabled);
        self.reindex();
    }

    /// Whether events look only at the rules indexed under their type (the default), or
    /// try every enabled rule (to measure what the index buys).
    pub fn use_event_type_index(&mut self, yes: bool) {
        self.use_index = yes;
    }

    /// The first enabled rule, in load order, whose condition the event satisfies: the
    /// rule that raises the event's alert.
    pub fn first_match(&self, ev: &Event<'_>) -> Option<&Rule> {
        self.first_match_index(ev).map(|i| &self.rules[i])
    }

    /// [`Rules::first_match`] as the rule's position in [`Rules::rules`].
    pub fn first_match_index(&self, ev: &Event<'_>) -> Option<usize> {
        let mut cache = self.cache.borrow_mut();
        cache.next_event();
        let v = ev.view();
        if self.use_index {
            self.candidates(ev)
                .iter()
                .map(|&i| i as usize)
                .find(|&i| self.rules[i].filter.matches_cached(v, &mut cache))
        } else {
            self.rules
                .iter()
                .position(|r| r.enabled && r.filter.matches_cached(v, &mut cache))
        }
    }

    /// The alert `ev` raises, if any: [`Rules::first_match`] with the rule's output and
    /// its fields' values filled in.
    pub fn check(&self, ev: &Event<'_>) -> Option<Alert<'_>> {
        let rule = self.first_match(ev)?;
        let mut output = String::new();
        rule.render_output(ev, &mut output);
        let fields = rule
            .format
            .fields()
            .map(|f| {
                let mut v = String::new();
                (f.text(), ev.extract(f, &mut v).then_some(v))
            })
            .collect();
        Some(Alert {
            rule,
            output,
            fields,
        })
    }

    /// The event types any enabled rule can fire on: what a live source needs to capture
    /// (besides what keeps the state right).
    pub fn event_types(&self) -> Vec<u16> {
        (0..EVENT_MAX)
            .filter(|&t| !self.index[t as usize].is_empty())
            .collect()
    }

    /// A filter that keeps the events any enabled rule can fire on, for a live source's
    /// kernel-side selection: `evt.type in (...)`. `None` when the rules need every event.
    pub fn pushdown_filter(&self) -> Option<String> {
        use crate::event::schema::event_info;
        let types = self.event_types();
        // Every type: no selection to push down.
        if types.len() + 2 >= EVENT_MAX as usize {
            return None;
        }
        // Generic events (types 0 and 1) are selected through the syscalls named.
        let mut names: Vec<&str> = types
            .into_iter()
            .filter(|&t| t > 1)
            .filter_map(|t| event_info(t).map(|i| i.name))
            .collect();
        names.sort_unstable();
        names.dedup();
        if names.is_empty() {
            return None;
        }
        Some(format!("evt.type in ({})", names.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_read_every_spelling() {
        assert_eq!(Priority::parse("WARNING"), Some(Priority::Warning));
        assert_eq!(Priority::parse("info"), Some(Priority::Informational));
        assert_eq!(
            Priority::parse("Informational"),
            Some(Priority::Informational)
        );
        assert_eq!(Priority::parse("loud"), None);
        assert!(Priority::Error < Priority::Warning);
    }

    #[test]
    fn a_rules_file_compiles_and_indexes_by_event_type() {
        let mut l = RulesLoader::new();
        let res = l.load_str(
            "t.yaml",
            "- list: cats\n  items: [cat]\n- macro: is_cat\n  condition: proc.name in (cats)\n\
             - rule: r\n  desc: d\n  condition: evt.type=open and is_cat\n  output: seen %proc.name\n  priority: WARNING\n  tags: [b, a]\n",
        );
        assert!(res.successful(), "{res:?}");
        assert!(res.warnings.is_empty(), "{res:?}");
        let rules = l.build().unwrap();
        let r = &rules.rules()[0];
        assert_eq!(r.tags(), ["a", "b"]);
        assert_eq!(
            r.condition(),
            "evt.type == \"open\" and proc.name in (\"cat\")"
        );
        assert!(!rules.event_types().is_empty());
        assert!(rules.pushdown_filter().unwrap().contains("open"));
    }

    #[test]
    fn diagnostics_show_the_line_with_a_caret() {
        let mut l = RulesLoader::new();
        let res = l.load_str(
            "t.yaml",
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: '%proc.nope'\n  priority: INFO\n",
        );
        assert_eq!(
            res.errors[0].snippet,
            "  output: '%proc.nope'\n          ^\n"
        );
    }

    #[test]
    fn errors_name_the_item_and_code() {
        let mut l = RulesLoader::new();
        l.load_str(
            "t.yaml",
            "- rule: r\n  desc: d\n  condition: evt.type=open and nope\n  output: o\n  priority: INFO\n",
        );
        let e = l.build().unwrap_err().to_string();
        assert!(
            e.contains("rule 'r'") && e.contains("Undefined macro 'nope'"),
            "{e}"
        );
    }
}
