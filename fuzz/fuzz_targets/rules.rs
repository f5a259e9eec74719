//! Rules content: YAML read, items collected (append, override, exceptions), lists and
//! macros expanded, conditions and outputs compiled, and the rules evaluated against a few
//! events with state. Whatever the content, loading ends with rules or with diagnostics,
//! within the limits on nesting, aliases and macro expansion.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use peregrine::rules::RulesLoader;

/// libyaml-safer 0.3 has `panic!` paths for some malformed YAML; Peregrine catches them
/// and reports a parse error (tests/fuzz_regressions.rs), but libFuzzer's panic hook would
/// abort first. This hook lets those through to the catch and keeps every other panic
/// fatal.
fn quiet_yaml_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let fatal = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info
                .location()
                .is_some_and(|l| l.file().contains("libyaml-safer"))
            {
                return;
            }
            fatal(info);
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    quiet_yaml_panics();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut loader = RulesLoader::new();
    // Twice, as two files: the second sees (and may override or append to) the first.
    loader.load_str("a.yaml", text);
    loader.load_str("b.yaml", text);
    for r in loader.results() {
        for d in r.errors.iter().chain(&r.warnings) {
            let _ = peregrine::rules::describe(d);
        }
    }
    let Ok(rules) = loader.build() else {
        return;
    };
    for r in rules.rules() {
        let _ = r.condition().len() + r.output().len();
    }
    common::with_scene(|view| {
        for r in rules.rules() {
            r.matches_view(view);
        }
    });
});
