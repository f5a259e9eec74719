//! Peregrine against today's libsinsp (libs 0.25.4's `sinsp-example`, built by
//! scripts/build-anchors) on the 2M-event capture of real events, in interleaved rounds of
//! one run: the state only (a filter that keeps nothing, so every event is parsed and none
//! printed), and a seven-clause filter with a format. Wall time and peak RSS of each run.
//! `sinsp-example` runs with `-a`: without it, it shows only the events of main threads
//! (those whose tid is their pid), and would skip the filter and format for the others.
//! Targets (issue 17): state only >= 3x libsinsp's events/s, filter and format >= 5x.
//!
//! `PEREGRINE_SINSP_EXAMPLE=target/anchors/bin/sinsp-example cargo bench --bench anchors`
//! (needs `cargo build --release` first).

mod common;

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

fn main() {
    let Some(sinsp) = std::env::var_os("PEREGRINE_SINSP_EXAMPLE") else {
        println!("SKIPPED: PEREGRINE_SINSP_EXAMPLE is not set (scripts/build-anchors builds it)");
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
        let (mut ours_t, mut theirs_t) = (Vec::new(), Vec::new());
        let (mut ours_rss, mut theirs_rss) = (0f64, 0f64);
        for _ in 0..rounds() {
            let (t, rss) = run(Command::new(&peregrine).args(&ours));
            ours_t.push(t);
            ours_rss = ours_rss.max(rss);
            let (t, rss) = run(Command::new(&sinsp).args(&theirs));
            theirs_t.push(t);
            theirs_rss = theirs_rss.max(rss);
        }
        let (o, t) = (Times(ours_t), Times(theirs_t));
        println!("{what}:");
        print_times("  peregrine            ", &o, n);
        print_times("  libsinsp 0.25.4      ", &t, n);
        println!(
            "  peregrine / libsinsp events/s: {:.2}x best, {:.2}x median; peak RSS {:.0} MiB / {:.0} MiB",
            t.best() / o.best(),
            t.median() / o.median(),
            ours_rss,
            theirs_rss
        );
    }
}
