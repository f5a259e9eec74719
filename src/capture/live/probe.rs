//! Loading the probe (bpf/probe.bpf.c, built into this crate by build.rs): opening the
//! object, sizing its per-CPU maps, loading every program into the kernel, and, when the
//! kernel refuses one, an error that says which program, what the verifier said last and
//! what to do.

use std::os::fd::AsFd;
use std::sync::Mutex;
use std::time::Duration;

use libbpf_rs::{AsRawLibbpf, MapHandle, Object, ObjectBuilder, PrintLevel};

use crate::error::{Error, Result};

/// The compiled probe.
static PROBE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// The compiler that built the probe into this library (`clang --version`'s first line).
pub const PROBE_COMPILER: &str = env!("PEREGRINE_PROBE_CLANG");

/// The verifier's limit on the instructions it processes for one program.
pub const VERIFIER_LIMIT: u32 = 1_000_000;

/// One program of the probe as the kernel's verifier saw it when it loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramStats {
    /// The program's name: `sys_exit`, `sys_enter` and `sched_process_exit` are attached;
    /// `NAME_x` and `NAME_e` fill the exit and enter events called NAME.
    pub name: String,
    /// Instructions the verifier processed to accept it (its limit is [`VERIFIER_LIMIT`]).
    pub verified_insns: u32,
    /// How long the verifier took, when the kernel reported it.
    pub verification_time: Option<Duration>,
}

pub(super) fn live_err(what: &str, e: impl std::fmt::Display) -> Error {
    let why = e.to_string();
    let hint = if why.contains("Operation not permitted") || why.contains("EPERM") {
        " (live capture needs root, or CAP_BPF and CAP_PERFMON)"
    } else {
        ""
    };
    Error::Live {
        what: what.to_string(),
        why: format!("{why}{hint}"),
    }
}

/// What libbpf said while the probe loaded: its warnings name the program the kernel
/// refused and carry the verifier's log.
static LIBBPF_SAID: Mutex<String> = Mutex::new(String::new());

fn keep_libbpf_message(level: PrintLevel, msg: String) {
    if std::env::var_os("PEREGRINE_LIBBPF_LOG").is_some() {
        eprint!("{msg}");
    }
    if level != PrintLevel::Debug {
        let mut said = LIBBPF_SAID.lock().unwrap_or_else(|e| e.into_inner());
        // A failed load's log can be long; what matters is at its end.
        if said.len() > (4 << 20) {
            let cut = said.len() - (1 << 20);
            let cut = (cut..said.len())
                .find(|&i| said.is_char_boundary(i))
                .unwrap_or(said.len());
            said.drain(..cut);
        }
        said.push_str(&msg);
    }
}

/// The probe, loaded into the kernel and not yet attached, with the verifier's statistics
/// of each program when they were asked for.
pub(super) struct Loaded {
    pub object: Object,
    pub stats: Vec<ProgramStats>,
}

