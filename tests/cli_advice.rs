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

#[test]
fn a_mistyped_stage_lists_only_what_the_command_takes_and_the_closest() {
    let scratch = Scratch::new("stage-name");
    let journal = scratch.path.join("journal");
    let run = Boot::first(1).run(&journal, &["begin", "disk"]).expect(2);
    assert!(
        run.stderr
            .contains("[possible values: kargs, disks, mount, files, umount]"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("'disks'"), "{run:#?}");
    assert!(
        !run.stderr.contains("fetch"),
        "begin takes no fetch stage: {run:#?}"
    );
    let run = Boot::first(1).run(&journal, &["end", "umnt"]).expect(2);
    assert!(run.stderr.contains("'umount'"), "{run:#?}");
    let run = Boot::first(1)
        .run(&journal, &["begin", "fetch-offline"])
        .expect(2);
    assert!(run.stderr.contains("no begin or end record"), "{run:#?}");
    let run = Boot::first(1)
        .run(&journal, &["fail", "fetch-ofline"])
        .expect(2);
    assert!(
        run.stderr.contains("fetch-offline, fetch, kargs"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("'fetch-offline'"), "{run:#?}");
    assert!(!journal.exists(), "a usage error writes nothing");
}
