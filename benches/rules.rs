//! Detection benchmark: replay of 2M real events (the large capture the other benchmarks
//! share) with a whole default Falco rule set loaded, on one thread: the inspector alone
//! (state only), the rules through the event-type index, and the same rules tried one by
//! one on every event, in interleaved rounds. Run for the default rules of Falco's
//! regression suite (80 rules) and for today's (falcosecurity/rules, 25 rules).
//!
//! Then live (as root): redis-benchmark's rate with no tracing, with Peregrine capturing
//! every syscall, and with a default rule set loaded, the kernel asked only for the
//! syscalls the rules need and every event evaluated, in interleaved rounds.
//!
//! `cargo bench --bench rules` (`PEREGRINE_BENCH_ONLY=replay` or `live` runs one part)

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use common::*;
use peregrine::Inspector;
use peregrine::rules::Rules;

/// Replays the file through the rules; returns the alerts.
fn replay(file: &Path, rules: Option<&Rules>) -> u64 {
    let mut ins = Inspector::builder().file(file).build().unwrap();
    let mut alerts = 0u64;
    while let Some(ev) = ins.next().unwrap() {
        if let Some(r) = rules
            && r.first_match(&ev).is_some()
        {
            alerts += 1;
        }
    }
    alerts
}

/// The default rule sets: the suite's (2023) and today's.
fn rule_sets() -> [(&'static str, PathBuf); 2] {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        (
            "falco-rules-1.0.1 (80 rules)",
            root.join("tests/falco-regression/rules-default/falco_rules.yaml"),
        ),
        (
            "today's falco_rules.yaml (25 rules)",
            root.join("tests/rules/falco_rules.yaml"),
        ),
    ]
}

fn main() {
    let only = std::env::var("PEREGRINE_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "replay" {
        replay_bench();
    }
    if only.is_empty() || only == "live" {
        live_bench();
    }
}

fn replay_bench() {
    let Some((file, n)) = large_real_capture() else {
        return;
    };
    let sets = rule_sets();
    let rounds = rounds();
    for (name, path) in sets {
        let indexed = Rules::load([&path]).unwrap();
        let mut unindexed = Rules::load([&path]).unwrap();
        unindexed.use_event_type_index(false);
        let alerts = replay(&file, Some(&indexed));
        assert_eq!(
            alerts,
            replay(&file, Some(&unindexed)),
            "the index changed the alerts"
        );
        let t = interleaved(
            rounds,
            &mut [
                &mut || {
                    replay(&file, None);
                },
                &mut || {
                    replay(&file, Some(&indexed));
                },
                &mut || {
                    replay(&file, Some(&unindexed));
                },
            ],
        );
        println!("{name}: {n} events, {alerts} alerts, {rounds} interleaved rounds, one thread:");
        for (what, t) in [
            "state only, no rules",
            "rules, event-type index",
            "rules, no index",
        ]
        .iter()
        .zip(&t)
        {
            println!(
                "  {what:<26} best {:.3} s ({:.2} M events/s), median {:.3} s",
                t.best(),
                n as f64 / t.best() / 1e6,
                t.median()
            );
        }
        println!(
            "  the index makes rule evaluation {:.1}x faster (rules' own cost: {:.0} ns/event with it, {:.0} without)",
            (t[2].best() - t[0].best()) / (t[1].best() - t[0].best()).max(1e-9),
            (t[1].best() - t[0].best()).max(0.0) * 1e9 / n as f64,
            (t[2].best() - t[0].best()).max(0.0) * 1e9 / n as f64,
        );
    }
}

/// Live capture while `f` runs: everything (no rules), or with the rules of `rules` loaded,
/// the kernel asked for what they need and each event evaluated. Returns what `f` returns,
/// the events delivered, dropped, and the alerts.
fn live<T>(rules: Option<&Path>, f: impl FnOnce() -> T) -> (T, u64, u64, u64) {
    let (tx, rx) = mpsc::channel();
    let rules = rules.map(Path::to_path_buf);
    let consumer = std::thread::spawn(move || {
        let rules = rules.map(|p| Rules::load([p]).unwrap());
        let mut b = Inspector::builder().live();
        if let Some(f) = rules.as_ref().and_then(Rules::pushdown_filter) {
            b = b.filter(&f).unwrap();
        }
        let mut ins = b.build().unwrap();
        tx.send(ins.stop_flag().unwrap()).unwrap();
        let (mut n, mut alerts) = (0u64, 0u64);
        while let Some(ev) = ins.next().unwrap() {
            n += 1;
            if let Some(r) = &rules
                && r.first_match(&ev).is_some()
            {
                alerts += 1;
            }
        }
        let s = ins.stats().unwrap().unwrap();
        (n, s.drops(), alerts)
    });
    let stop = rx.recv().unwrap();
    let out = f();
    stop.store(true, Ordering::Relaxed);
    let (n, drops, alerts) = consumer.join().unwrap();
    (out, n, drops, alerts)
}

fn live_bench() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIPPED: the live part needs root");
        return;
    }
    let Some(server) = RedisServer::start() else {
        return;
    };
    let port = server.port;
    let sets = rule_sets();
    let mut rows = Vec::new();
    let mut counts = [(0u64, 0u64, 0u64); 3];
    for _ in 0..rounds() {
        let none = redis_rate(port);
        let (all, n0, d0, _) = live(None, || redis_rate(port));
        let mut row = vec![none, all];
        counts[0] = (counts[0].0 + n0, counts[0].1 + d0, 0);
        for (i, (_, path)) in sets.iter().enumerate() {
            let (rate, n, d, a) = live(Some(path), || redis_rate(port));
            row.push(rate);
            counts[i + 1] = (
                counts[i + 1].0 + n,
                counts[i + 1].1 + d,
                counts[i + 1].2 + a,
            );
        }
        rows.push(row);
    }
    drop(server);
    let labels = [
        "peregrine, every syscall".to_string(),
        format!("rules: {}", sets[0].0),
        format!("rules: {}", sets[1].0),
    ];
    let setups: Vec<(String, String)> = labels
        .into_iter()
        .zip(counts)
        .map(|(label, (events, dropped, alerts))| {
            let note =
                format!("  ({events} events, {dropped} dropped, {alerts} alerts over all rounds)");
            (label, note)
        })
        .collect();
    print_redis_rows(200_000, &rows, None, &setups);
}