/// Opens the probe, sizes the ring table and the scratch buffers for `ncpu` CPUs (the ring
/// template `ring_template` gives the rings' size), and loads it. With `stats`, each
/// program's verifier statistics are kept.
pub(super) fn load(ncpu: usize, ring_template: &MapHandle, stats: bool) -> Result<Loaded> {
    let mut open = ObjectBuilder::default()
        .open_memory(PROBE)
        .map_err(|e| live_err("opening the probe", e))?;
    for mut m in open.maps_mut() {
        if m.name() == "rings" {
            m.set_max_entries(ncpu as u32)
                .and_then(|_| m.set_inner_map_fd(ring_template.as_fd()))
                .map_err(|e| live_err("sizing the ring table", e))?;
        } else if m.name() == "aux_map" {
            m.set_max_entries(ncpu as u32)
                .map_err(|e| live_err("sizing the scratch buffers", e))?;
        }
    }
    // With stats, each program gets a buffer for the verifier's statistics (log level 4:
    // the counts and the time, not the walk).
    let mut logs: Vec<(String, Vec<u8>)> = Vec::new();
    if stats {
        for mut p in open.progs_mut() {
            let name = p.name().to_string_lossy().into_owned();
            let mut buf = vec![0u8; 64 << 10];
            p.set_log_level(4);
            // SAFETY: the program pointer is libbpf's, valid while `open` lives; the buffer
            // is owned by `logs`, which outlives the load below, and is not moved (a Vec's
            // heap buffer stays where it is when the Vec itself moves).
            let rc = unsafe {
                libbpf_rs::libbpf_sys::bpf_program__set_log_buf(
                    p.as_libbpf_object().as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len() as _,
                )
            };
            if rc != 0 {
                return Err(live_err("asking for the verifier's statistics", rc));
            }
            logs.push((name, buf));
        }
    }
    LIBBPF_SAID
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    libbpf_rs::set_print(Some((PrintLevel::Debug, keep_libbpf_message)));
    let loaded = open.load();
    libbpf_rs::set_print(None);
    let mut said = std::mem::take(&mut *LIBBPF_SAID.lock().unwrap_or_else(|e| e.into_inner()));
    let object = loaded.map_err(|e| {
        // With a buffer of ours, libbpf does not quote the verifier's log: quote it here.
        let refused = refused_program(&said);
        if let Some((_, log)) = logs
            .iter()
            .find(|(n, _)| Some(n.as_str()) == refused.as_deref())
        {
            let log = String::from_utf8_lossy(log.split(|&b| b == 0).next().unwrap_or_default());
            said.push_str(&format!(
                "-- BEGIN PROG LOAD LOG --\n{log}\n-- END PROG LOAD LOG --\n"
            ));
        }
        load_error(&e.to_string(), &said)
    })?;
    let mut stats = Vec::new();
    for (name, log) in &logs {
        let log = String::from_utf8_lossy(log.split(|&b| b == 0).next().unwrap_or_default());
        let verified_insns = object
            .progs()
            .find(|p| p.name().to_string_lossy() == name.as_str())
            .map_or(0, |p| verified_insns(p.as_fd()));
        stats.push(ProgramStats {
            name: name.clone(),
            verified_insns,
            verification_time: number_after(&log, "verification time ").map(Duration::from_micros),
        });
    }
    Ok(Loaded { object, stats })
}

/// The instructions the verifier processed for the loaded program `fd` (kernels from 5.16
/// report it; 0 before).
fn verified_insns(fd: std::os::fd::BorrowedFd<'_>) -> u32 {
    use std::os::fd::AsRawFd;
    let mut info = libbpf_rs::libbpf_sys::bpf_prog_info::default();
    let mut len = std::mem::size_of_val(&info) as u32;
    // SAFETY: `info` is a writable bpf_prog_info of `len` bytes; its pointer fields are
    // zero, so the kernel writes nothing through them.
    let rc = unsafe {
        libbpf_rs::libbpf_sys::bpf_prog_get_info_by_fd(fd.as_raw_fd(), &mut info, &mut len)
    };
    if rc == 0 { info.verified_insns } else { 0 }
}

