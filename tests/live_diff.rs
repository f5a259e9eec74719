//! The differential corpus that grows itself: varied workloads are captured live with
//! `peregrine -w`, and each file is then read by Peregrine and by sysdig 0.29.3, the
//! reference reader, in its default output, in formats covering every field class and with
//! filters. The outputs must agree but for the differences docs/DIFFERENCES.md lists, each
//! of which the comparison names where it allows it (`Allowance`).
//!
//! The files keep out the events sysdig 0.29 cannot read (docs/LIVE.md): event types past
//! its table, and generic events of syscalls newer than it, which crash it.
//!
//! They need root, a kernel with BTF and sysdig; without them they print `SKIPPED:`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use common::*;
use peregrine::event::schema::ppm_sc_name;
use peregrine::event::{EVENT_MAX, event_info};

static SERIAL: Mutex<()> = Mutex::new(());

/// The first event type sysdig 0.29.3 does not know: it skips those without numbering them.
const SYSDIG_EVENT_MAX: u16 = 336;
/// The first syscall code past sysdig 0.29.3's syscall table: a generic event with such a
/// code crashes it.
const SYSDIG_SC_MAX: u16 = 330;

/// The process names of the workloads and of what they run: the tools of the shell pipeline
/// run as copies named `pg-*`, so that no other process of the machine is captured.
const NAMES: &str =
    "pg-workload, pg-fillers, pg-corpus, pg-sh, pg-cat, pg-grep, pg-wc, pg-ls, true";

/// The tools of the shell pipeline, copied under the names of `NAMES`.
const PIPELINE_TOOLS: [&str; 5] = ["sh", "cat", "grep", "wc", "ls"];

/// The capture filter: the workloads' events, but none sysdig 0.29 cannot read.
fn capture_filter() -> String {
    let mut names: Vec<&str> = (SYSDIG_EVENT_MAX..EVENT_MAX)
        .filter_map(event_info)
        .map(|e| e.name)
        .chain((SYSDIG_SC_MAX..1024).filter_map(ppm_sc_name))
        .filter(|n| *n != "NA")
        .collect();
    names.sort_unstable();
    names.dedup();
    format!(
        "proc.name in ({NAMES}) and not evt.type in ({})",
        names.join(", ")
    )
}

/// Captures what `run` does into `name.scap` under a fresh directory, which `run` gets as
/// its scratch directory; returns the name and the file.
fn capture(name: &'static str, run: impl FnOnce(&Path)) -> (&'static str, PathBuf) {
    let dir = fresh_dir(&format!("corpus-{name}"));
    let file = dir.join(format!("{name}.scap"));
    let scratch = dir.join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut cli = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .arg("-w")
        .arg(&file)
        .arg(capture_filter())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_until_capturing(&file);
    run(&scratch);
    // Let the rings drain, then stop the capture as Ctrl-C would.
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill has no memory preconditions; the pid is our child's.
    unsafe { libc::kill(cli.id() as i32, libc::SIGINT) };
    assert!(
        cli.wait().unwrap().success(),
        "the capture of {name} failed"
    );
    (name, file)
}

fn run_ok(cmd: &mut Command) {
    let st = cmd.status().expect("running a workload");
    assert!(st.success(), "{cmd:?} failed: {st}");
}

/// The workloads, each captured into its own file.
fn corpus() -> Vec<(&'static str, PathBuf)> {
    let workload = compile_workload("pg-workload", "workload.c");
    let fillers = compile_workload("pg-fillers", "fillers.c");
    let corpus = compile_workload("pg-corpus", "corpus.c");
    let fresh = |d: &Path, sub: &str| {
        let p = d.join(sub);
        std::fs::create_dir_all(&p).unwrap();
        p
    };
    let tools = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpus-tools");
    std::fs::create_dir_all(&tools).unwrap();
    for tool in PIPELINE_TOOLS {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let path = String::from_utf8(found.stdout).unwrap();
        std::fs::copy(path.trim(), tools.join(format!("pg-{tool}"))).unwrap();
    }
    let fillers_in = |modes: [&'static str; 2]| {
        let fillers = fillers.clone();
        move |d: &Path| {
            for mode in modes {
                let dir = fresh(d, mode);
                run_ok(
                    Command::new(&fillers)
                        .arg(mode)
                        .arg(dir)
                        .stdout(Stdio::null()),
                );
            }
        }
    };
    vec![
        capture("workload", |d| run_ok(Command::new(&workload).arg(d))),
        capture("fds-io", fillers_in(["fds", "io"])),
        capture("proc-files", fillers_in(["proc", "files"])),
        capture("pipeline", |d| {
            run_ok(
                Command::new(tools.join("pg-sh"))
                    .current_dir(d)
                    .env("PATH", &tools)
                    .args([
                        "-c",
                        "pg-cat /etc/passwd | pg-grep root | pg-wc -l > out; pg-ls . > /dev/null",
                    ]),
            )
        }),
        capture("server", |_| run_ok(Command::new(&corpus).arg("server"))),
        capture("lifecycle", |_| {
            run_ok(Command::new(&corpus).arg("lifecycle"))
        }),
    ]
}

