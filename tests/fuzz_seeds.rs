//! Replays every committed fuzz seed (`tests/fuzz-seeds/<target>/`, outside
//! the nested `fuzz/` package so the published crate carries them) and every
//! input a local fuzzing run saved (`fuzz/artifacts/<target>/`, if present)
//! through the library's fuzz bodies, so a past crash stays fixed in plain
//! `cargo test`. See `fuzz/README.md`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use provision_journal::fuzzing;

/// The regular files in `dir`, sorted; none if it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, body: fn(&[u8])) {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = inputs(&top.join("tests/fuzz-seeds").join(target));
    assert!(
        !seeds.is_empty(),
        "tests/fuzz-seeds/{target}/ holds no seeds: every target needs some"
    );
    let artifacts = inputs(&top.join("fuzz/artifacts").join(target));
    let mut failed = Vec::new();
    for path in seeds.iter().chain(&artifacts) {
        let data = std::fs::read(path).expect("a fuzz input reads");
        if catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    println!(
        "{target}: replayed {} seeds and {} saved inputs, {} failed",
        seeds.len(),
        artifacts.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{target} failed on {failed:#?}");
}

#[test]
fn decode_seeds_replay() {
    replay("decode", fuzzing::decode);
}

#[test]
fn classify_seeds_replay() {
    replay("classify", fuzzing::classify_history);
}

#[test]
fn crash_recovery_seeds_replay() {
    replay("crash_recovery", fuzzing::crash_recovery);
}
