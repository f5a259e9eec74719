//! Build script. The eBPF probe under bpf/ is compiled here (libbpf-cargo) once live capture
//! lands; until then there is nothing to generate.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