/// Formats of the fields sysdig 0.29 follows without enter events: event, process, thread,
/// user, group and container fields. Compared line by line, but for the allowances.
const FORMATS: &[&str] = &[
    "%evt.num %evt.time %evt.rawtime %evt.reltime %evt.cpu %evt.dir %evt.type %evt.res %evt.failed %evt.rawarg.res %evt.is_io %evt.is_io_read %evt.is_io_write %evt.is_wait %evt.is_syslog %evt.count",
    "%evt.num %evt.latency %evt.deltatime %evt.args",
    "%evt.num %thread.tid %thread.vtid %thread.ismain %proc.pid %proc.vpid %proc.ppid %proc.name %proc.exe %proc.args %proc.cmdline %proc.pname %proc.pcmdline %proc.cwd",
    "%evt.num %proc.sid %proc.sname %proc.vpgid %proc.tty %proc.loginshellid %proc.is_exe_writable %proc.nthreads %proc.nchilds %proc.apid[2] %proc.aname[2]",
    "%evt.num %user.uid %user.name %user.homedir %user.shell %user.loginuid %user.loginname %group.gid %group.name %container.id %container.name",
];

/// Formats of fd fields, compared on the events whose fd sysdig 0.29 takes from the exit
/// itself (`FD_EXITS`): without enter events it knows no other event's fd.
const FD_FORMATS: &[&str] = &[
    "%evt.num %evt.category %evt.buflen %fd.num %fd.type %fd.typechar %fd.name %fd.directory %fd.filename %fd.is_server %fd.sockfamily %fd.l4proto %fd.name_changed",
    "%evt.num %fd.cip %fd.sip %fd.cport %fd.sport %fd.lip %fd.rip %fd.lport %fd.rport %fd.cproto %fd.sproto",
];

/// The successful exits that name their own fd (the result). (Without enter events, sysdig
/// 0.29 gives a failed open the fd of an earlier event.)
const FD_EXITS: &str = "evt.dir=< and evt.failed=false and evt.type in (open, openat, openat2, creat, accept, accept4)";

/// Filters, each shown with `FILTER_FORMAT`.
const FILTERS: &[&str] = &[
    "evt.failed=true",
    "proc.name=true or proc.pname=pg-corpus",
    "user.name=root and group.name=root and evt.type=execve",
    "evt.type in (execve, clone, clone3, fork, vfork, procexit) and not proc.name=pg-sh",
    "evt.is_io_write=true and proc.name in (pg-cat, pg-grep, pg-wc)",
    "fd.typechar=f and fd.name contains scratch",
    "fd.type in (ipv4, ipv6) or fd.l4proto=tcp",
    "fd.name startswith /etc or fd.directory=/lib/x86_64-linux-gnu",
];
const FILTER_FORMAT: &str = "%evt.num %evt.type %proc.name %thread.tid";

/// How a line of Peregrine's output may differ from sysdig's, each a difference
/// docs/DIFFERENCES.md lists with the reason Peregrine's is the better one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Allowance {
    /// Parameters the current schema added to an event type sysdig 0.29 knows: Peregrine
    /// shows them after those sysdig shows.
    NewerParams,
    /// Flags newer than sysdig 0.29's tables (`O_F_CREATED`).
    NewerFlagNames,
    /// An fd argument's description: sysdig 0.29 takes an exit's fd from its enter event,
    /// and these files have none.
    FdOfExitWithoutEnter,
    /// An event whose type has no parameters in sysdig 0.29's table (sendmmsg, recvmmsg):
    /// sysdig drops its line from a format with a field it lacks.
    ParamsUnknownToSysdig,
    /// A thread whose parent died: Peregrine re-parents it to the reaper the exit event
    /// names; sysdig 0.29 keeps the dead parent.
    Orphan,
    /// A process after its fchdir: sysdig 0.29 takes the directory's fd from the enter
    /// event, and so keeps the old cwd.
    CwdAfterFchdir,
    /// A process after an execve made from one of its threads: the kernel ended the other
    /// threads, which sysdig 0.29 keeps (`proc.nthreads`, `proc.nchilds`).
    ThreadsEndedByExecve,
}

/// The first line of each event, by event number (every output starts with `%evt.num`).
fn by_num(out: &str) -> std::collections::BTreeMap<u64, &str> {
    out.lines()
        .filter_map(|l| Some((l.split(' ').next()?.parse().ok()?, l)))
        .collect()
}

