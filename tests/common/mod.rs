//! Shared helpers of the integration tests: where the reference captures are, and running
//! sysdig and peregrine on them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Format of the stateless differential test.
pub const STATELESS_FORMAT: &str = "%evt.num %evt.rawtime %evt.cpu %evt.dir %evt.type %thread.tid";

/// Captures sysdig 0.29.3 cannot read (pcapng options in the section header).
pub const SYSDIG_UNREADABLE: &[&str] = &["curl_google_comments.scap"];

/// Prints a `SKIPPED:` notice straight to stdout, past the test harness's capture, so that
/// CI sees it (and fails the run) even when the test passes.
pub fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "SKIPPED: {why}");
}

/// The reference captures: those kept in the repository (`tests/captures`), and those of
/// `../shared/captures` beside the checkout that the repository cannot carry. Without
/// `../shared`, only the former, after a `SKIPPED:` notice (which CI treats as a failure).
pub fn reference_captures() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = scap_files(&root.join("tests/captures"));
    assert!(!files.is_empty(), "no captures in tests/captures");
    let shared = root.join("../shared/captures");
    if have_shared_captures() {
        for f in scap_files(&shared) {
            if !files.iter().any(|k| k.file_name() == f.file_name()) {
                files.push(f);
            }
        }
    } else {
        skip(&format!(
            "no reference captures at {}: only those in tests/captures are used",
            shared.display()
        ));
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    files
}

/// Whether `../shared/captures` is beside the checkout (the tests then see all fourteen
/// reference captures, not only the eleven kept in the repository).
pub fn have_shared_captures() -> bool {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures")
        .is_dir()
}

fn scap_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scap"))
        .collect()
}

/// One reference capture by name, or `None` (after a `SKIPPED:` notice) when it is one of
/// `../shared`'s and that is missing.
pub fn reference_capture(name: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let kept = root.join("tests/captures").join(name);
    if kept.exists() {
        return Some(kept);
    }
    let shared = root.join("../shared/captures").join(name);
    if shared.exists() {
        return Some(shared);
    }
    skip(&format!(
        "capture {name} is in neither tests/captures nor ../shared/captures"
    ));
    None
}

/// Whether sysdig is installed; prints a `SKIPPED:` notice when it is not.
pub fn have_sysdig() -> bool {
    let ok = Command::new("sysdig").arg("--version").output().is_ok();
    if !ok {
        skip("sysdig is not installed (apt-get install --no-install-recommends sysdig)");
    }
    ok
}

/// Runs `cmd`: (stdout, stderr, success).
pub fn run(cmd: &mut Command) -> (String, String, bool) {
    let out = cmd.output().expect("failed to run command");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// The reference captures sysdig reads, as (file name, path); `None` (with a `SKIPPED:`
/// notice) without sysdig.
pub fn sysdig_readable_captures() -> Option<Vec<(String, String)>> {
    let files = reference_captures();
    if !have_sysdig() {
        return None;
    }
    Some(
        files
            .iter()
            .map(|f| {
                (
                    f.file_name().unwrap().to_str().unwrap().to_owned(),
                    f.to_str().unwrap().to_owned(),
                )
            })
            .filter(|(name, _)| !SYSDIG_UNREADABLE.contains(&name.as_str()))
            .collect(),
    )
}

/// `f` over `jobs` on two threads (the machine's cores), results in job order.
pub fn on_two_threads<J: Sync, R: Send>(jobs: &[J], f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let f = &f;
    std::thread::scope(|s| {
        let workers: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(2))
            .map(|chunk| s.spawn(move || chunk.iter().map(f).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

/// Runs `sysdig ARGS` and returns its stdout; panics if it fails.
pub fn sysdig(args: &[&str]) -> String {
    let (out, err, ok) = run(Command::new("sysdig").args(args).env("TZ", "UTC"));
    assert!(ok, "sysdig {args:?} failed: {err}");
    out
}

/// Runs `peregrine ARGS`: (stdout, stderr, success).
pub fn peregrine(args: &[&str]) -> (String, String, bool) {
    run(Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(args)
        .env("TZ", "UTC"))
}

/// Runs `peregrine ARGS` and returns its stdout; panics if it fails.
pub fn peregrine_ok(args: &[&str]) -> String {
    let (out, err, ok) = peregrine(args);
    assert!(ok, "peregrine {args:?} failed: {err}");
    out
}

/// Asserts that `peregrine ARGS` prints byte for byte what `sysdig ARGS` prints.
pub fn assert_prints_as_sysdig(args: &[&str]) {
    let (ours, theirs) = (peregrine_ok(args), sysdig(args));
    assert!(
        ours == theirs,
        "{args:?}: {}",
        first_difference(&ours, &theirs)
    );
}

/// Rewrites sysdig 0.29's names of generic syscalls to the current schema's, the one
/// deliberate difference in stateless output (see docs/DIFFERENCES.md).
pub fn modern_syscall_names(sysdig_out: &str) -> String {
    const RENAMES: &[(&str, &str)] = &[
        ("sigreturn", "rt_sigreturn"),
        ("newselect", "_newselect"),
        ("llseek", "_llseek"),
    ];
    let mut out = String::with_capacity(sysdig_out.len() + 64);
    for line in sysdig_out.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        for (i, word) in body.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match RENAMES.iter().find(|(old, _)| *old == word) {
                Some((_, new)) => out.push_str(new),
                None => out.push_str(word),
            }
        }
        out.push_str(nl);
    }
    out
}

/// First differing line of two outputs, for assertion messages.
pub fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  peregrine: {x}\n  sysdig:    {y}", i + 1);
        }
    }
    format!(
        "one output is a prefix of the other ({} vs {} lines)",
        a.lines().count(),
        b.lines().count()
    )
}

