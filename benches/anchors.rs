//! Peregrine against today's libsinsp (libs 0.25.4's `sinsp-example`, a binary the user
//! builds from upstream's sources; docs/PERFORMANCE.md) on the 2M-event capture of real events, in interleaved rounds of
//! one run: the state only (a filter that keeps nothing, so every event is parsed and none
//! printed), and a seven-clause filter with a format. Wall time and peak RSS of each run.
//! `sinsp-example` runs with `-a`: without it, it shows only the events of main threads
//! (those whose tid is their pid), and would skip the filter and format for the others.
//! Targets (issue 17): state only >= 3x libsinsp's events/s, filter and format >= 5x.
//!
//! With `PEREGRINE_FALCO` set to a Falco 0.44.1 binary (likewise built from upstream), also the
//! replay of the same capture through a default rule set, Peregrine's `rules` against
//! Falco's replay engine. Falco 0.44 takes `container.*` and `k8s.*` fields from its
//! container plugin only, which is not built here, so both run the default rules with those
//! fields renamed to process fields of the same types (written to target/bench-data).
//!
//! `PEREGRINE_SINSP_EXAMPLE=.../sinsp-example PEREGRINE_FALCO=.../falco cargo bench --bench anchors` (needs `cargo build --release` first).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::*;

/// The filter of the second comparison: seven clauses over event, fd, process and user.
const FILTER: &str = "evt.type in (open, openat, read, write, connect, accept) and fd.typechar in (f, 4) \
                      and proc.name != sshd and not fd.name startswith /proc and evt.dir=< \
                      and user.uid=0 and fd.num >= 0";

/// Runs `cmd` with its output thrown away: (seconds, peak RSS in MiB).
// The child is reaped by wait4 (which also gives its peak RSS), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn run(cmd: &mut Command) -> (f64, f64) {
    let t = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 on our own child, with valid pointers to a status and an rusage.
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, usage.as_mut_ptr()) };
    let secs = t.elapsed().as_secs_f64();
    assert!(
        r > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed"
    );
    // SAFETY: wait4 succeeded and filled it.
    let usage = unsafe { usage.assume_init() };
    (secs, usage.ru_maxrss as f64 / 1024.0)
}

