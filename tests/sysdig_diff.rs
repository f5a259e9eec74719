//! Differential tests against sysdig 0.29.3, the reference reader: on every reference capture,
//! `peregrine` prints byte for byte what `sysdig` prints for the same command line.

mod common;

use common::*;

/// The stateless fields of every event sysdig shows, on every capture it can read.
#[test]
fn stateless_fields_match_sysdig_on_every_capture() {
    if !have_sysdig() {
        return;
    }
    let files = reference_captures();
    let mut compared = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        if SYSDIG_UNREADABLE.contains(&name) {
            continue;
        }
        let path = f.to_str().unwrap();
        let ours = peregrine_ok(&["-r", path, "-p", STATELESS_FORMAT]);
        let theirs = modern_syscall_names(&sysdig(&["-r", path, "-p", STATELESS_FORMAT]));
        assert!(
            ours == theirs,
            "{name}: {}",
            first_difference(&ours, &theirs)
        );
        eprintln!("{name}: {} lines identical", ours.lines().count());
        compared += 1;
    }
    assert_eq!(compared, files.len() - SYSDIG_UNREADABLE.len());
}

/// `-n` counts the events read, internal ones included, as sysdig's does.
#[test]
fn event_count_limit_matches_sysdig() {
    if !have_sysdig() {
        return;
    }
    for name in ["cat_write.scap", "502Error.scap", "sample.scap"] {
        let Some(f) = reference_capture(name) else {
            continue;
        };
        let path = f.to_str().unwrap();
        for n in ["1", "131", "140", "500"] {
            let ours = peregrine_ok(&["-r", path, "-n", n, "-p", STATELESS_FORMAT]);
            let theirs = sysdig(&["-r", path, "-n", n, "-p", STATELESS_FORMAT]);
            assert_eq!(ours, theirs, "{name} -n {n}");
        }
    }
}

/// Time fields and evt.res, which need no state, on a capture with failing calls.
#[test]
fn time_and_result_fields_match_sysdig() {
    if !have_sysdig() {
        return;
    }
    let files = reference_captures();
    let format = "%evt.num %evt.time %evt.datetime %evt.res";
    let mut all = String::new();
    for name in ["cat_write.scap", "curl_google.scap", "sample.scap"] {
        let f = files.iter().find(|p| p.ends_with(name)).unwrap();
        let path = f.to_str().unwrap();
        let ours = peregrine_ok(&["-r", path, "-p", format]);
        let theirs = sysdig(&["-r", path, "-p", format]);
        assert!(
            ours == theirs,
            "{name}: {}",
            first_difference(&ours, &theirs)
        );
        all.push_str(&ours);
    }
    assert!(
        all.contains(" ENOENT\n") && all.contains(" SUCCESS\n") && all.contains(" EINPROGRESS\n")
    );
}

/// A capture whose section header carries pcapng options reads like the same capture
/// without them (sysdig 0.29.3 cannot read it at all).
#[test]
fn section_header_options_are_skipped() {
    let (Some(plain), Some(comments)) = (
        reference_capture("curl_google.scap"),
        reference_capture("curl_google_comments.scap"),
    ) else {
        return;
    };
    let a = peregrine_ok(&["-r", plain.to_str().unwrap(), "-p", STATELESS_FORMAT]);
    let b = peregrine_ok(&["-r", comments.to_str().unwrap(), "-p", STATELESS_FORMAT]);
    assert_eq!(a.lines().count(), 1221);
    assert!(a == b, "{}", first_difference(&b, &a));
}