/// The decimal number that follows `label` in `text`.
fn number_after(text: &str, label: &str) -> Option<u64> {
    let rest = &text[text.find(label)? + label.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The program libbpf's warnings in `said` say the kernel refused.
fn refused_program(said: &str) -> Option<String> {
    said.lines().rev().find_map(|l| {
        let rest = l.strip_prefix("libbpf: prog '")?;
        let (name, tail) = rest.split_once("': ")?;
        (tail.contains("load failed") || tail.contains("failed to")).then(|| name.to_string())
    })
}

/// How many of the verifier's last lines an error quotes.
const LOG_LINES: usize = 12;

/// The error for a probe the kernel refused: which program (from libbpf's warnings in
/// `said`), the end of the verifier's log, and what to do.
fn load_error(err: &str, said: &str) -> Error {
    let program = refused_program(said);
    // The verifier's log of the failed program, as libbpf quoted it.
    let verifier_log = match (
        said.rfind("-- BEGIN PROG LOAD LOG --"),
        said.rfind("-- END PROG LOAD LOG --"),
    ) {
        (Some(b), Some(e)) if b < e => Some(&said[b..e]),
        _ => None,
    };
    let log: Vec<&str> = match verifier_log {
        Some(log) => log.lines().skip(1).collect(),
        None => said
            .lines()
            .filter(|l| l.starts_with("libbpf: "))
            .map(|l| l.trim_end())
            .collect(),
    };
    let log: Vec<&str> = log.into_iter().filter(|l| !l.trim().is_empty()).collect();
    let last = &log[log.len().saturating_sub(LOG_LINES)..];
    let text = last.join("\n");
    let kernel = kernel_release();
    let advice = if err.contains("Operation not permitted") || text.contains("EPERM") {
        "live capture needs root, or CAP_BPF and CAP_PERFMON".to_string()
    } else if release_before(&kernel, MIN_KERNEL) {
        format!(
            "this kernel ({kernel}) is older than Linux {}.{}, which the probe needs \
             (bpf_loop, BTF-typed tracepoints, ring buffers)",
            MIN_KERNEL.0, MIN_KERNEL.1
        )
    } else if text.contains("BPF program is too large") || err.contains("Argument list too long") {
        format!(
            "the kernel's verifier ({kernel}) walked more than its limit of {VERIFIER_LIMIT} \
             instructions: a probe bug; please report it with this message"
        )
    } else if text.contains("unknown#195896080") || text.contains("invalid CO-RE relocation") {
        format!(
            "the probe reads a kernel field or type that this kernel ({kernel}) lacks, \
             without checking for it first: a probe bug; please report it with this message"
        )
    } else if said.contains("BTF") && said.contains("not found") {
        format!(
            "this kernel ({kernel}) lacks a type or hook the probe needs: it needs Linux 5.17 \
             or later with BTF (CONFIG_DEBUG_INFO_BTF)"
        )
    } else if verifier_log.is_some() {
        format!(
            "the kernel's verifier ({kernel}) rejected it: a probe bug; please report it \
             with this message"
        )
    } else {
        format!(
            "the kernel ({kernel}) refused it: live capture needs Linux 5.17 or later with \
             BTF; if this kernel has both, this is a probe bug; please report it with this \
             message"
        )
    };
    let what = match &program {
        Some(p) => format!("loading the probe: the kernel refused its program `{p}`"),
        None => "loading the probe".to_string(),
    };
    let mut why = format!("{err}; {advice}");
    if !text.is_empty() {
        why.push_str("\nthe verifier's last words:\n");
        for l in last {
            why.push_str("    ");
            why.push_str(l.strip_prefix("libbpf: ").unwrap_or(l));
            why.push('\n');
        }
        why.pop();
    }
    Error::Live { what, why }
}

/// The oldest kernel the probe can load on: bpf_loop() came in 5.17.
pub const MIN_KERNEL: (u32, u32) = (5, 17);

/// Whether kernel release `release` ("6.1.0-57-amd64") is older than `(major, minor)`;
/// false when it cannot be read.
fn release_before(release: &str, (major, minor): (u32, u32)) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(a), Some(b)) => (a, b) < (major, minor),
        _ => false,
    }
}

/// The running kernel's release (`uname -r`).
fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown version".into())
}

