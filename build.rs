//! Build script: compiles the eBPF probe under bpf/ with clang (through libbpf-cargo) into
//! an object file that src/capture/live embeds and loads with libbpf-rs.

use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    const ARCHES: [&str; 2] = ["x86_64", "aarch64"];
    if !ARCHES.contains(&arch.as_str()) {
        panic!("the probe has no vmlinux.h for {arch} (bpf/<arch>/vmlinux.h)");
    }
    let arch_dir = format!("bpf/{arch}");
    // The probe for this architecture, embedded; for the others, compiled only, so that a
    // change to the probe that breaks another architecture's build shows here.
    for a in ARCHES {
        let dir = format!("bpf/{a}");
        let obj = if a == arch {
            out.join("probe.bpf.o")
        } else {
            out.join(format!("probe-{a}.bpf.o"))
        };
        SkeletonBuilder::new()
            .source("bpf/probe.bpf.c")
            .clang_args(["-I", "bpf", "-I", &dir, "-O2", "-g", "-Wall"])
            .obj(obj)
            .build()
            .unwrap_or_else(|e| {
                panic!(
                    "compiling bpf/probe.bpf.c for {a} (needs clang; scripts/install-deps \
                     installs it): {e}"
                )
            });
    }
    // The live benchmark's reference probes (benches/live/floor.bpf.c).
    SkeletonBuilder::new()
        .source("benches/live/floor.bpf.c")
        .clang_args(["-I", "bpf", "-I", &arch_dir, "-O2", "-g", "-Wall"])
        .obj(out.join("floor.bpf.o"))
        .build()
        .expect("compiling benches/live/floor.bpf.c");
    for f in [
        "bpf/probe.bpf.c",
        "bpf/events.h",
        "bpf/rings.h",
        "bpf/kernel.h",
        "bpf/x86_64",
        "bpf/aarch64",
        "benches/live/floor.bpf.c",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
