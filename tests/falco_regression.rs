//! Falco's own regression suite for rules (`tests/falco-regression/falco_tests.yaml`), run
//! against `peregrine rules` the way Falco's harness ran it against Falco: the same command
//! line per case, and the same checks of detection counts, priorities, validation results,
//! stdout and stderr contents, output files and exit status.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use fancy_regex::Regex;
use peregrine::rules::yaml::{self, Kind, Node};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/falco-regression")
}

/// Cases that cannot run here, with the reason.
const NOT_RUNNABLE: &[(&str, &str)] = &[
    (
        "detect_counts",
        "its capture (traces-positive/falco-event-generator.scap) was downloaded at test time and is not available",
    ),
    (
        "grpc_unix_socket_outputs",
        "needs Falco's gRPC output service",
    ),
];

/// Checks Peregrine does not pass on purpose, with the reason (each also in
/// docs/DIFFERENCES.md).
const DIFFERENCES: &[(&str, &str)] = &[(
    "invalid_yaml_parse_error",
    "the message of a YAML syntax error is the YAML parser's own (libyaml's wording, not yaml-cpp's); the code, item and place are Falco's",
)];

/// A key's value as a list of nodes: a single value is a one-item list.
fn items(n: Option<&Node>) -> Vec<&Node> {
    match n {
        None => Vec::new(),
        Some(n) => match &n.kind {
            Kind::Seq(v) => v.iter().collect(),
            Kind::Null => Vec::new(),
            _ => vec![n],
        },
    }
}

fn texts(n: Option<&Node>) -> Vec<String> {
    items(n)
        .into_iter()
        .filter_map(|i| i.as_str().map(str::to_string))
        .collect()
}

fn flag(case: &Node, key: &str, default: bool) -> bool {
    case.get(key).and_then(Node::as_bool).unwrap_or(default)
}

/// The expected validation items: `{item_type, item_name, code, message | message_contains}`.
fn expectations(n: Option<&Node>) -> Vec<BTreeMap<String, String>> {
    items(n)
        .into_iter()
        .map(|i| match &i.kind {
            Kind::Map(entries) => entries
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap_or_default().to_string(),
                        v.as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            _ => BTreeMap::new(),
        })
        .collect()
}

/// One case's command line, as the harness built it.
fn command_line(case: &Node, dir: &Path) -> Vec<String> {
    let captures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures");
    let mut a: Vec<String> = vec!["rules".into()];
    let validate = texts(case.get("validate_rules_file"));
    for v in &validate {
        a.extend(["-V".into(), v.clone()]);
    }
    let rules = texts(case.get("rules_file"));
    if rules.is_empty() {
        a.extend(["-r".into(), "rules-default/falco_rules.yaml".into()]);
    }
    for r in &rules {
        a.extend(["-r".into(), r.clone()]);
    }
    for d in texts(case.get("disabled_rules")) {
        a.extend(["-D".into(), d]);
    }
    let conf = case
        .get("conf_file")
        .and_then(Node::as_str)
        .unwrap_or("conf-default/falco.yaml");
    a.extend(["-c".into(), dir.join(conf).display().to_string()]);
    if let Some(t) = case.get("trace_file").and_then(Node::as_str) {
        let name = Path::new(t).file_name().unwrap_or_default();
        a.extend(["-e".into(), captures.join(name).display().to_string()]);
    }
    let py = |b: bool| if b { "True" } else { "False" };
    let json = flag(case, "json_output", false) || !validate.is_empty();
    a.extend(["-o".into(), format!("json_output={}", py(json))]);
    a.extend([
        "-o".into(),
        format!(
            "json_include_output_property={}",
            py(flag(case, "json_include_output_property", true))
        ),
    ]);
    a.extend([
        "-o".into(),
        format!(
            "json_include_tags_property={}",
            py(flag(case, "json_include_tags_property", true))
        ),
    ]);
    let priority = case
        .get("priority")
        .and_then(Node::as_str)
        .unwrap_or("debug");
    a.extend(["-o".into(), format!("priority={priority}"), "-v".into()]);
    for t in texts(case.get("disable_tags")) {
        a.extend(["-T".into(), t]);
    }
    for t in texts(case.get("run_tags")) {
        a.extend(["-t".into(), t]);
    }
    if let Some(m) = case.get("run_duration").and_then(Node::as_str) {
        a.extend(["-M".into(), m.to_string()]);
    }
    if flag(case, "all_events", false) {
        a.push("-A".into());
    }
    if flag(case, "time_iso_8601", false) {
        a.extend(["-o".into(), "time_format_iso_8601=true".into()]);
    }
    a
}