/// Loads the probe into the kernel without attaching it, and reports how the verifier took
/// each of its programs: what `tests/live.rs` and the kernel matrix check against the
/// verifier's limit, and what `peregrine --probe-stats` prints. Needs what live capture
/// needs (root and BTF).
pub fn probe_stats() -> Result<Vec<ProgramStats>> {
    super::check_btf()?;
    let ncpu = libbpf_rs::num_possible_cpus().map_err(|e| live_err("counting CPUs", e))?;
    let template = super::ring_template(4096)?;
    let loaded = load(ncpu, &template, true)?;
    Ok(loaded.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_program_is_named_with_the_end_of_its_log() {
        let said = "libbpf: prog 'execve_x': BPF program load failed: Argument list too long\n\
                    libbpf: prog 'execve_x': -- BEGIN PROG LOAD LOG --\n\
                    0: (79) r6 = *(u64 *)(r1 +0)\n\
                    BPF program is too large. Processed 1000001 insn\n\
                    processed 1000001 insns (limit 1000000)\n\
                    -- END PROG LOAD LOG --\n\
                    libbpf: prog 'execve_x': failed to load: -7\n";
        let e = load_error("Argument list too long (os error 7)", said).to_string();
        assert!(
            e.starts_with(
                "live capture: loading the probe: the kernel refused its program `execve_x`: \
                 Argument list too long (os error 7); the kernel's verifier"
            ),
            "{e}"
        );
        assert!(
            e.ends_with(
                "the verifier's last words:\n    0: (79) r6 = *(u64 *)(r1 +0)\n    \
                 BPF program is too large. Processed 1000001 insn\n    \
                 processed 1000001 insns (limit 1000000)"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_poisoned_relocation_is_told_as_a_missing_field() {
        let said = "libbpf: prog 'sys_exit': BPF program load failed: Invalid argument\n\
                    libbpf: prog 'sys_exit': -- BEGIN PROG LOAD LOG --\n\
                    123: (85) call unknown#195896080\n\
                    invalid func unknown#195896080\n\
                    -- END PROG LOAD LOG --\n";
        let e = load_error("Invalid argument (os error 22)", said).to_string();
        assert!(e.contains("program `sys_exit`"), "{e}");
        assert!(
            e.contains("reads a kernel field or type that this kernel"),
            "{e}"
        );
        assert!(e.contains("    invalid func unknown#195896080"), "{e}");
    }

    #[test]
    fn a_field_the_kernel_lacks_is_told_as_such() {
        // As libbpf 1.7 and 6.1's verifier said it for capabilities read as a u64.
        let said = "libbpf: prog 'execve_x': BPF program load failed: -EINVAL\n\
                    libbpf: prog 'execve_x': -- BEGIN PROG LOAD LOG --\n\
                    2720: (85) call bpf_probe_read_kernel#113\n\
                    2721: <invalid CO-RE relocation>\n\
                    failed to resolve CO-RE relocation <byte_off> [131] struct \
                    cred.cap_effective.val (0:8:0 @ offset 40)\n\
                    -- END PROG LOAD LOG --\n";
        let e = load_error("Invalid argument (os error 22)", said).to_string();
        assert!(e.contains("program `execve_x`"), "{e}");
        assert!(
            e.contains("reads a kernel field or type that this kernel"),
            "{e}"
        );
        assert!(
            e.ends_with("struct cred.cap_effective.val (0:8:0 @ offset 40)"),
            "{e}"
        );
    }

    #[test]
    fn kernel_releases_are_compared_by_major_and_minor() {
        assert!(release_before("5.15.0-91-generic", (5, 17)));
        assert!(release_before("4.18.0-513.el8.x86_64", (5, 17)));
        assert!(!release_before("5.17.0", (5, 17)));
        assert!(!release_before("6.1.0-57-amd64", (5, 17)));
        assert!(!release_before("6.18.44-fc-v1252", (5, 17)));
        assert!(!release_before("unknown version", (5, 17)));
    }

    #[test]
    fn numbers_are_read_after_their_label() {
        let log = "verification time 1234 usec\nstack depth 0\nprocessed 56 insns";
        assert_eq!(number_after(log, "verification time "), Some(1234));
        assert_eq!(number_after(log, "processed "), Some(56));
        assert_eq!(number_after(log, "missing "), None);
    }
}