/// Writes `src` with its container and Kubernetes fields renamed to process fields of the
/// same type (text fields to `proc.exepath`, `container.privileged` to
/// `proc.is_exe_writable`, `container.start_ts` to `proc.exe_ino.ctime`): the same rules,
/// the same shape and cost, that Falco 0.44 loads without its container plugin. Returns the
/// path.
fn container_fields_renamed(src: &Path, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(src).unwrap();
    let re = regex::Regex::new(
        r"\bcontainer\.(image\.repository|image\.tag|image|mounts|name|id|info)\b|\bcontainer\.mount\.dest\[[^\]]*\]|\bk8s\.(ns\.name|pod\.name)\b",
    )
    .unwrap();
    let text = re.replace_all(&text, "proc.exepath");
    let text = text
        .replace("container.privileged", "proc.is_exe_writable")
        .replace("container.start_ts", "proc.exe_ino.ctime");
    // The container plugin the rules ask for is not loaded: drop the requirement.
    let mut kept = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("- ") {
            skipping = line.starts_with("- required_plugin_versions");
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    let out = bench_data().join(format!("{name}-container-renamed.yaml"));
    std::fs::write(&out, kept).unwrap();
    out
}

fn main() {
    let falco = std::env::var_os("PEREGRINE_FALCO");
    let Some(sinsp) = std::env::var_os("PEREGRINE_SINSP_EXAMPLE") else {
        println!(
            "SKIPPED: PEREGRINE_SINSP_EXAMPLE is not set (the path of libs 0.25.4's sinsp-example; docs/PERFORMANCE.md)"
        );
        if let Some(falco) = falco {
            falco_rules(Path::new(&falco));
        }
        return;
    };
    let Some(peregrine) = peregrine_bin() else {
        println!("SKIPPED: build the release CLI first (cargo build --release)");
        return;
    };
    let Some((file, n)) = large_real_capture() else {
        return;
    };
    let f = file.to_str().unwrap();
    type Job = (&'static str, Vec<String>, Vec<String>);
    let jobs: [Job; 2] = [
        (
            "state only",
            vec!["-r".into(), f.into(), "evt.num=0".into()],
            vec![
                "-a".into(),
                "-s".into(),
                f.into(),
                "-f".into(),
                "evt.num=0".into(),
            ],
        ),
        (
            "filter and format",
            vec![
                "-r".into(),
                f.into(),
                "-p".into(),
                "%evt.num".into(),
                FILTER.into(),
            ],
            vec![
                "-a".into(),
                "-s".into(),
                f.into(),
                "-f".into(),
                FILTER.into(),
                "-o".into(),
                "%evt.num".into(),
            ],
        ),
    ];
    println!("capture: {f} ({n} events), {} interleaved rounds", rounds());
    for (what, ours, theirs) in jobs {
        println!("{what}:");
        side_by_side(
            n,
            (&peregrine, &ours, "peregrine"),
            (Path::new(&sinsp), &theirs, "libsinsp 0.25.4"),
            "libsinsp",
            "",
        );
    }
    match falco {
        Some(falco) => falco_rules(Path::new(&falco)),
        None => println!("SKIPPED: PEREGRINE_FALCO is not set: no figures against Falco 0.44.1"),
    }
}

/// Runs Peregrine's and an anchor's command lines (program, arguments, label) over `n`
/// events in interleaved rounds; prints each one's times, the ratio of events/s, the peak
/// RSS of each, and `note`.
fn side_by_side(
    n: u64,
    ours: (&Path, &[String], &str),
    theirs: (&Path, &[String], &str),
    their_short: &str,
    note: &str,
) {
    let (mut ours_t, mut theirs_t) = (Vec::new(), Vec::new());
    let (mut ours_rss, mut theirs_rss) = (0f64, 0f64);
    for _ in 0..rounds() {
        let (t, rss) = run(Command::new(ours.0).args(ours.1));
        ours_t.push(t);
        ours_rss = ours_rss.max(rss);
        let (t, rss) = run(Command::new(theirs.0).args(theirs.1));
        theirs_t.push(t);
        theirs_rss = theirs_rss.max(rss);
    }
    let (o, t) = (Times(ours_t), Times(theirs_t));
    print_times(&format!("  {:<21}", ours.2), &o, n);
    print_times(&format!("  {:<21}", theirs.2), &t, n);
    println!(
        "  peregrine / {their_short} events/s: {:.2}x best, {:.2}x median; peak RSS {ours_rss:.0} MiB / {theirs_rss:.0} MiB{note}",
        t.best() / o.best(),
        t.median() / o.median(),
    );
}

/// Replay of the large capture through each default rule set (container fields renamed):
/// `peregrine rules` against Falco 0.44.1's replay engine, alerts to stdout (thrown away).
fn falco_rules(falco: &Path) {
    let Some(peregrine) = peregrine_bin() else {
        return;
    };
    let Some((file, n)) = large_real_capture() else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let conf = bench_data().join("falco-replay.yaml");
    std::fs::write(
        &conf,
        "stdout_output:\n  enabled: true\nlog_stderr: false\nlog_syslog: false\n\
         syslog_output:\n  enabled: false\njson_output: false\npriority: debug\n",
    )
    .unwrap();
    for (name, src) in [
        (
            "falco-rules-1.0.1",
            root.join("tests/falco-regression/rules-default/falco_rules.yaml"),
        ),
        ("today", root.join("tests/rules/falco_rules.yaml")),
    ] {
        let rules = container_fields_renamed(&src, name);
        let count = peregrine::rules::Rules::load([&rules])
            .map(|r| r.rules().len())
            .unwrap_or_else(|e| panic!("{}: {e}", rules.display()));
        let r = rules.to_str().unwrap();
        let f = file.to_str().unwrap();
        let ours: Vec<String> = ["rules", "-r", r, "-e", f, "-o", "log_stderr=false"]
            .map(String::from)
            .to_vec();
        let theirs: Vec<String> = vec![
            "-c".into(),
            conf.to_str().unwrap().into(),
            "-r".into(),
            r.into(),
            "-o".into(),
            "engine.kind=replay".into(),
            "-o".into(),
            format!("engine.replay.capture_file={f}"),
        ];
        let alerts = |prog: &Path, args: &[String]| {
            let out = Command::new(prog)
                .args(args)
                .stderr(Stdio::null())
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| {
                    l.contains(": ")
                        && !l.starts_with(' ')
                        && !l.starts_with("Events")
                        && !l.starts_with("Rule")
                        && !l.starts_with("Triggered")
                })
                .count()
        };
        let note = format!(
            "; alerts {} / {}",
            alerts(&peregrine, &ours),
            alerts(falco, &theirs)
        );
        println!("rules replay, {name} with container fields renamed ({count} rules), {n} events:");
        side_by_side(
            n,
            (&peregrine, &ours, "peregrine rules"),
            (falco, &theirs, "falco 0.44.1"),
            "falco",
            &note,
        );
    }
}
