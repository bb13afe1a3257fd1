//! A test that cannot run here (no root, no loop devices, a missing tool)
//! says why and passes; under CI (`CI=true`) it must run, so the reason
//! fails it instead.

use std::fmt::Display;

/// Skips the calling test: prints `SKIPPED: WHY` on stderr, or fails with
/// `WHY` under CI. The caller returns right after.
///
/// # Panics
///
/// Under CI (`CI=true`).
pub fn skip(why: impl Display) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "this test cannot run under CI (CI=true), where it must: {why}"
    );
    eprintln!("SKIPPED: {why}");
}