fn regex(p: &str, dotall: bool) -> Regex {
    let p = if dotall {
        format!("(?s){p}")
    } else {
        p.to_string()
    };
    Regex::new(&p).unwrap_or_else(|e| panic!("pattern {p}: {e}"))
}

/// Runs one case; returns what failed (empty when it passed).
fn run_case(name: &str, case: &Node, dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let args = command_line(case, dir);
    // Files the output channels write to: a fresh directory, as the harness made.
    for (_, expected) in output_pairs(case) {
        let _ = expected;
    }
    for (actual, _) in output_pairs(case) {
        if actual != "stdout" {
            let p = Path::new(&actual);
            let _ = std::fs::remove_file(p);
            if let Some(parent) = p.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(&args)
        .current_dir(dir)
        .env("FALCO_HOSTNAME", "test-falco-hostname")
        .env("TZ", "UTC")
        .output()
        .expect("run peregrine");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let status = out.status.code().unwrap_or(-1);
    let mut fail = |m: String| problems.push(m);

    for p in texts(case.get("stderr_contains")) {
        if !regex(&p, true).is_match(&stderr).unwrap_or(false) {
            fail(format!("stderr lacks /{p}/"));
        }
    }
    for p in texts(case.get("stdout_contains")) {
        if !regex(&p, true).is_match(&stdout).unwrap_or(false) {
            fail(format!("stdout lacks /{p}/"));
        }
    }
    for p in texts(case.get("stderr_not_contains")) {
        if regex(&p, false).is_match(&stderr).unwrap_or(true) {
            fail(format!("stderr has /{p}/"));
        }
    }
    for p in texts(case.get("stdout_not_contains")) {
        if regex(&p, false).is_match(&stdout).unwrap_or(true) {
            fail(format!("stdout has /{p}/"));
        }
    }
    let want_status = case
        .get("exit_status")
        .and_then(Node::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status != want_status {
        fail(format!("exit status {status}, expected {want_status}"));
    }
    let validating = case.get("validate_rules_file").is_some();
    if validating {
        check_validation(case, &stdout, &mut fail);
    }
    if status != 0 {
        return finish(problems, &args, &stdout, &stderr);
    }
    if !validating && flag(case, "check_detection_counts", true) {
        let re = regex(r"Events detected: (\d+)", false);
        let n: Option<u64> = re
            .captures(&stdout)
            .ok()
            .flatten()
            .and_then(|c| c.get(1))
            .and_then(|m| m.as_str().parse().ok());
        match (n, flag(case, "detect", false)) {
            (None, _) => fail("no 'Events detected' line".into()),
            (Some(n), false) if n != 0 => fail(format!("{n} events detected, expected none")),
            (Some(0), true) => fail("no events detected".into()),
            _ => {}
        }
        if flag(case, "detect", false) {
            for level in texts(case.get("detect_level")) {
                if !regex(&format!(r"(?i){level}: \d+"), false)
                    .is_match(&stdout)
                    .unwrap_or(false)
                {
                    fail(format!("no {level} alerts"));
                }
            }
        }
    }
    let after = stdout
        .split_once("Triggered rules by rule name:")
        .map_or("", |(_, a)| a);
    for item in items(case.get("detect_counts")) {
        if let Kind::Map(entries) = &item.kind {
            for (k, v) in entries {
                let rule = k.as_str().unwrap_or_default();
                let want: u64 = v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
                let re = regex(&format!(r"\s{}: (\d+)", fancy_regex::escape(rule)), false);
                let got = re
                    .captures(after)
                    .ok()
                    .flatten()
                    .and_then(|c| c.get(1))
                    .and_then(|m| m.as_str().parse().ok())
                    .unwrap_or(0);
                if got != want {
                    fail(format!("rule {rule}: {got} alerts, expected {want}"));
                }
            }
        }
    }
    if !validating && flag(case, "json_output", false) {
        for line in stdout.lines().filter(|l| l.starts_with('{')) {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                fail(format!("not JSON: {line}"));
                continue;
            };
            let mut keys = vec!["time", "rule", "priority"];
            if flag(case, "json_include_output_property", true) {
                keys.push("output");
            }
            if flag(case, "json_include_tags_property", true) {
                keys.push("tags");
            }
            for k in keys {
                if v.get(k).is_none() {
                    fail(format!("JSON alert without '{k}': {line}"));
                }
            }
        }
    }
    for (actual, expected) in output_pairs(case) {
        let want = std::fs::read_to_string(dir.join(&expected)).unwrap_or_default();
        let got = if actual == "stdout" {
            stdout.clone()
        } else {
            std::fs::read_to_string(&actual).unwrap_or_default()
        };
        let mut from = 0;
        for line in want.lines() {
            match got[from..].find(line) {
                Some(i) => from += i + line.len(),
                None => {
                    fail(format!("{actual} lacks, in order, the line: {line}"));
                    break;
                }
            }
        }
    }
    let _ = name;
    finish(problems, &args, &stdout, &stderr)
}

fn finish(mut problems: Vec<String>, args: &[String], stdout: &str, stderr: &str) -> Vec<String> {
    if !problems.is_empty() {
        problems.push(format!("command: peregrine {}", args.join(" ")));
        problems.push(format!(
            "stdout: {}",
            stdout.chars().take(1500).collect::<String>()
        ));
        problems.push(format!(
            "stderr: {}",
            stderr.chars().take(1500).collect::<String>()
        ));
    }
    problems
}

fn output_pairs(case: &Node) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for item in items(case.get("output_strictly_contains")) {
        if let Kind::Map(entries) = &item.kind {
            for (k, e) in entries {
                v.push((
                    k.as_str().unwrap_or_default().to_string(),
                    e.as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    v
}

fn check_validation(case: &Node, stdout: &str, fail: &mut impl FnMut(String)) {
    let Some(first) = stdout.lines().next() else {
        fail("no validation result on stdout".into());
        return;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(first) else {
        fail(format!("validation result is not JSON: {first}"));
        return;
    };
    let results = v["falco_load_results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for base in texts(case.get("validate_ok")) {
        let ok = results.iter().any(|r| {
            Path::new(r["name"].as_str().unwrap_or_default())
                .file_name()
                .is_some_and(|n| n == base.as_str())
                && r["successful"] == true
        });
        if !ok {
            fail(format!("{base} not reported as loaded"));
        }
    }
    for (key, list) in [
        ("errors", "validate_errors"),
        ("warnings", "validate_warnings"),
    ] {
        for want in expectations(case.get(list)) {
            let found = results
                .iter()
                .flat_map(|r| r[key].as_array().cloned().unwrap_or_default())
                .any(|d| {
                    let msg = d["message"].as_str().unwrap_or_default();
                    d["code"].as_str() == want.get("code").map(String::as_str)
                        && want.get("message").is_none_or(|m| m == msg)
                        && want
                            .get("message_contains")
                            .is_none_or(|m| msg.contains(m.as_str()))
                        && d["context"]["locations"].as_array().is_some_and(|locs| {
                            locs.iter().any(|l| {
                                l["item_type"].as_str() == want.get("item_type").map(String::as_str)
                                    && l["item_name"].as_str()
                                        == want.get("item_name").map(String::as_str)
                            })
                        })
                });
            if !found {
                fail(format!("no {key} item {want:?} in {first}"));
            }
        }
    }
}

#[test]
fn falco_regression_suite() {
    let dir = suite_dir();
    let text = std::fs::read_to_string(dir.join("falco_tests.yaml")).expect("the suite");
    let docs = yaml::load_all(&text).expect("the suite is YAML");
    let Some(Kind::Map(cases)) = docs[0].get("trace_files").map(|n| &n.kind) else {
        panic!("no trace_files in the suite");
    };
    let only = std::env::var("FALCO_CASE").ok();
    let (mut passed, mut failed, mut skipped, mut differ) = (0, Vec::new(), 0, 0);
    for (k, case) in cases {
        let name = k.as_str().unwrap_or_default();
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        if let Some((_, why)) = NOT_RUNNABLE.iter().find(|(n, _)| *n == name) {
            eprintln!("not runnable: {name}: {why}");
            skipped += 1;
            continue;
        }
        let problems = run_case(name, case, &dir);
        let differs = DIFFERENCES.iter().find(|(n, _)| *n == name);
        match (problems.is_empty(), differs) {
            (true, None) => passed += 1,
            (true, Some(_)) => failed.push(format!("{name}: passes: remove it from DIFFERENCES")),
            (false, Some((_, why))) => {
                eprintln!("known difference: {name}: {why}");
                differ += 1;
            }
            (false, None) => failed.push(format!("{name}:\n  {}", problems.join("\n  "))),
        }
    }
    eprintln!(
        "Falco regression suite: {passed} passed, {} failed, {differ} known differences, {skipped} not runnable",
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} cases failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
