//! Detection benchmark: replay of 2M real events (the large capture the other benchmarks
//! share) with a whole default Falco rule set loaded, on one thread: the inspector alone
//! (state only), the rules through the event-type index, and the same rules tried one by
//! one on every event, in interleaved rounds. Run for the default rules of Falco's
//! regression suite (80 rules) and for today's (falcosecurity/rules, 25 rules).
//!
//! `cargo bench --bench rules`

mod common;

use std::path::{Path, PathBuf};

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

fn main() {
    let Some((file, n)) = large_real_capture() else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sets = [
        (
            "falco-rules-1.0.1 (80 rules)",
            root.join("tests/falco-regression/rules-default/falco_rules.yaml"),
        ),
        (
            "today's falco_rules.yaml (25 rules)",
            root.join("tests/rules/falco_rules.yaml"),
        ),
    ];
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
