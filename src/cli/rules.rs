//! `peregrine rules`: Falco's command line over Peregrine's rules engine. Options, the
//! configuration file, alerts, statistics, stderr logging and the syscall-drop monitor
//! behave as Falco 0.35's do, so Falco's own regression suite runs against it.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::process::{Child, ExitCode, Stdio};

use clap::Parser;

use peregrine::rules::yaml::{self, Kind, Node};
use peregrine::rules::{AlertFormat, Diagnostic, LoadResult, Priority, Rules, RulesLoader};
use peregrine::{Inspector, Result};

#[derive(Parser, Debug)]
#[command(
    name = "peregrine rules",
    about = "Detect with Falco rules: load rules files and raise alerts on a capture file or the live system",
    after_help = "Options follow Falco's: peregrine rules -r falco_rules.yaml -e capture.scap"
)]
pub struct RulesArgs {
    /// Rules file or directory (its files in name order); repeat to load several.
    #[arg(short = 'r', value_name = "PATH")]
    rules: Vec<String>,
    /// Validate rules files and exit (0 if every file loads); repeat for several.
    #[arg(short = 'V', long = "validate", value_name = "PATH")]
    validate: Vec<String>,
    /// Configuration file (Falco's falco.yaml keys).
    #[arg(short = 'c', value_name = "FILE")]
    config: Option<String>,
    /// Read events from this capture file instead of the live system.
    #[arg(short = 'e', value_name = "FILE")]
    events: Option<String>,
    /// Override one configuration key: `-o json_output=true`, `-o file_output.enabled=true`.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// Disable the rules whose name contains this text.
    #[arg(short = 'D', value_name = "SUBSTRING")]
    disable: Vec<String>,
    /// Disable the rules that have this tag.
    #[arg(short = 'T', value_name = "TAG")]
    disable_tags: Vec<String>,
    /// Run only the rules that have this tag.
    #[arg(short = 't', value_name = "TAG")]
    run_tags: Vec<String>,
    /// Live capture: also capture high-volume syscalls no rule asks for.
    #[arg(short = 'A')]
    all_events: bool,
    /// Stop after this many seconds.
    #[arg(short = 'M', value_name = "SECONDS")]
    duration: Option<u64>,
    /// Verbose: loading warnings and capture statistics on stderr.
    #[arg(short = 'v')]
    verbose: bool,
    /// List the loaded rules with their descriptions, and exit.
    #[arg(short = 'L')]
    list_rules: bool,
    /// Show one rule's description, and exit.
    #[arg(short = 'l', value_name = "RULE")]
    describe: Option<String>,
    /// Event sources to enable (only `syscall` exists here).
    #[arg(long = "enable-source", value_name = "SOURCE")]
    enable_source: Vec<String>,
}

/// Configuration values by dotted key (`file_output.enabled`); sequences joined by `\n`.
#[derive(Debug, Default)]
struct Config(BTreeMap<String, String>);

impl Config {
    fn defaults() -> Config {
        let mut c = Config::default();
        for (k, v) in [
            ("priority", "debug"),
            ("json_output", "false"),
            ("json_include_output_property", "true"),
            ("json_include_tags_property", "true"),
            ("time_format_iso_8601", "false"),
            ("stdout_output.enabled", "true"),
            ("log_stderr", "true"),
            ("log_level", "info"),
            ("syscall_event_drops.actions", "log\nalert"),
            ("syscall_event_drops.rate", "0.03333"),
            ("syscall_event_drops.max_burst", "1"),
            ("syscall_event_drops.threshold", "0.1"),
            ("syscall_event_drops.simulate_drops", "false"),
        ] {
            c.0.insert(k.into(), v.into());
        }
        c
    }

