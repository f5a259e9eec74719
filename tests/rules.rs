//! Detection with Falco rules beyond Falco's own suite: the default rules files of two eras
//! load and run on every reference capture, the event-type index changes nothing but speed,
//! the library API gives what the command prints, hostile rules content is refused with a
//! clear error, and a live workload doing what a default rule detects raises its alert.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use peregrine::Inspector;
use peregrine::rules::{AlertFormat, Priority, Rules, RulesLoader};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The default rules file of Falco's regression suite (falco-rules-1.0.1, 2023) and today's
/// (falcosecurity/rules, 2026), with how many rules each has.
fn default_rules() -> [(PathBuf, usize); 2] {
    [
        (
            root().join("tests/falco-regression/rules-default/falco_rules.yaml"),
            80,
        ),
        (root().join("tests/rules/falco_rules.yaml"), 25),
    ]
}

#[test]
fn default_rules_of_both_eras_load_without_errors() {
    for (path, count) in default_rules() {
        let mut l = RulesLoader::new();
        let res = l.load_path(&path);
        assert_eq!(res.len(), 1);
        assert!(
            res[0].successful(),
            "{}: {:?}",
            path.display(),
            res[0].errors
        );
        let rules = l.build().unwrap();
        assert_eq!(rules.rules().len(), count, "{}", path.display());
        // Every rule restricts its event types, so the index has work to do.
        for r in rules.rules() {
            assert!(
                r.event_types().len() < 100,
                "{} runs on every event",
                r.name()
            );
        }
    }
}

#[test]
fn default_rules_run_on_every_reference_capture() {
    for cap in common::reference_captures() {
        for (rules, _) in default_rules() {
            let (out, err, ok) = common::peregrine(&[
                "rules",
                "-r",
                rules.to_str().unwrap(),
                "-e",
                cap.to_str().unwrap(),
            ]);
            assert!(ok, "{} with {}: {err}", cap.display(), rules.display());
            assert!(out.contains("Events detected: "), "{out}");
        }
    }
}

/// Every alert of a rule set over a capture: event number, rule, output line. Each event's
/// rule is checked against the plain evaluation (every enabled rule in order, no index, no
/// values shared between rules).
fn alerts(rules: &Rules, capture: &Path) -> Vec<(u64, String, String)> {
    let mut i = Inspector::builder().file(capture).build().unwrap();
    let mut fmt = AlertFormat::text().iso8601(true);
    let mut line = String::new();
    let mut out = Vec::new();
    while let Some(ev) = i.next().unwrap() {
        let plain = rules.rules().iter().find(|r| r.enabled() && r.matches(&ev));
        let found = rules.first_match(&ev);
        assert_eq!(
            plain.map(|r| r.name()),
            found.map(|r| r.name()),
            "event {} of {}",
            ev.number(),
            capture.display()
        );
        if let Some(r) = found {
            fmt.write(r, &ev, &mut line);
            out.push((ev.number(), r.name().to_string(), line.clone()));
        }
    }
    out
}

#[test]
fn the_event_type_index_changes_nothing_but_speed() {
    // Rule sets that fire: the suite's, one with a rule for every event type, and the
    // default rules (which fire on the Kubernetes capture).
    let suite = root().join("tests/falco-regression/rules");
    let mut sets = vec![
        Rules::load([
            suite.join("single_rule.yaml"),
            suite.join("double_rule.yaml"),
        ])
        .unwrap(),
        Rules::load([suite.join("catchall_order.yaml")]).unwrap(),
        Rules::load([suite.join("tagged_rules.yaml")]).unwrap(),
    ];
    for (p, _) in default_rules() {
        sets.push(Rules::load([p]).unwrap());
    }
    let mut fired = 0;
    for cap in common::reference_captures() {
        for rules in &mut sets {
            rules.use_event_type_index(true);
            let with = alerts(rules, &cap);
            rules.use_event_type_index(false);
            let without = alerts(rules, &cap);
            assert_eq!(with, without, "{}", cap.display());
            fired += with.len();
        }
    }
    assert!(
        fired > 20,
        "only {fired} alerts: the comparison saw too little"
    );
}

