//! Build script: compiles the eBPF probe under bpf/ with clang (through libbpf-cargo) into
//! an object file that src/capture/live embeds and loads with libbpf-rs.

use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let arch_dir = match arch.as_str() {
        "x86_64" => "bpf/x86_64",
        other => panic!("the probe has no vmlinux.h for {other} yet (bpf/<arch>/vmlinux.h)"),
    };
    SkeletonBuilder::new()
        .source("bpf/probe.bpf.c")
        .clang_args(["-I", "bpf", "-I", arch_dir, "-O2", "-g", "-Wall"])
        .obj(out.join("probe.bpf.o"))
        .build()
        .expect("compiling bpf/probe.bpf.c (needs clang; scripts/install-deps installs it)");
    // The live benchmark's reference probes (benches/live/floor.bpf.c).
    SkeletonBuilder::new()
        .source("benches/live/floor.bpf.c")
        .clang_args(["-I", "bpf", "-I", arch_dir, "-O2", "-g", "-Wall"])
        .obj(out.join("floor.bpf.o"))
        .build()
        .expect("compiling benches/live/floor.bpf.c");
    for f in [
        "bpf/probe.bpf.c",
        "bpf/events.h",
        "bpf/rings.h",
        arch_dir,
        "benches/live/floor.bpf.c",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
