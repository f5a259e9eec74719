//! Peregrine as an embedder gets it: a crate outside the repository that depends on it by
//! path with default features off builds and runs the README's library example, and its
//! dependency tree has none of the command line's crates.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

/// The first Rust example of a document.
fn rust_example(doc: &str) -> String {
    let start = doc.find("```rust\n").expect("a Rust example") + 8;
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_string()
}

/// A crate under the target's directory that depends on this one with `features`.
fn embedder(name: &str, main: &str) -> PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nperegrine = {{ path = {root:?}, default-features = false }}\n\n\
             [workspace]\n"
        ),
    )
    .unwrap();
    // The repository's lock file, so that the embedder builds the same versions offline.
    std::fs::copy(format!("{root}/Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    dir
}

fn cargo(dir: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        // A target directory of its own, kept between runs: the library without the CLI
        // is another build of it.
        .env(
            "CARGO_TARGET_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/target/embedder"),
        )
        .output()
        .expect("running cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_embedder_without_default_features_runs_the_readme_example() {
    let capture = reference_capture("cat_write.scap").unwrap();
    let example = rust_example(include_str!("../README.md"))
        .replace("\"capture.scap\"", &format!("{capture:?}"));
    let main = format!("fn main() -> Result<(), peregrine::Error> {{\n{example}    Ok(())\n}}\n");
    let dir = embedder("pg-embedder", &main);
    let tree = cargo(&dir, &["tree", "-e", "normal", "--prefix", "none"]);
    // clap is the command line's only dependency of its own.
    assert!(
        !tree.lines().any(|l| l.starts_with("clap ")),
        "the library without default features depends on clap:\n{tree}"
    );
    let ours = cargo(&dir, &["run", "--release", "--quiet"]);
    // The same events and fields as the command line gives.
    let filter = "evt.type in (execve, openat) and not proc.name = sshd";
    let cli = peregrine_ok(&[
        "-r",
        capture.to_str().unwrap(),
        "-p",
        "*%proc.name %evt.type %fd.name",
        filter,
    ]);
    assert_eq!(ours, "cat execve <NA>\n");
    assert_eq!(ours, cli);
}

/// docs/EMBEDDING.md's example, a whole program, builds and runs the same way.
#[test]
fn the_embedding_guide_example_runs() {
    let capture = reference_capture("run_as_user_0_container.scap").unwrap();
    let main = rust_example(include_str!("../docs/EMBEDDING.md"))
        .replace("\"capture.scap\"", &format!("{capture:?}"));
    let dir = embedder("pg-embedder-guide", &main);
    let ours = cargo(&dir, &["run", "--release", "--quiet"]);
    let cli = peregrine_ok(&[
        "-r",
        capture.to_str().unwrap(),
        "-p",
        "*%proc.name %fd.name ",
        "evt.type in (execve, openat) and not proc.name = sshd",
    ]);
    assert!(!ours.is_empty());
    assert_eq!(ours, cli);
}
