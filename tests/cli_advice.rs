//! What the command line tells an operator or a support engineer must never
//! mislead: each error names the real cause, and each piece of advice is a
//! step that cannot make matters worse.

mod cli_common;

use cli_common::{Boot, Scratch};

#[test]
fn reading_a_directory_names_it_without_a_hard_link_warning() {
    let scratch = Scratch::new("directory");
    let dir = scratch.path.join("dir");
    std::fs::create_dir_all(dir.join("a").join("b")).unwrap();
    std::fs::create_dir_all(dir.join("c")).unwrap();
    for args in [&["dump"][..], &["status"], &["status", "--json"]] {
        let run = Boot::first(1).run(&dir, args).expect(22);
        assert!(run.stderr.contains("directory"), "{args:?}: {run:#?}");
        assert!(!run.stderr.contains("hard link"), "{args:?}: {run:#?}");
    }
    let run = Boot::first(1).run(&scratch.path, &["dump", dir.to_str().unwrap()]);
    let run = run.expect(22);
    assert!(!run.stderr.contains("hard link"), "{run:#?}");
}
