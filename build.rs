//! Build script: compiles the eBPF probe under bpf/ with clang (through libbpf-cargo) into
//! an object file that src/capture/live embeds and loads with libbpf-rs.
//!
//! `PEREGRINE_CLANG` names the clang to use (default: `clang` on the PATH), so that CI can
//! build the probe with each compiler users may have (scripts/install-deps installs
//! Debian's clang 14 and clang-19).

use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let clang = env::var_os("PEREGRINE_CLANG").unwrap_or_else(|| "clang".into());
    const ARCHES: [&str; 2] = ["x86_64", "aarch64"];
    if !ARCHES.contains(&arch.as_str()) {
        panic!("the probe has no vmlinux.h for {arch} (bpf/<arch>/vmlinux.h)");
    }
    let compile = |source: &str, dir: &str, obj: PathBuf| {
        SkeletonBuilder::new()
            .source(source)
            .clang(&clang)
            .clang_args(["-I", "bpf", "-I", dir, "-O2", "-g", "-Wall"])
            .obj(obj)
            .build()
            .map(|_| ())
            .unwrap_or_else(|e| {
                panic!(
                    "compiling {source} for {dir} with {} (needs clang; scripts/install-deps \
                     installs it): {e}",
                    clang.to_string_lossy()
                )
            })
    };
    // The probe for this architecture, embedded; for the others, compiled only, so that a
    // change to the probe that breaks another architecture's build shows here.
    for a in ARCHES {
        let obj = if a == arch {
            out.join("probe.bpf.o")
        } else {
            out.join(format!("probe-{a}.bpf.o"))
        };
        compile("bpf/probe.bpf.c", &format!("bpf/{a}"), obj);
    }
    // A directory here means every file under it. (The live benchmark compiles its own
    // reference probes, so that the package needs nothing of benches/.)
    for f in ["bpf", "build.rs"] {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-env-changed=PEREGRINE_CLANG");
    // Which clang built the probe, for tests and reports (`env!("PEREGRINE_PROBE_CLANG")`).
    println!(
        "cargo:rustc-env=PEREGRINE_PROBE_CLANG={}",
        clang_version(&clang)
    );
}

/// The first line of `clang --version`, or the command's name if it does not run.
fn clang_version(clang: &std::ffi::OsStr) -> String {
    std::process::Command::new(clang)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| clang.to_string_lossy().into_owned())
}
