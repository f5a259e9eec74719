//! Filter benchmark: a 10-clause filter over 2M real events (the reference captures'
//! events, repeated; built by `cargo bench --bench state` or here), evaluated through the
//! inspector with full state; and the same filter end to end, `peregrine -r F -p %evt.num
//! FILTER` against `sysdig -r F -p %evt.num FILTER`.
//!
//! `cargo build --release && cargo bench --bench filter`

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use peregrine::Inspector;

/// Ten clauses, the selective one last, so that most events go through most of them.
const FILTER: &str = "evt.num > 0 and thread.tid > 0 and proc.name != nosuchprocess \
    and not proc.name in (cron, atd) and user.uid >= 0 and evt.cpu < 64 \
    and not fd.name startswith /proc and fd.typechar != X and evt.dir = < \
    and evt.type in (read, write, recvfrom, sendto, open, close)";

/// Runs the inspector over the file; returns the events kept.
fn run(file: &Path, filter: &str) -> u64 {
    let mut ins = Inspector::builder()
        .file(file)
        .filter(filter)
        .unwrap()
        .build()
        .unwrap();
    let mut kept = 0u64;
    while ins.next().unwrap().is_some() {
        kept += 1;
    }
    kept
}

fn main() {
    let Some((file, n)) = large_real_capture() else {
        return;
    };
    let kept = run(&file, FILTER);
    let (with, _) = best_of(3, || run(&file, FILTER));
    let (without, _) = best_of(3, || run(&file, ""));
    println!("filter: {FILTER}");
    println!("{n} events, {kept} kept");
    println!(
        "inspector with state, no filter: {without:.3} s ({:.0} ns/event)",
        without * 1e9 / n as f64
    );
    println!(
        "inspector with state and the filter: {with:.3} s ({:.0} ns/event; the filter adds {:.0} ns/event)",
        with * 1e9 / n as f64,
        (with - without).max(0.0) * 1e9 / n as f64
    );

    let Some(bin) = peregrine_bin() else {
        println!("build the CLI first (cargo build --release) for the end-to-end figures");
        return;
    };
    let rounds = rounds();
    let run_cli = |prog: &Path| {
        let st = Command::new(prog)
            .args(["-r", file.to_str().unwrap(), "-p", "%evt.num", FILTER])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "{} failed", prog.display());
    };
    let sysdig = have_sysdig();
    let t = interleaved(
        rounds,
        &mut [&mut || run_cli(&bin), &mut || {
            if sysdig {
                run_cli(Path::new("sysdig"))
            }
        }],
    );
    let line = |what: &str, t: &Times| print_times(what, t, n);
    println!("{rounds} interleaved rounds:");
    line("peregrine -r F -p %evt.num FILTER", &t[0]);
    if !sysdig {
        println!("sysdig not installed: no reference figure");
        return;
    }
    line("sysdig -r F -p %evt.num FILTER   ", &t[1]);
    println!(
        "ratio peregrine/sysdig: {:.1}x best against best, {:.1}x median against median",
        t[1].best() / t[0].best(),
        t[1].median() / t[0].median()
    );
}
