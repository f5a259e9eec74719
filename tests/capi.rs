//! The C ABI (feature `capi`): the committed header is what cbindgen generates from
//! src/ffi; the C example, linked against the static library, prints what the command line
//! prints; every entry point takes null and invalid arguments as errors with a message.
#![cfg(feature = "capi")]

mod common;

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr;

use common::*;
use peregrine::ffi::pg_status::*;
use peregrine::ffi::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The header cbindgen makes of src/ffi/mod.rs now.
fn generated_header() -> String {
    let config = cbindgen::Config::from_file(format!("{ROOT}/cbindgen.toml")).unwrap();
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(format!("{ROOT}/src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen")
        .write(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn committed_header_is_what_cbindgen_generates() {
    let path = format!("{ROOT}/include/peregrine.h");
    let now = generated_header();
    if std::env::var_os("PEREGRINE_BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == now,
        "include/peregrine.h differs from what cbindgen generates from src/ffi \
         (PEREGRINE_BLESS=1 cargo test --features capi --test capi writes it): {}",
        first_difference(&committed, &now)
    );
}

/// Builds the static library once (`cargo rustc --crate-type staticlib`, in a target
/// directory of its own) and returns its path.
fn static_library() -> PathBuf {
    static LIB: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    LIB.get_or_init(|| {
        let target = PathBuf::from(ROOT).join("target/capi");
        let st = Command::new(env!("CARGO"))
            .args([
                "rustc",
                "--release",
                "--lib",
                "--features",
                "capi",
                "--crate-type",
                "staticlib",
            ])
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(ROOT)
            .status()
            .unwrap();
        assert!(st.success(), "building the static library failed");
        target.join("release/libperegrine.a")
    })
    .clone()
}

/// Compiles the C or C++ program `source` (under examples/) with `compiler` and `flags`
/// against the static library, into the target's temporary directory as `name`, once.
fn program(compiler: &str, source: &str, name: &str, flags: &[&str]) -> PathBuf {
    built_once(name, |out| {
        let st = Command::new(compiler)
            .args(["-O1", "-g", "-Wall", "-Werror", "-I"])
            .arg(format!("{ROOT}/include"))
            .args(flags)
            .arg("-o")
            .arg(out)
            .arg(format!("{ROOT}/examples/{source}"))
            .arg(static_library())
            .args(["-lelf", "-lz", "-lpthread", "-ldl", "-lm"])
            .status()
            .expect("a C and C++ compiler (scripts/install-deps installs gcc and g++)");
        assert!(st.success(), "compiling examples/{source} failed");
    })
}

fn c_program(source: &str, name: &str, flags: &[&str]) -> PathBuf {
    program("cc", source, name, flags)
}

/// Runs `bin` with `args` (in UTC, as the command line is run).
fn run_program(bin: &Path, args: &[&str]) -> (String, String, bool) {
    run(Command::new(bin).args(args).env("TZ", "UTC"))
}

/// Fields and filters the C example and the command line are compared on.
const RUNS: &[(&[&str], Option<&str>)] = &[
    (
        &[
            "evt.num",
            "evt.time",
            "evt.cpu",
            "proc.name",
            "thread.tid",
            "evt.dir",
            "evt.type",
            "evt.info",
        ],
        None,
    ),
    (
        &[
            "evt.num",
            "proc.name",
            "proc.pid",
            "proc.ppid",
            "proc.cmdline",
            "user.name",
        ],
        Some("evt.type in (execve, clone, procexit)"),
    ),
    (
        &[
            "evt.num",
            "fd.num",
            "fd.name",
            "fd.typechar",
            "fd.cip",
            "fd.sport",
        ],
        Some("fd.type in (ipv4, ipv6, file)"),
    ),
    (
        &[
            "evt.num",
            "evt.rawres",
            "evt.latency",
            "evt.arg.fd",
            "container.id",
        ],
        Some("evt.failed=true or evt.dir=<"),
    ),
];

#[test]
fn c_and_cpp_examples_print_what_the_command_line_prints() {
    let c = c_program("c/pg_print.c", "pg_print", &[]);
    let cpp = program("c++", "cpp/pg_print.cpp", "pg_print_cpp", &["-std=c++17"]);
    let mut compared = 0;
    for capture in reference_captures() {
        let path = capture.to_str().unwrap();
        for (fields, filter) in RUNS {
            for all in [false, true] {
                let format = format!(
                    "{}{}",
                    if all { "*" } else { "" },
                    fields
                        .iter()
                        .map(|f| format!("%{f}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let mut cli = vec!["-r", path, "-p", &format];
                let mut c_args: Vec<&str> = Vec::new();
                if let Some(f) = filter {
                    cli.push(f);
                    c_args.extend(["-f", f]);
                }
                if all {
                    c_args.push("-a");
                }
                c_args.push(path);
                c_args.extend(fields.iter());
                let theirs = peregrine_ok(&cli);
                for bin in [&c, &cpp] {
                    let (ours, err, ok) = run_program(bin, &c_args);
                    assert!(ok, "{} {c_args:?} failed: {err}", bin.display());
                    assert!(
                        ours == theirs,
                        "{} {c_args:?}: {}",
                        bin.display(),
                        first_difference(&ours, &theirs)
                    );
                    compared += ours.lines().count();
                }
            }
        }
    }
    eprintln!("{compared} lines identical");
    assert!(compared > 20_000);
}

/// The rules example raises, on every reference capture, the alerts `peregrine rules`
/// raises, as text and as JSON, with the default rules and with rules that fire; and a
/// rules file that does not load is an error naming it.
#[test]
fn c_rules_example_alerts_as_the_command_line_does() {
    let bin = c_program("c/pg_rules.c", "pg_rules", &[]);
    let suite = format!("{ROOT}/tests/falco-regression");
    let sets = [
        vec![format!("{suite}/rules-default/falco_rules.yaml")],
        vec![format!("{ROOT}/tests/rules/falco_rules.yaml")],
        vec![
            format!("{suite}/rules/single_rule.yaml"),
            format!("{suite}/rules/double_rule.yaml"),
        ],
        vec![format!("{suite}/rules/catchall_order.yaml")],
    ];
    let mut alerts = 0;
    for capture in reference_captures() {
        let path = capture.to_str().unwrap();
        for set in &sets {
            for json in [false, true] {
                let mut cli = vec!["rules", "-e", path, "-o", "log_stderr=false"];
                for r in set {
                    cli.extend(["-r", r.as_str()]);
                }
                if json {
                    cli.extend(["-o", "json_output=true", "-o", "time_format_iso_8601=true"]);
                }
                let theirs: String = peregrine_ok(&cli)
                    .lines()
                    .take_while(|l| !l.starts_with("Rule counts by severity"))
                    .filter(|l| !l.starts_with("Events detected"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                let mut args: Vec<&str> = Vec::new();
                if json {
                    args.push("-j");
                }
                args.push(path);
                args.extend(set.iter().map(String::as_str));
                let (ours, err, ok) = run(Command::new(&bin)
                    .args(&args)
                    .env("TZ", "UTC")
                    .env("FALCO_HOSTNAME", "h"));
                assert!(ok, "pg_rules {args:?}: {err}");
                let ours: String = ours
                    .lines()
                    .filter(|l| !l.starts_with("Events detected"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                let theirs = theirs.replace(
                    &format!("\"hostname\":\"{}\"", peregrine::rules::hostname()),
                    "\"hostname\":\"h\"",
                );
                assert!(
                    ours == theirs,
                    "pg_rules {args:?}: {}",
                    first_difference(&ours, &theirs)
                );
                alerts += ours.lines().count();
            }
        }
    }
    eprintln!("{alerts} alerts identical");
    assert!(alerts > 50, "{alerts}");
    let (_, err, ok) = run_program(
        &bin,
        &[path_of("cat_write.scap").as_str(), "/nonexistent.yaml"],
    );
    assert!(!ok && err.contains("/nonexistent.yaml"), "{err}");
}

fn path_of(capture: &str) -> String {
    reference_capture(capture).unwrap().display().to_string()
}

#[test]
fn c_example_reports_errors_with_their_messages() {
    let bin = c_program("c/pg_print.c", "pg_print", &[]);
    let (_, err, ok) = run_program(&bin, &["/nonexistent.scap", "evt.num"]);
    assert!(!ok && err.contains("/nonexistent.scap"), "{err}");
    let cat = reference_capture("cat_write.scap").unwrap();
    let cat = cat.to_str().unwrap();
    let (_, err, ok) = run_program(&bin, &["-f", "proc.name=cat and", cat, "evt.num"]);
    assert!(!ok && err.contains("column"), "{err}");
    let (_, err, ok) = run_program(&bin, &[cat, "proc.nope"]);
    assert!(!ok && err.contains("proc.nope"), "{err}");
}

/// The runs of the memory checks: a whole capture, a run stopped early, a capture cut
/// short (an error after the events before the cut), a bad filter.
fn memory_check_runs(dir: &Path) -> Vec<(Vec<String>, bool)> {
    let sample = reference_capture("sample.scap").unwrap();
    let bytes = std::fs::read(&sample).unwrap();
    let cut = dir.join("sample-cut.scap");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 5]).unwrap();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let sample = sample.to_str().unwrap();
    let cut = cut.to_str().unwrap();
    let fields = ["evt.num", "proc.name", "fd.name", "evt.info", "user.name"];
    vec![
        ([&[sample][..], &fields].concat(), true),
        ([&["-n", "5", sample][..], &fields].concat(), true),
        ([&[cut][..], &fields].concat(), false),
        ([&["-f", "proc.name=", sample][..], &fields].concat(), false),
    ]
    .into_iter()
    .map(|(a, ok)| (s(&a), ok))
    .collect()
}

/// Runs a program built with AddressSanitizer, its leak checker on and exit status 99 for
/// a finding: its output and its stderr as text.
fn under_asan(bin: &Path, args: &[String]) -> (std::process::Output, String) {
    let out = Command::new(bin)
        .args(args)
        .env("ASAN_OPTIONS", "detect_leaks=1:exitcode=99")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, err)
}

/// The C example under AddressSanitizer (with its leak checker) and under valgrind: no
/// invalid access, no leak, on a whole run, a run stopped early, a cut capture and a bad
/// filter.
#[test]
fn c_example_is_clean_under_asan_and_valgrind() {
    let dir = fresh_dir("capi-memory");
    let asan = c_program(
        "c/pg_print.c",
        "pg_print_asan",
        &["-fsanitize=address", "-fno-omit-frame-pointer"],
    );
    let plain = c_program("c/pg_print.c", "pg_print", &[]);
    let have_valgrind = Command::new("valgrind").arg("--version").output().is_ok();
    if !have_valgrind {
        skip("valgrind is not installed (scripts/install-deps installs it)");
    }
    for (args, should_succeed) in memory_check_runs(&dir) {
        let (out, err) = under_asan(&asan, &args);
        assert!(
            !err.contains("ERROR: AddressSanitizer") && !err.contains("LeakSanitizer"),
            "{args:?}:\n{err}"
        );
        assert_ne!(out.status.code(), Some(99), "{args:?}:\n{err}");
        assert_eq!(out.status.success(), should_succeed, "{args:?}:\n{err}");
        if !have_valgrind {
            continue;
        }
        let out = Command::new("valgrind")
            .args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
                "-q",
            ])
            .arg(&plain)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(99), "valgrind {args:?}:\n{err}");
        assert_eq!(
            out.status.success(),
            should_succeed,
            "valgrind {args:?}:\n{err}"
        );
    }
}

/// The rules example under AddressSanitizer: alerts raised, a rules file that does not
/// load, a capture cut short.
#[test]
fn c_rules_example_is_clean_under_asan() {
    let asan = c_program(
        "c/pg_rules.c",
        "pg_rules_asan",
        &["-fsanitize=address", "-fno-omit-frame-pointer"],
    );
    let dir = fresh_dir("capi-rules-memory");
    let cat = path_of("cat_write.scap");
    let bytes = std::fs::read(reference_capture("sample.scap").unwrap()).unwrap();
    let cut = dir.join("cut.scap");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let rules = format!("{ROOT}/tests/falco-regression/rules-default/falco_rules.yaml");
    let single = format!("{ROOT}/tests/falco-regression/rules/single_rule.yaml");
    let bad = format!("{ROOT}/tests/falco-regression/rules/invalid_rule_output.yaml");
    let cut = cut.to_str().unwrap().to_string();
    for (args, ok) in [
        (vec![cat.clone(), single.clone()], true),
        (vec!["-j".to_string(), cat.clone(), rules.clone()], true),
        (vec![cat.clone(), bad], false),
        (vec![cut, rules], false),
    ] {
        let (out, err) = under_asan(&asan, &args);
        assert!(!err.contains("Sanitizer"), "{args:?}:\n{err}");
        assert_eq!(out.status.success(), ok, "{args:?}:\n{err}");
    }
}

/// The rules entry points take null and invalid arguments as errors, and a rules file that
/// does not load gives `PG_ERR_RULES` with the file and item in the message.
#[test]
fn rules_entry_points_take_null_arguments_as_errors() {
    let (insp, ev) = open("cat_write.scap");
    let path = CString::new(format!(
        "{ROOT}/tests/falco-regression/rules/single_rule.yaml"
    ))
    .unwrap();
    let bad = CString::new(format!(
        "{ROOT}/tests/falco-regression/rules/invalid_rule_output.yaml"
    ))
    .unwrap();
    // SAFETY: null arguments and valid handles only.
    unsafe {
        let mut rules = ptr::null_mut();
        assert_eq!(pg_rules_load(ptr::null(), 1, &mut rules), PG_ERR_ARGUMENT);
        let paths = [path.as_ptr()];
        assert_eq!(
            pg_rules_load(paths.as_ptr(), 1, ptr::null_mut()),
            PG_ERR_ARGUMENT
        );
        let nulls = [ptr::null::<std::ffi::c_char>()];
        assert_eq!(
            pg_rules_load(nulls.as_ptr(), 1, &mut rules),
            PG_ERR_ARGUMENT
        );
        let bads = [bad.as_ptr()];
        assert_eq!(pg_rules_load(bads.as_ptr(), 1, &mut rules), PG_ERR_RULES);
        let e = last_error();
        assert!(
            e.contains("invalid_rule_output.yaml") && e.contains("rule_with_invalid_output"),
            "{e}"
        );
        assert_eq!(pg_rules_load(paths.as_ptr(), 1, &mut rules), PG_OK);
        assert_eq!(pg_rules_count(rules), 1);
        assert_eq!(pg_rules_count(ptr::null()), 0);
        assert!(pg_rules_get(rules, 1).is_null());
        let rule = pg_rules_get(rules, 0);
        assert_eq!(
            CStr::from_ptr(pg_rule_name(rule)).to_str().unwrap(),
            "open_from_cat"
        );
        assert_eq!(pg_rule_priority(rules, rule), 4);
        assert_eq!(pg_rule_priority(ptr::null(), rule), -1);
        assert!(pg_rule_tag(rule, 0).is_null());
        assert!(!pg_rules_pushdown(rules).is_null());
        let mut found = ptr::null();
        assert_eq!(
            pg_rules_match(ptr::null_mut(), ev, &mut found),
            PG_ERR_ARGUMENT
        );
        assert_eq!(
            pg_rules_match(rules, ptr::null(), &mut found),
            PG_ERR_ARGUMENT
        );
        assert_eq!(pg_rules_match(rules, ev, ptr::null_mut()), PG_ERR_ARGUMENT);
        assert_eq!(pg_rules_match(rules, ev, &mut found), PG_OK);
        let mut text = ptr::null();
        assert_eq!(
            pg_rules_alert(rules, ptr::null(), ev, false, &mut text, ptr::null_mut()),
            PG_ERR_ARGUMENT
        );
        assert_eq!(
            pg_rules_alert(rules, rule, ev, false, ptr::null_mut(), ptr::null_mut()),
            PG_ERR_ARGUMENT
        );
        assert_eq!(
            pg_rules_alert(rules, rule, ev, false, &mut text, ptr::null_mut()),
            PG_OK
        );
        assert!(
            CStr::from_ptr(text)
                .to_str()
                .unwrap()
                .contains(": Warning An open was seen")
        );
        assert_eq!(pg_rules_enable(rules, ptr::null(), false), PG_ERR_ARGUMENT);
        assert_eq!(
            pg_rules_enable_tag(ptr::null_mut(), c"a".as_ptr(), false),
            PG_ERR_ARGUMENT
        );
        assert_eq!(pg_rules_enable(rules, c"open".as_ptr(), false), PG_OK);
        pg_rules_free(rules);
        pg_rules_free(ptr::null_mut());
        pg_close(insp);
    }
}

/// scripts/install-capi installs both libraries, the header and peregrine.pc; a program
/// built with pkg-config links either library and runs.
#[test]
fn installed_libraries_link_through_pkg_config() {
    let prefix = fresh_dir("capi-prefix");
    let st = Command::new(format!("{ROOT}/scripts/install-capi"))
        .arg(&prefix)
        // A target directory of its own: the other tests link target/capi's library meanwhile.
        .env("CARGO_TARGET_DIR", format!("{ROOT}/target/install-capi"))
        .status()
        .unwrap();
    assert!(st.success(), "scripts/install-capi failed");
    let pc = prefix.join("lib/pkgconfig");
    let flags = |extra: &[&str]| {
        let out = Command::new("pkg-config")
            .args(["--cflags", "--libs"])
            .args(extra)
            .arg("peregrine")
            .env("PKG_CONFIG_PATH", &pc)
            .output()
            .expect("pkg-config (scripts/install-deps installs it)");
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let capture = reference_capture("cat_write.scap").unwrap();
    let expected = peregrine_ok(&["-r", capture.to_str().unwrap(), "-p", "%evt.num %proc.name"]);
    for (name, extra) in [
        ("pg_print_shared", &[][..]),
        ("pg_print_static", &["--static"][..]),
    ] {
        let bin = prefix.join(name);
        let mut cc = Command::new("cc");
        cc.arg(format!("{ROOT}/examples/c/pg_print.c"))
            .arg("-o")
            .arg(&bin);
        if extra.is_empty() {
            cc.args(flags(extra).split_whitespace());
        } else {
            // Static: the archive itself, then its private dependencies.
            let f = flags(extra);
            let (libs, rest): (Vec<&str>, Vec<&str>) =
                f.split_whitespace().partition(|a| *a == "-lperegrine");
            assert_eq!(libs.len(), 1);
            cc.args(rest.iter().filter(|a| a.starts_with("-I")))
                .arg(prefix.join("lib/libperegrine.a"))
                .args(rest.iter().filter(|a| !a.starts_with("-I")));
        }
        assert!(cc.status().unwrap().success(), "linking {name}");
        let out = Command::new(&bin)
            .args([capture.to_str().unwrap(), "evt.num", "proc.name"])
            .env("LD_LIBRARY_PATH", prefix.join("lib"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{name}");
    }
}

/// The C example captures live: the first open of /etc/hostname by `cat`, with its fields.
#[test]
fn c_example_captures_live() {
    if !live_ready() {
        return;
    }
    let bin = c_program("c/pg_print.c", "pg_print", &[]);
    let mut child = Command::new(&bin)
        .args([
            "-n",
            "1",
            "-f",
            "evt.type=openat and fd.name=/etc/hostname and proc.name=cat",
        ])
        .args(["live", "proc.name", "fd.name", "evt.dir"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    // Open the file until the capture, once started, sees it and the example exits.
    while child.try_wait().unwrap().is_none() {
        assert!(
            t0.elapsed().as_secs() < 60,
            "pg_print saw no open of /etc/hostname"
        );
        let _ = Command::new("cat").arg("/etc/hostname").output();
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "cat /etc/hostname <\n"
    );
}

fn last_error() -> String {
    // SAFETY: pg_last_error returns a valid NUL-terminated string.
    unsafe { CStr::from_ptr(pg_last_error()) }
        .to_string_lossy()
        .into_owned()
}

/// An open inspector over `capture`, positioned on its first event.
fn open(capture: &str) -> (*mut pg_inspector, *const pg_event) {
    let path = CString::new(reference_capture(capture).unwrap().to_str().unwrap()).unwrap();
    let mut o = ptr::null_mut();
    let mut i = ptr::null_mut();
    let mut e = ptr::null();
    // SAFETY: valid pointers throughout.
    unsafe {
        assert_eq!(pg_options_new(&mut o), PG_OK);
        assert_eq!(pg_options_file(o, path.as_ptr()), PG_OK);
        assert_eq!(pg_open(o, &mut i), PG_OK);
        pg_options_free(o);
        assert_eq!(pg_next(i, &mut e), PG_OK);
    }
    (i, e)
}

#[test]
fn every_entry_point_takes_null_and_invalid_arguments_as_errors() {
    let null_err = |s: pg_status, what: &str| {
        assert_eq!(s, PG_ERR_ARGUMENT, "{what}");
        assert!(last_error().contains("null"), "{what}: {}", last_error());
    };
    let (insp, ev) = open("cat_write.scap");
    let name = c"proc.name";
    // SAFETY: null and dangling-free arguments only; the handles are valid.
    unsafe {
        null_err(pg_options_new(ptr::null_mut()), "pg_options_new");
        null_err(
            pg_options_file(ptr::null_mut(), name.as_ptr()),
            "pg_options_file",
        );
        null_err(pg_options_live(ptr::null_mut()), "pg_options_live");
        null_err(
            pg_options_filter(ptr::null_mut(), name.as_ptr()),
            "pg_options_filter",
        );
        null_err(
            pg_options_buffer_size(ptr::null_mut(), 1),
            "pg_options_buffer_size",
        );
        null_err(pg_options_snaplen(ptr::null_mut(), 1), "pg_options_snaplen");
        null_err(
            pg_options_duration(ptr::null_mut(), 1),
            "pg_options_duration",
        );
        null_err(
            pg_options_cpus(ptr::null_mut(), ptr::null(), 0),
            "pg_options_cpus",
        );
        null_err(pg_options_process(ptr::null_mut(), 1), "pg_options_process");
        null_err(
            pg_options_enter_events(ptr::null_mut(), true),
            "pg_options_enter_events",
        );
        null_err(
            pg_options_read_ahead(ptr::null_mut(), true),
            "pg_options_read_ahead",
        );
        null_err(pg_open(ptr::null_mut(), ptr::null_mut()), "pg_open");
        null_err(pg_next(ptr::null_mut(), ptr::null_mut()), "pg_next");
        null_err(pg_next(insp, ptr::null_mut()), "pg_next out");
        null_err(
            pg_event_raw(ptr::null(), ptr::null_mut(), ptr::null_mut()),
            "pg_event_raw",
        );
        null_err(
            pg_field_compile(ptr::null(), ptr::null_mut()),
            "pg_field_compile",
        );
        let mut f = ptr::null_mut();
        null_err(
            pg_field_compile(name.as_ptr(), ptr::null_mut()),
            "pg_field_compile out",
        );
        assert_eq!(pg_field_compile(name.as_ptr(), &mut f), PG_OK);
        let mut text = ptr::null();
        null_err(
            pg_field_text(ptr::null_mut(), ev, &mut text, ptr::null_mut()),
            "text field",
        );
        null_err(
            pg_field_text(f, ptr::null(), &mut text, ptr::null_mut()),
            "text event",
        );
        null_err(
            pg_field_text(f, ev, ptr::null_mut(), ptr::null_mut()),
            "text out",
        );
        null_err(pg_field_value(f, ev, ptr::null_mut()), "pg_field_value out");
        null_err(
            pg_thread_get(ptr::null_mut(), 1, ptr::null_mut()),
            "pg_thread_get",
        );
        null_err(pg_thread_get(insp, 1, ptr::null_mut()), "pg_thread_get out");
        null_err(
            pg_fd_get(ptr::null_mut(), 1, 1, ptr::null_mut()),
            "pg_fd_get",
        );
        null_err(pg_live_stats(ptr::null(), ptr::null_mut()), "pg_live_stats");
        null_err(
            pg_writer_open(ptr::null(), ptr::null(), ptr::null_mut()),
            "pg_writer_open",
        );
        null_err(pg_writer_write(ptr::null_mut(), ev), "pg_writer_write");
        // Accessors of a null event give neutral values; the free functions take null.
        assert_eq!(pg_event_number(ptr::null()), 0);
        assert_eq!(pg_event_tid(ptr::null()), -1);
        assert_eq!(CStr::from_ptr(pg_event_name(ptr::null())), c"");
        assert!(!pg_event_shown_by_default(ptr::null()));
        pg_options_free(ptr::null_mut());
        pg_field_free(ptr::null_mut());
        pg_close(ptr::null_mut());
        pg_stop(ptr::null());
        assert_eq!(pg_writer_close(ptr::null_mut()), PG_OK);

        // Invalid values: an unknown field, a bad filter, a missing file, a string that is
        // not UTF-8, statistics of a file, options used twice.
        let mut g = ptr::null_mut();
        assert_eq!(
            pg_field_compile(c"proc.nope".as_ptr(), &mut g),
            PG_ERR_FIELD
        );
        assert!(last_error().contains("proc.nope"), "{}", last_error());
        let mut o = ptr::null_mut();
        assert_eq!(pg_options_new(&mut o), PG_OK);
        assert_eq!(pg_options_filter(o, c"proc.name=".as_ptr()), PG_ERR_FILTER);
        assert!(last_error().contains("column"), "{}", last_error());
        assert_eq!(pg_options_file(o, c"/nonexistent.scap".as_ptr()), PG_OK);
        let mut i2 = ptr::null_mut();
        assert_eq!(pg_open(o, &mut i2), PG_ERR_IO);
        assert!(
            last_error().contains("/nonexistent.scap"),
            "{}",
            last_error()
        );
        assert_eq!(pg_open(o, &mut i2), PG_ERR_ARGUMENT);
        assert!(last_error().contains("already used"), "{}", last_error());
        pg_options_free(o);
        let bad = [0xffu8, 0xfe, 0];
        assert_eq!(
            pg_field_compile(bad.as_ptr().cast(), &mut g),
            PG_ERR_ARGUMENT
        );
        assert!(last_error().contains("UTF-8"), "{}", last_error());
        let mut stats = pg_stats::default();
        assert_eq!(pg_live_stats(insp, &mut stats), PG_ERR_UNSUPPORTED);
        pg_field_free(f);
        pg_close(insp);
    }
}

#[test]
fn events_fields_state_and_writing_through_the_abi() {
    let (insp, mut ev) = open("cat_write.scap");
    let fields: Vec<*mut pg_field> = ["proc.name", "thread.tid", "evt.rawtime", "fd.name"]
        .iter()
        .map(|n| {
            let n = CString::new(*n).unwrap();
            let mut f = ptr::null_mut();
            // SAFETY: valid pointers.
            assert_eq!(unsafe { pg_field_compile(n.as_ptr(), &mut f) }, PG_OK);
            f
        })
        .collect();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("capi-written.scap");
    let out_c = CString::new(out.to_str().unwrap()).unwrap();
    let mut w = ptr::null_mut();
    let mut n = 0u64;
    // SAFETY: valid handles and pointers throughout.
    unsafe {
        assert_eq!(pg_writer_open(insp, out_c.as_ptr(), &mut w), PG_OK);
        loop {
            n += 1;
            assert_eq!(pg_event_number(ev), n);
            assert_eq!(pg_writer_write(w, ev), PG_OK);
            let mut data = ptr::null();
            let mut len = 0;
            assert_eq!(pg_event_raw(ev, &mut data, &mut len), PG_OK);
            assert!(len >= 26 && !data.is_null());
            // Typed values agree with the text.
            let mut v = pg_value {
                kind: pg_value_kind::PG_VALUE_INT,
                i: 0,
                u: 0,
                addr: [0; 16],
            };
            assert_eq!(pg_field_value(fields[1], ev, &mut v), PG_OK);
            assert_eq!(v.i, pg_event_tid(ev));
            assert_eq!(pg_field_value(fields[2], ev, &mut v), PG_OK);
            assert_eq!(
                (v.kind, v.u),
                (pg_value_kind::PG_VALUE_TIME, pg_event_ts(ev))
            );
            assert_eq!(pg_field_value(fields[0], ev, &mut v), PG_ERR_FIELD);
            // The thread of the event, as the state knows it.
            let mut t = std::mem::zeroed::<pg_thread>();
            if pg_thread_get(insp, pg_event_tid(ev), &mut t) == PG_OK {
                let mut text = ptr::null();
                if pg_field_text(fields[0], ev, &mut text, ptr::null_mut()) == PG_OK {
                    assert_eq!(CStr::from_ptr(t.comm), CStr::from_ptr(text));
                }
            }
            if pg_next(insp, &mut ev) != PG_OK {
                break;
            }
        }
        assert_eq!(pg_writer_close(w), PG_OK);
        // The fd cat wrote to, at the end.
        let mut fd = std::mem::zeroed::<pg_fd>();
        let _ = pg_fd_get(insp, 1, 1, &mut fd);
        for f in fields {
            pg_field_free(f);
        }
        pg_close(insp);
    }
    // What was written reads as the original does.
    let original = reference_capture("cat_write.scap").unwrap();
    let a = peregrine_ok(&["-r", original.to_str().unwrap(), "-p", STATELESS_FORMAT]);
    let b = peregrine_ok(&["-r", out.to_str().unwrap(), "-p", STATELESS_FORMAT]);
    assert_eq!(a, b);
    assert!(n > 300, "{n} events");
}

#[test]
fn stop_ends_the_events_and_is_safe_from_another_thread() {
    let (insp, mut ev) = open("sample.scap");
    struct Send(*mut pg_inspector);
    // SAFETY: pg_stop is documented safe from any thread.
    unsafe impl std::marker::Send for Send {}
    let h = Send(insp);
    std::thread::spawn(move || {
        let h = h;
        // SAFETY: the inspector outlives this thread (joined below).
        unsafe { pg_stop(h.0) }
    })
    .join()
    .unwrap();
    // SAFETY: valid handles.
    unsafe {
        assert_eq!(pg_next(insp, &mut ev), PG_END);
        pg_close(insp);
    }
}