/// Whether live capture can run here (root, a kernel with BTF); prints a `SKIPPED:` notice
/// when it cannot.
pub fn live_ready() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        skip("live capture tests need root");
        return false;
    }
    if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        skip("live capture tests need a kernel with BTF");
        return false;
    }
    true
}

/// Waits for the live CLI started with `-w path` to be capturing: it creates the file once
/// the probe is attached. Panics after 30 seconds.
pub fn wait_until_capturing(path: &std::path::Path) {
    let t0 = std::time::Instant::now();
    while !path.exists() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(30),
            "the capture did not start within 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// For a live test: the lock that runs the live tests of a binary one at a time (they all
/// watch the whole machine), once live capture can run here; else `None`, after the
/// `SKIPPED:` notice.
pub fn live_serial(lock: &std::sync::Mutex<()>) -> Option<std::sync::MutexGuard<'_, ()>> {
    let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    live_ready().then_some(guard)
}

/// A live inspector keeping the events `filter` matches.
pub fn live_inspector(filter: &str) -> peregrine::Inspector {
    peregrine::Inspector::builder()
        .live()
        .filter(filter)
        .unwrap()
        .build()
        .expect("starting live capture")
}

/// Compiles the live tests' workload `tests/live/SOURCE` into the target's temporary
/// directory as `name` (its process name), once per test binary.
pub fn compile_workload(name: &str, source: &str) -> PathBuf {
    built_once(name, |out| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/live")
            .join(source);
        let st = Command::new("cc")
            .args(["-O1", "-pthread", "-Wall", "-o"])
            .arg(out)
            .arg(&src)
            .status()
            .expect("a C compiler (scripts/install-deps installs gcc)");
        assert!(st.success(), "compiling {} failed", src.display());
    })
}

/// The program `name` in the target's temporary directory, made by `build` (given its path)
/// the first time a test of this binary asks for it. Tests run in parallel: none runs a
/// program another is still writing.
pub fn built_once(name: &str, build: impl FnOnce(&std::path::Path)) -> PathBuf {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    build(&out);
    built.insert(name.to_string(), out.clone());
    out
}

/// A fresh, empty directory under the target's temporary directory.
pub fn fresh_dir(name: &str) -> PathBuf {
    let d =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `name` under the target's temporary directory: the capture `src` (a reference
/// capture's name) with its metadata changed by `metadata` and its events, as (cpu, bytes),
/// replaced by what `events` makes of them.
pub fn rewrite_capture(
    src: &str,
    name: &str,
    metadata: impl FnOnce(&mut peregrine::capture::file::Metadata),
    events: impl FnOnce(Vec<(u16, Vec<u8>)>) -> Vec<(u16, Vec<u8>)>,
) -> PathBuf {
    use peregrine::capture::file::{FileReader, FileWriter};
    use peregrine::event::EventRef;
    let path = reference_capture(src).expect("a capture kept in tests/captures");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}.scap", std::process::id()));
    let mut r = FileReader::open(&path).unwrap();
    let mut all = Vec::new();
    while let Some(e) = r.next_event().unwrap() {
        all.push((e.cpu, e.event.as_bytes().to_vec()));
    }
    let mut md = r.take_metadata();
    metadata(&mut md);
    let mut w = FileWriter::create(&out, false, &md).unwrap();
    for (cpu, bytes) in events(all) {
        w.write_event(cpu, 0, &EventRef::new(&bytes).unwrap())
            .unwrap();
    }
    w.finish().unwrap();
    out
}