/// Whether two tokens of an `evt.info` are the same argument, whose fd description alone
/// differs: `fd=3(<4>)` and `fd=3(<f>/tmp/x)`, or `res=0(<p>)` and `res=0`.
fn same_fd_argument(ours: &str, theirs: &str) -> bool {
    let bare = |t: &str| t.split_once("(<").map_or(t, |(b, _)| b).to_owned();
    let (o, t) = (bare(ours), bare(theirs));
    o == t && (ours.contains("(<") || theirs.contains("(<")) && o.contains('=')
}

/// Why a default-output line of ours differs from sysdig's, or `None` if nothing allows it.
fn default_line_allowance(ours: &str, theirs: &str) -> Option<Allowance> {
    let mut why = None;
    let ours = if ours.contains("|O_F_CREATED") {
        why = Some(Allowance::NewerFlagNames);
        ours.replace("|O_F_CREATED", "")
    } else {
        ours.to_owned()
    };
    let (o, t): (Vec<&str>, Vec<&str>) = (ours.split(' ').collect(), theirs.split(' ').collect());
    // sysdig's line ends with a space after its last argument.
    let t = &t[..t.len() - usize::from(t.last() == Some(&""))];
    if o.len() < t.len() {
        return None;
    }
    for (a, b) in o.iter().zip(t) {
        if a != b {
            if !same_fd_argument(a, b) {
                return None;
            }
            why = why.max(Some(Allowance::FdOfExitWithoutEnter));
        }
    }
    if o.len() > t.len() + 1 {
        why = why.max(Some(Allowance::NewerParams));
    }
    why
}

/// What one comparison found: the allowances used, with a count each.
type Tally = std::collections::BTreeMap<Allowance, usize>;

/// The events, by number, where an allowance applies.
type Scopes = Vec<(Allowance, std::collections::BTreeSet<u64>)>;

/// Compares a `-p` or filter output: each event's line equal, or the event in the scope of
/// an allowance (for `ParamsUnknownToSysdig`, only a line sysdig drops).
fn compare_lines(
    what: &str,
    ours: &str,
    theirs: &str,
    scopes: &Scopes,
    tally: &mut Tally,
    failures: &mut Vec<String>,
) {
    let (o, t) = (by_num(ours), by_num(theirs));
    for num in o
        .keys()
        .chain(t.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (a, b) = (o.get(num), t.get(num));
        if a == b {
            continue;
        }
        let scoped = scopes.iter().find(|(w, events)| {
            events.contains(num) && (*w != Allowance::ParamsUnknownToSysdig || b.is_none())
        });
        let why = if let Some((w, _)) = scoped {
            Some(*w)
        } else if let (Some(a), Some(b), true) = (a, b, what.contains("%evt.args")) {
            default_line_allowance(a, b)
        } else {
            None
        };
        match why {
            Some(w) => *tally.entry(w).or_default() += 1,
            None => failures.push(format!(
                "{what}: event {num}\n  peregrine: {}\n  sysdig:    {}",
                a.unwrap_or(&"(no line)"),
                b.unwrap_or(&"(no line)")
            )),
        }
    }
}

/// (event number, thread, process, parent) of every event, from Peregrine's output.
fn event_threads(file: &str) -> Vec<(u64, String, String, String)> {
    peregrine_ok(&[
        "-r",
        file,
        "-p",
        "%evt.num %thread.tid %proc.pid %proc.ppid",
    ])
    .lines()
    .map(|l| {
        let v: Vec<&str> = l.split(' ').collect();
        (v[0].parse().unwrap(), v[1].into(), v[2].into(), v[3].into())
    })
    .collect()
}

/// The events of the processes whose parent is not the process that made them (orphans,
/// adopted by a reaper), from Peregrine's output.
fn orphan_events(file: &str) -> std::collections::BTreeSet<u64> {
    let clones = "evt.type in (clone, clone3, fork, vfork) and evt.dir=< and evt.rawres>0";
    let maker: std::collections::HashMap<String, String> =
        peregrine_ok(&["-r", file, "-p", "%evt.rawres %proc.pid", clones])
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(c, p)| (c.to_owned(), p.to_owned())))
            .collect();
    event_threads(file)
        .into_iter()
        .filter(|(_, tid, pid, ppid)| tid == pid && maker.get(pid).is_some_and(|m| m != ppid))
        .map(|(num, ..)| num)
        .collect()
}