    fn absorb(&mut self, prefix: &str, node: &Node) {
        match &node.kind {
            Kind::Map(entries) => {
                for (k, v) in entries {
                    let key = k.as_str().unwrap_or_default();
                    let full = if prefix.is_empty() {
                        key.to_string()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    self.absorb(&full, v);
                }
            }
            Kind::Seq(items) => {
                let text: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
                self.0.insert(prefix.to_string(), text.join("\n"));
            }
            Kind::Scalar(s, _) => {
                self.0.insert(prefix.to_string(), s.clone());
            }
            Kind::Null => {
                self.0.remove(prefix);
            }
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn flag(&self, key: &str) -> bool {
        self.get(key).and_then(yaml::parse_bool).unwrap_or(false)
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|s| s.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

/// Log lines on stderr, prefixed with the time as Falco prefixes them.
struct Log {
    enabled: bool,
    iso8601: bool,
    /// The most verbose level shown: 0 emergency ... 7 debug.
    level: u8,
}

fn level_of(name: &str) -> u8 {
    match name.to_ascii_lowercase().as_str() {
        "emergency" => 0,
        "alert" => 1,
        "critical" => 2,
        "error" => 3,
        "warning" => 4,
        "notice" => 5,
        "info" | "informational" => 6,
        _ => 7,
    }
}

fn now_text(iso8601: bool) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as libc::time_t;
    // SAFETY: `tm` is plain data filled by localtime_r/gmtime_r; `buf` is large enough for
    // the formats and strftime writes at most its length.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        let mut buf = [0u8; 64];
        let (fmt, ok) = if iso8601 {
            (
                c"%Y-%m-%dT%H:%M:%S+0000",
                !libc::gmtime_r(&t, &mut tm).is_null(),
            )
        } else {
            (
                c"%a %b %e %H:%M:%S %Y",
                !libc::localtime_r(&t, &mut tm).is_null(),
            )
        };
        if !ok {
            return String::new();
        }
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), &tm);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

impl Log {
    fn at(&self, level: u8, msg: &str) {
        if self.enabled && level <= self.level {
            let mut e = io::stderr().lock();
            for line in msg.lines() {
                let _ = writeln!(e, "{}: {line}", now_text(self.iso8601));
            }
        }
    }
}

/// Where alerts go besides stdout.
struct Outputs {
    stdout: bool,
    file: Option<std::fs::File>,
    program: Option<Child>,
}

impl Outputs {
    fn emit(&mut self, line: &str) -> io::Result<()> {
        if self.stdout {
            let mut o = io::stdout().lock();
            writeln!(o, "{line}")?;
        }
        if let Some(f) = &mut self.file {
            writeln!(f, "{line}")?;
        }
        if let Some(p) = &mut self.program
            && let Some(stdin) = &mut p.stdin
        {
            writeln!(stdin, "{line}")?;
        }
        Ok(())
    }

    fn close(&mut self) {
        if let Some(mut p) = self.program.take() {
            drop(p.stdin.take());
            let _ = p.wait();
        }
    }
}

/// Falco's statistics of alerts.
#[derive(Default)]
struct Counts {
    total: u64,
    by_priority: [u64; 8],
    by_rule: Vec<u64>,
}

fn print_counts(rules: &Rules, c: &Counts) {
    let mut o = io::stdout().lock();
    let _ = writeln!(o, "Events detected: {}", c.total);
    let _ = writeln!(o, "Rule counts by severity:");
    for p in Priority::ALL {
        let n = c.by_priority[p as usize];
        if n > 0 {
            let _ = writeln!(o, "   {}: {n}", p.short_name());
        }
    }
    let _ = writeln!(o, "Triggered rules by rule name:");
    for (r, &n) in rules.rules().iter().zip(&c.by_rule) {
        if n > 0 {
            let _ = writeln!(o, "   {}: {n}", r.name());
        }
    }
}

/// The syscall-drop monitor: checks once a second of event time, actions limited by a
/// token bucket.
struct DropMonitor {
    actions: Vec<String>,
    threshold: f64,
    simulate: bool,
    rate: f64,
    max_burst: f64,
    tokens: f64,
    last_refill: u64,
    last_check: Option<u64>,
    last_drops: u64,
    last_events: u64,
    occurrences: u64,
    actions_taken: u64,
}

fn diagnostic_json(d: &Diagnostic) -> serde_json::Value {
    let locations: Vec<serde_json::Value> = d
        .context
        .0
        .iter()
        .map(|l| {
            serde_json::json!({
                "item_type": l.item_type,
                "item_name": l.item_name,
                "position": {"name": l.name, "line": l.line, "column": l.column, "offset": l.offset},
            })
        })
        .collect();
    serde_json::json!({
        "code": d.code,
        "codedesc": d.code_desc(),
        "message": d.message,
        "context": {"locations": locations, "snippet": d.snippet},
    })
}

fn result_json(r: &LoadResult) -> serde_json::Value {
    serde_json::json!({
        "name": r.name,
        "successful": r.successful(),
        "errors": r.errors.iter().map(diagnostic_json).collect::<Vec<_>>(),
        "warnings": r.warnings.iter().map(diagnostic_json).collect::<Vec<_>>(),
    })
}

/// Falco's word wrap for rule descriptions: words joined by spaces, a line break and
/// `indent` spaces before a word that would pass `line_len - indent` columns.
fn wrap_text(text: &str, indent: usize, line_len: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for word in text.split_whitespace() {
        if len + word.len() < line_len - indent {
            len += word.len() + 1;
        } else {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            len = word.len() + 1;
        }
        out.push_str(word);
        out.push(' ');
    }
    out
}

/// `-L` (every rule) or `-l RULE` (one): Falco's table of names and wrapped descriptions.
fn describe_rules(rules: &Rules, only: Option<&str>) -> String {
    let mut out = format!(
        "{:<50} {}\n{:<50} {}\n",
        "Rule", "Description", "----", "-----------"
    );
    for r in rules
        .rules()
        .iter()
        .filter(|r| only.is_none_or(|o| r.name() == o))
    {
        out.push_str(&format!(
            "{:<50} {}\n\n",
            r.name(),
            wrap_text(r.desc(), 51, 110)
        ));
    }
    out
}

/// Falco's text summary of a load: `name: Ok`, or `name: Invalid` with each problem.
fn result_text(r: &LoadResult, verbose: bool) -> String {
    let mut s = format!("{}: ", r.name);
    if r.successful() {
        s.push_str("Ok");
        if !r.warnings.is_empty() {
            s.push_str(", with warnings");
        }
    } else {
        s.push_str("Invalid");
    }
    let show_warnings = verbose || !r.successful();
    for d in r
        .errors
        .iter()
        .chain(r.warnings.iter().filter(|_| show_warnings))
    {
        s.push('\n');
        s.push_str(&peregrine::rules::describe(d));
        for l in d.snippet.lines() {
            s.push_str("\n    ");
            s.push_str(l);
        }
    }
    s
}

pub fn main(argv: Vec<String>) -> ExitCode {
    let args = match RulesArgs::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fail(log: &Log, msg: &str) -> ExitCode {
    // Errors reach stderr even when logging there is off.
    if log.enabled {
        log.at(0, &format!("Error: {msg}"));
    } else {
        eprintln!("Error: {msg}");
    }
    ExitCode::FAILURE
}

fn run(args: RulesArgs) -> Result<ExitCode> {
    let mut cfg = Config::defaults();
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path).map_err(|e| peregrine::Error::Io {
            path: path.into(),
            source: e,
        })?;
        match yaml::load_all(&text) {
            Ok(docs) => {
                cfg = Config::default();
                for d in &docs {
                    cfg.absorb("", d);
                }
                let defaults = Config::defaults();
                for (k, v) in defaults.0 {
                    cfg.0.entry(k).or_insert(v);
                }
            }
            Err(e) => {
                eprintln!("Error: {path}: line {}: {}", e.mark.line, e.message);
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    for o in &args.options {
        let Some((k, v)) = o.split_once('=') else {
            eprintln!("Error: option '{o}' is not KEY=VALUE");
            return Ok(ExitCode::FAILURE);
        };
        cfg.0.insert(k.to_string(), v.to_string());
    }
    let iso = cfg.flag("time_format_iso_8601");
    let log = Log {
        enabled: cfg.flag("log_stderr"),
        iso8601: iso,
        level: level_of(cfg.get("log_level").unwrap_or("info")),
    };
    log.at(
        5,
        &format!(
            "Peregrine version: {} (Falco-compatible rules engine {}.{}.{})",
            env!("CARGO_PKG_VERSION"),
            peregrine::rules::ENGINE_VERSION.0,
            peregrine::rules::ENGINE_VERSION.1,
            peregrine::rules::ENGINE_VERSION.2
        ),
    );
    if (!args.disable.is_empty() || !args.disable_tags.is_empty()) && !args.run_tags.is_empty() {
        return Ok(fail(
            &log,
            "You can not specify both disabled (-D/-T) and enabled (-t) rules",
        ));
    }
    let mut monitor = match drop_monitor(&cfg) {
        Ok(m) => m,
        Err(msg) => return Ok(fail(&log, &msg)),
    };
    let Some(min_priority) = Priority::parse(cfg.get("priority").unwrap_or("debug")) else {
        return Ok(fail(&log, "Unknown priority value"));
    };

    if !args.validate.is_empty() {
        let mut loader = RulesLoader::new();
        loader.min_priority(min_priority);
        for v in &args.validate {
            loader.load_path(v);
        }
        let json = cfg.flag("json_output");
        let mut o = io::stdout().lock();
        if json {
            let all: Vec<serde_json::Value> = loader.results().iter().map(result_json).collect();
            let _ = writeln!(o, "{}", serde_json::json!({ "falco_load_results": all }));
        } else {
            for r in loader.results() {
                let _ = writeln!(o, "{}", result_text(r, args.verbose));
            }
        }
        return Ok(if loader.successful() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }

    let files = if args.rules.is_empty() {
        cfg.list("rules_file")
    } else {
        args.rules.clone()
    };
    let mut loader = RulesLoader::new();
    loader.min_priority(min_priority);
    for f in &files {
        log.at(6, &format!("Loading rules from file {f}"));
        loader.load_path(f);
        if !loader.successful() {
            let r = loader.results().iter().find(|r| !r.successful());
            let text = r.map(|r| result_text(r, args.verbose)).unwrap_or_default();
            return Ok(fail(&log, &text));
        }
    }
    if args.verbose {
        for r in loader.results().iter().filter(|r| !r.warnings.is_empty()) {
            log.at(4, &result_text(r, true));
        }
    }
    let mut rules = loader.build()?;
    if args.list_rules || args.describe.is_some() {
        print!("{}", describe_rules(&rules, args.describe.as_deref()));
        return Ok(ExitCode::SUCCESS);
    }
    for d in &args.disable {
        rules.enable_matching(d, false);
    }
    if !args.disable_tags.is_empty() {
        rules.enable_tagged(&args.disable_tags, false);
    }
    if !args.run_tags.is_empty() {
        rules.enable_all(false);
        rules.enable_tagged(&args.run_tags, true);
    }

    let mut fmt = if cfg.flag("json_output") {
        AlertFormat::json(&peregrine::rules::hostname())
            .include_output(cfg.flag("json_include_output_property"))
            .include_tags(cfg.flag("json_include_tags_property"))
    } else {
        AlertFormat::text()
    }
    .iso8601(iso);
    let mut outputs = match open_outputs(&cfg) {
        Ok(o) => o,
        Err(msg) => return Ok(fail(&log, &msg)),
    };

    let mut b = Inspector::builder();
    match &args.events {
        Some(path) => {
            log.at(6, &format!("Reading system call events from file: {path}"));
            b = b.file(path);
        }
        None => {
            log.at(6, "Opening capture with the live probe");
            b = b.live();
            if let Some(s) = args.duration {
                b = b.duration(std::time::Duration::from_secs(s));
            }
            if !args.all_events
                && let Some(f) = rules.pushdown_filter()
            {
                b = b.filter(&f)?;
            }
        }
    }
    let mut inspector = b.build()?;
    crate::stop_on_signals(&inspector);
    if args.events.is_none() {
        log.at(6, "Capturing live events");
    }

    let started = std::time::Instant::now();
    let mut counts = Counts {
        by_rule: vec![0; rules.rules().len()],
        ..Counts::default()
    };
    let mut line = String::new();
    let mut first_ts = None;
    let mut failed = None;
    let mut exit_code = ExitCode::SUCCESS;
    loop {
        let ev = match inspector.next() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let ts = ev.event().ts();
        let first = *first_ts.get_or_insert(ts);
        if let Some(limit) = args.duration
            && args.events.is_some()
            && ts.saturating_sub(first) > limit * 1_000_000_000
        {
            break;
        }
        if let Some(i) = rules.first_match_index(&ev) {
            let rule = &rules.rules()[i];
            counts.total += 1;
            counts.by_priority[rule.priority() as usize] += 1;
            counts.by_rule[i] += 1;
            fmt.write(rule, &ev, &mut line);
            if let Err(e) = outputs.emit(&line) {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    break;
                }
                return Ok(fail(&log, &format!("writing an alert: {e}")));
            }
        }
        let due = monitor.due(ts, first);
        if !due {
            continue;
        }
        let drops = inspector
            .stats()
            .ok()
            .flatten()
            .map_or(0, |s| s.drops_buffer + s.drops_size);
        let events = inspector.events_read();
        if let Some((action, n)) = monitor.check(ts, events, drops) {
            let msg = format!(
                "Falco internal: syscall event drop. {n} system calls dropped in last second."
            );
            match action.as_str() {
                "log" => log.at(7, &msg),
                "alert" => {
                    let full = format!("{msg} (n_drops={n} n_evts={events})");
                    fmt.write_message(Priority::Debug, &full, ts, &mut line);
                    let _ = outputs.emit(&line);
                }
                "exit" => {
                    log.at(2, &msg);
                    log.at(2, "Exiting.");
                    exit_code = ExitCode::FAILURE;
                    break;
                }
                _ => {}
            }
        }
    }
    outputs.close();
    let elapsed = started.elapsed().as_secs_f64();
    let n = inspector.events_read();
    if args.verbose {
        log.at(
            6,
            &format!(
                "Elapsed time: {elapsed:.3}, Captured Events: {n}, {:.2} eps",
                n as f64 / elapsed.max(1e-9)
            ),
        );
        log.at(
            6,
            &format!(
                "Syscall event drop monitoring:\n   - event drop detected: {} occurrences\n   - num times actions taken: {}",
                monitor.occurrences, monitor.actions_taken
            ),
        );
    }
    print_counts(&rules, &counts);
    if let Some(e) = failed {
        return Ok(fail(&log, &e.to_string()));
    }
    Ok(exit_code)
}

fn open_outputs(cfg: &Config) -> std::result::Result<Outputs, String> {
    let file = if cfg.flag("file_output.enabled") {
        let name = cfg.get("file_output.filename").unwrap_or("./events.txt");
        Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(name)
                .map_err(|e| format!("could not open output file {name}: {e}"))?,
        )
    } else {
        None
    };
    let program = if cfg.flag("program_output.enabled") {
        let cmd = cfg.get("program_output.program").unwrap_or("");
        Some(
            std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(cmd)
                .stdin(Stdio::piped())
                .spawn()
                .map_err(|e| format!("could not start output program '{cmd}': {e}"))?,
        )
    } else {
        None
    };
    Ok(Outputs {
        stdout: cfg.flag("stdout_output.enabled"),
        file,
        program,
    })
}

fn drop_monitor(cfg: &Config) -> std::result::Result<DropMonitor, String> {
    let num = |k: &str, d: f64| {
        cfg.get(k).map_or(Ok(d), |v| {
            v.parse::<f64>()
                .map_err(|_| format!("{k}: '{v}' is not a number"))
        })
    };
    let threshold = num("syscall_event_drops.threshold", 0.1)?;
    if !(0.0..=1.0).contains(&threshold) {
        return Err("syscall event drops threshold must be a double in the range [0, 1]".into());
    }
    let mut actions = cfg.list("syscall_event_drops.actions");
    for a in &actions {
        if !matches!(a.as_str(), "ignore" | "log" | "alert" | "exit") {
            return Err(format!("unknown syscall event drop action \"{a}\""));
        }
    }
    if actions.iter().any(|a| a == "ignore") {
        for a in ["log", "alert"] {
            if actions.iter().any(|x| x == a) {
                return Err(format!(
                    "syscall event drop action \"{a}\" does not make sense with the \"ignore\" action"
                ));
            }
        }
    }
    if actions.is_empty() {
        actions.push("ignore".into());
    }
    let max_burst = num("syscall_event_drops.max_burst", 1.0)?;
    Ok(DropMonitor {
        actions,
        threshold,
        simulate: cfg.flag("syscall_event_drops.simulate_drops"),
        rate: num("syscall_event_drops.rate", 0.03333)?,
        max_burst,
        tokens: max_burst,
        last_refill: 0,
        last_check: None,
        last_drops: 0,
        last_events: 0,
        occurrences: 0,
        actions_taken: 0,
    })
}

impl DropMonitor {
    /// Whether a check is due at event time `ts`: more than a second after the last check
    /// (or after the first event).
    fn due(&mut self, ts: u64, first: u64) -> bool {
        if self.last_check.is_none() && self.last_refill == 0 {
            self.last_refill = first;
        }
        ts > self.last_check.unwrap_or(first) + 1_000_000_000
    }

    /// A check: compares the drops with the events since the last one. Returns the action
    /// to carry out and the number of drops, if an action is taken.
    fn check(&mut self, ts: u64, events: u64, drops: u64) -> Option<(String, u64)> {
        self.last_check = Some(ts);
        let (mut d, n) = (
            drops - self.last_drops.min(drops),
            events - self.last_events.min(events),
        );
        self.last_drops = drops;
        self.last_events = events;
        let mut threshold = self.threshold;
        if self.simulate {
            d += 1;
            threshold = 0.0;
        }
        if d == 0 || d as f64 / n.max(1) as f64 <= threshold {
            return None;
        }
        self.occurrences += 1;
        // Token bucket on event time.
        let secs = ts.saturating_sub(self.last_refill) as f64 / 1e9;
        self.tokens = (self.tokens + secs * self.rate).min(self.max_burst);
        self.last_refill = ts;
        if self.tokens < 1.0 {
            return None;
        }
        self.tokens -= 1.0;
        self.actions_taken += 1;
        self.actions.first().cloned().map(|a| (a, d))
    }
}