#[test]
fn the_api_gives_what_falco_prints() {
    let suite = root().join("tests/falco-regression");
    let rules = Rules::load([suite.join("rules/single_rule_with_tags.yaml")]).unwrap();
    let r = &rules.rules()[0];
    assert_eq!(r.name(), "open_from_cat");
    assert_eq!(r.priority(), Priority::Warning);
    assert_eq!(r.tags(), ["filesystem", "process", "testing"]);
    let cap = root().join("tests/captures/cat_write.scap");
    let mut i = Inspector::builder().file(&cap).build().unwrap();
    let mut fmt = AlertFormat::json("test-falco-hostname").iso8601(true);
    let mut line = String::new();
    let mut got = Vec::new();
    while let Some(ev) = i.next().unwrap() {
        if let Some(r) = rules.first_match(&ev) {
            fmt.write(r, &ev, &mut line);
            got.push(line.clone());
        }
    }
    let want = std::fs::read_to_string(suite.join("output_files/single_rule_with_cat_write.json"))
        .unwrap();
    assert_eq!(got, want.lines().collect::<Vec<_>>());
}

#[test]
fn alerts_as_values_carry_the_rule_output_and_fields() {
    let suite = root().join("tests/falco-regression/rules");
    let rules = Rules::load([suite.join("null_output_field.yaml")]).unwrap();
    let cap = root().join("tests/captures/cat_write.scap");
    let mut i = Inspector::builder().file(&cap).build().unwrap();
    let mut seen = 0;
    while let Some(ev) = i.next().unwrap() {
        let Some(a) = rules.check(&ev) else {
            continue;
        };
        seen += 1;
        assert_eq!(a.rule.name(), rules.first_match(&ev).unwrap().name());
        assert_eq!(a.priority(), Priority::Warning);
        assert_eq!(
            a.output,
            "An open was seen (cport=<NA> command=cat /dev/null)"
        );
        assert_eq!(
            a.fields,
            vec![
                ("fd.cport", None),
                ("proc.cmdline", Some("cat /dev/null".to_string()))
            ]
        );
    }
    assert_eq!(seen, 8);
}

#[test]
fn rules_can_be_enabled_and_disabled_by_name_and_tag() {
    let suite = root().join("tests/falco-regression/rules");
    let mut rules = Rules::load([suite.join("tagged_rules.yaml")]).unwrap();
    let cap = root().join("tests/captures/open-multiple-files.scap");
    let all = alerts(&rules, &cap).len();
    rules.enable_tagged(&["a"], false);
    let without_a = alerts(&rules, &cap).len();
    assert!(without_a < all, "{without_a} < {all}");
    rules.enable_all(false);
    assert!(alerts(&rules, &cap).is_empty());
    rules.enable_matching("open_1", true);
    // open_1, open_10 .. open_13 contain "open_1".
    let names: std::collections::BTreeSet<String> =
        alerts(&rules, &cap).into_iter().map(|a| a.1).collect();
    assert!(names.iter().all(|n| n.contains("open_1")), "{names:?}");
}

#[test]
fn hostile_rules_content_is_refused_with_a_clear_error() {
    let mut doubling = String::from("- macro: m0\n  condition: evt.type=open\n");
    for i in 1..40 {
        doubling.push_str(&format!(
            "- macro: m{i}\n  condition: m{p} or m{p}\n",
            p = i - 1
        ));
    }
    doubling.push_str("- rule: r\n  desc: d\n  condition: m39\n  output: o\n  priority: INFO\n");
    let mut chain = String::from("- macro: c0\n  condition: evt.type=open\n");
    for i in 1..3000 {
        chain.push_str(&format!("- macro: c{i}\n  condition: not c{}\n", i - 1));
    }
    chain.push_str("- rule: r\n  desc: d\n  condition: c2999\n  output: o\n  priority: INFO\n");
    let cases: Vec<(&str, String, &str)> = vec![
        ("macro doubling", doubling, "expands to more than"),
        ("macro chain", chain, "nests deeper than"),
        ("binary", "\u{0}\u{1}\u{2}- [".into(), "LOAD_ERR_YAML"),
        ("deep YAML", "[".repeat(10_000), "LOAD_ERR_YAML_PARSE"),
        ("not rules", "- 42\n".into(), "Unexpected element type"),
        (
            "bad priority",
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: LOUD\n".into(),
            "Invalid priority",
        ),
        (
            "bad output",
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: '%proc.nope'\n  priority: INFO\n".into(),
            "invalid formatting token proc.nope",
        ),
        (
            "unknown field",
            "- rule: r\n  desc: d\n  condition: evt.type=open and proc.nope=1\n  output: o\n  priority: INFO\n".into(),
            "nonexistent field proc.nope",
        ),
    ];
    for (what, text, expected) in cases {
        let mut l = RulesLoader::new();
        l.load_str("hostile.yaml", &text);
        let e = l.build().expect_err(what).to_string();
        assert!(
            e.contains(expected) && e.contains("hostile.yaml"),
            "{what}: {e}"
        );
    }
}

