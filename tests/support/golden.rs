//! Golden files are rewritten with `UPDATE_GOLDEN=1` and only then: any
//! other value is a mistake and fails, and so does a rewrite under CI
//! (`CI=true`), where a test that rewrites what it compares with would pass
//! whatever the code does.

use std::path::Path;

/// Whether this run rewrites the golden files (`UPDATE_GOLDEN=1`).
///
/// # Panics
///
/// For any other value of `UPDATE_GOLDEN`, and for `1` under CI.
pub fn updating() -> bool {
    match std::env::var_os("UPDATE_GOLDEN") {
        None => false,
        Some(value) if value == "1" => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "UPDATE_GOLDEN=1 under CI: a run that rewrites the golden files checks nothing"
            );
            true
        }
        Some(value) => panic!(
            "UPDATE_GOLDEN={value:?}: set it to 1 to rewrite the golden files, or leave it unset"
        ),
    }
}

/// With [`updating`], writes `bytes` to the golden file `path` and returns
/// true: the caller compares nothing. Otherwise returns false.
pub fn update(path: &Path, bytes: &[u8]) -> bool {
    if !updating() {
        return false;
    }
    std::fs::write(path, bytes)
        .unwrap_or_else(|error| panic!("cannot write golden file {}: {error}", path.display()));
    true
}