/// The events of each process from its first event in `triggers` (an event number and a
/// pid per line, `-p "%evt.num %proc.pid"`) on, and those of the children it has since.
fn events_of_processes_after(file: &str, triggers: &str) -> std::collections::BTreeSet<u64> {
    let mut from = std::collections::HashMap::new();
    for l in triggers.lines() {
        let (num, pid) = l.split_once(' ').unwrap();
        from.entry(pid.to_owned())
            .or_insert(num.parse::<u64>().unwrap());
    }
    let mut out = std::collections::BTreeSet::new();
    for (num, _, pid, ppid) in event_threads(file) {
        if !from.contains_key(&pid) && from.get(&ppid).is_some_and(|f| num >= *f) {
            from.insert(pid.clone(), num);
        }
        if from.get(&pid).is_some_and(|f| num >= *f) {
            out.insert(num);
        }
    }
    out
}

/// The scope of every allowance of -p and filter outputs on `file`; `bare` the events whose
/// type has no parameters in sysdig 0.29's table.
fn scopes(file: &str, bare: std::collections::BTreeSet<u64>) -> Scopes {
    let fchdirs = peregrine_ok(&[
        "-r",
        file,
        "-p",
        "%evt.num %proc.pid",
        "evt.type=fchdir and evt.dir=<",
    ]);
    // An execve after which sysdig counts more threads than Peregrine: made from a thread.
    let execs = "evt.type=execve and evt.dir=< and evt.failed=false";
    let format = "%evt.num %proc.pid %proc.nthreads";
    let (ours, theirs) = (
        peregrine_ok(&["-r", file, "-p", format, execs]),
        sysdig(&["-r", file, "-p", format, execs]),
    );
    let thread_execs: String = ours
        .lines()
        .zip(theirs.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| format!("{}\n", a.rsplit_once(' ').unwrap().0))
        .collect();
    vec![
        (Allowance::Orphan, orphan_events(file)),
        (Allowance::ParamsUnknownToSysdig, bare),
        (
            Allowance::CwdAfterFchdir,
            events_of_processes_after(file, &fchdirs),
        ),
        (
            Allowance::ThreadsEndedByExecve,
            events_of_processes_after(file, &thread_execs),
        ),
    ]
}

#[test]
fn live_captures_read_alike_in_peregrine_and_sysdig() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !live_ready() || !have_sysdig() {
        return;
    }
    let mut tally = Tally::new();
    let mut failures = Vec::new();
    let mut runs = 0;
    let mut events = 0;
    for (name, file) in corpus() {
        let f = file.to_str().unwrap();
        // The default output: every event, with all its arguments.
        let ours = peregrine_ok(&["-r", f]);
        let theirs = modern_syscall_names(&sysdig(&["-r", f]));
        events += ours.lines().count();
        assert!(ours.lines().count() > 20, "{name}: few events:\n{ours}");
        let (o, t) = (by_num(&ours), by_num(&theirs));
        assert_eq!(
            o.keys().collect::<Vec<_>>(),
            t.keys().collect::<Vec<_>>(),
            "{name}: the two number the events otherwise"
        );
        // Events whose type sysdig 0.29 shows without arguments, where Peregrine has some.
        let bare = o
            .iter()
            .filter(|(num, a)| {
                let b = t[*num];
                b.ends_with(&format!(" < {} ", b.split(' ').nth(6).unwrap_or(""))) && **a != b
            })
            .map(|(num, _)| *num)
            .collect();
        let scopes = scopes(f, bare);
        for (num, a) in &o {
            let b = t[num];
            if a == &b {
                continue;
            }
            let scoped = scopes
                .iter()
                .find(|(w, events)| *w != Allowance::ParamsUnknownToSysdig && events.contains(num));
            match default_line_allowance(a, b).or(scoped.map(|(w, _)| *w)) {
                Some(w) => *tally.entry(w).or_default() += 1,
                None => failures.push(format!(
                    "{name} default: event {num}\n  peregrine: {a}\n  sysdig:    {b}"
                )),
            }
        }
        runs += 1;
        let mut compare = |what: String, args: Vec<&str>| {
            let ours = peregrine_ok(&args);
            let theirs = modern_syscall_names(&sysdig(&args));
            compare_lines(&what, &ours, &theirs, &scopes, &mut tally, &mut failures);
        };
        for fmt in FORMATS {
            compare(format!("{name} -p '{fmt}'"), vec!["-r", f, "-p", fmt]);
        }
        for fmt in FD_FORMATS {
            compare(
                format!("{name} -p '{fmt}' {FD_EXITS}"),
                vec!["-r", f, "-p", fmt, FD_EXITS],
            );
        }
        for filter in FILTERS {
            let filter = if filter.contains("fd.") {
                format!("({filter}) and {FD_EXITS}")
            } else {
                filter.to_string()
            };
            compare(
                format!("{name} '{filter}'"),
                vec!["-r", f, "-p", FILTER_FORMAT, &filter],
            );
        }
        runs += FORMATS.len() + FD_FORMATS.len() + FILTERS.len();
    }
    println!("{runs} runs over {events} events; allowed differences: {tally:?}");
    assert!(
        failures.is_empty(),
        "{} differences no allowance explains; the first 20:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}