#[test]
fn rules_are_listed_with_their_descriptions() {
    let single = root().join("tests/falco-regression/rules/single_rule.yaml");
    let out = common::peregrine_ok(&[
        "rules",
        "-r",
        single.to_str().unwrap(),
        "-L",
        "-o",
        "log_stderr=false",
    ]);
    assert_eq!(
        out,
        format!(
            "{:<50} Description\n{:<50} -----------\n{:<50} A process named cat does an open \n\n",
            "Rule", "----", "open_from_cat"
        )
    );
    let today = root().join("tests/rules/falco_rules.yaml");
    let out = common::peregrine_ok(&[
        "rules",
        "-r",
        today.to_str().unwrap(),
        "-l",
        "Clear Log Activities",
        "-o",
        "log_stderr=false",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[2].starts_with("Clear Log Activities "), "{out}");
    // Descriptions wrap at 110 columns, continued under the description column.
    assert!(
        lines[3..]
            .iter()
            .filter(|l| !l.is_empty())
            .all(|l| l.starts_with(&" ".repeat(51)) && l.len() <= 111),
        "{out}"
    );
}

#[test]
fn a_missing_rules_file_is_named() {
    let mut l = RulesLoader::new();
    l.load_path("/nonexistent/rules.yaml");
    let e = l.build().unwrap_err().to_string();
    assert!(
        e.contains("/nonexistent/rules.yaml") && e.contains("LOAD_ERR_FILE_READ"),
        "{e}"
    );
}

static LIVE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A shell reading /etc/shadow raises today's "Read sensitive file untrusted" alert while
/// the capture runs, with its fields filled.
#[test]
fn live_sensitive_file_read_raises_its_alert() {
    let Some(_g) = common::live_serial(&LIVE) else {
        return;
    };
    let rules = root().join("tests/rules/falco_rules.yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(["rules", "-r", rules.to_str().unwrap(), "-M", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "peregrine rules ended before capturing"
        );
        if line.contains("Capturing live events") {
            break;
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send((Instant::now(), l));
        }
    });
    let started = Instant::now();
    let st = Command::new("sh")
        .args(["-c", "cat /etc/shadow > /dev/null"])
        .status()
        .unwrap();
    assert!(st.success());
    let done = Instant::now();
    let mut alert = None;
    while let Ok((at, l)) = rx.recv_timeout(Duration::from_secs(10)) {
        if l.contains("Sensitive file opened for reading") && l.contains("file=/etc/shadow") {
            alert = Some((at, l));
            break;
        }
    }
    // SAFETY: kill has no preconditions; the child is ours.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let _ = child.wait();
    let (at, l) = alert.expect("no alert for reading /etc/shadow");
    eprintln!(
        "alert {:?} after the workload started, {:?} after it ended: {l}",
        at - started,
        at.saturating_duration_since(done)
    );
    assert!(l.contains(": Warning "), "{l}");
    for field in [
        "process=cat",
        "user=root",
        "command=cat /etc/shadow",
        "parent=sh",
        "evt_type=openat",
    ] {
        assert!(l.contains(field), "{field} missing: {l}");
    }
}
