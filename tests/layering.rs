//! The layers of `src/` (`docs/architecture.md`), held to their direction.
//!
//! Each folder of `src/` is one layer. A layer may use the layers below it
//! in [`LAYERS`] and itself, never one above it, and never the crate root
//! (`lib.rs` only re-exports the public paths, so going through it would
//! hide an import's layer). This test reads every file of the library and
//! fails on an import against that direction, unless [`EXCEPTIONS`] names
//! it with its reason. The binaries are not read: they see only the
//! library's public API.

use std::path::{Path, PathBuf};

/// The layers, bottom first: each may use those before it.
const LAYERS: &[(&str, &str)] = &[
    ("model", "records, states, the transition function: pure"),
    (
        "storage",
        "the narrow seam between the journal and the disk",
    ),
    ("format", "the bytes on disk and reading them back"),
    (
        "classify",
        "the restart classifier and the kept copy's rules: pure",
    ),
    ("journal", "the journal file, its clock, the hooks"),
    ("kept", "the kept copy of the config and its protocol"),
    (
        "provisioning",
        "the typestate API for in-process provisioners",
    ),
    (
        "failure_log",
        "the end of a failed boot's log, beside the journal",
    ),
    (
        "host",
        "the configuration, the running boot, a recreated /boot",
    ),
    ("report", "the post-mortem behind dump and status"),
    ("testing", "test machinery, with the `testing` feature only"),
];

/// Imports against the direction that are there on purpose: the importing
/// file, the layer it uses, and why. None today.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// One import a file makes of a layer (or of the crate root, `None`).
#[derive(Debug, PartialEq, Eq)]
struct Import {
    line: usize,
    layer: Option<String>,
    text: String,
}

/// The module path of the file at `relative` (to `src/`), as segments:
/// `model/transition/mod.rs` is `model::transition`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut segments: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let file = segments.pop().expect("a file name");
    if file != "mod.rs" {
        segments.push(file.trim_end_matches(".rs").to_owned());
    }
    segments
}

/// `text` without its comments (line comments, doc comments included, and
/// block comments) and string literals, which name paths without importing
/// them.
fn code_of(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_line, mut in_block, mut in_string) = (false, 0usize, false);
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                in_line = false;
                code.push('\n');
            }
            _ if in_line => {}
            '*' if in_block > 0 && chars.peek() == Some(&'/') => {
                chars.next();
                in_block -= 1;
            }
            '/' if in_block > 0 && chars.peek() == Some(&'*') => {
                chars.next();
                in_block += 1;
            }
            _ if in_block > 0 => {}
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            _ if in_string => {}
            '/' if chars.peek() == Some(&'/') => in_line = true,
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                in_block = 1;
            }
            '\'' => {
                // A char literal such as '"' must not open a string; a
                // lifetime is left as it is.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\\") || rest.chars().nth(1) == Some('\'') {
                    while let Some(next) = chars.next() {
                        if next == '\\' {
                            chars.next();
                        } else if next == '\'' {
                            break;
                        }
                    }
                } else {
                    code.push(c);
                }
            }
            _ => code.push(c),
        }
    }
    code
}

/// Every path the code of the file at `relative` (to `src/`) names that
/// leaves its module by `crate::` or `super::`, resolved to the layer it
/// lands in (`None`: the crate root itself). A `super::` inside an inline
/// module (`mod tests { use super::*; }`) starts from that module.
fn imports(relative: &Path, text: &str) -> Vec<Import> {
    let module = module_of(relative);
    let mut found = Vec::new();
    // Brace depth, and the depth at which each open inline module began.
    let (mut depth, mut inline): (usize, Vec<usize>) = (0, Vec::new());
    for (index, line) in code_of(text).lines().enumerate() {
        let bytes = line.as_bytes();
        let mut at = 0;
        while at < line.len() {
            let rest = &line[at..];
            let starts_word = at == 0 || !is_ident(bytes[at - 1]);
            let (mut resolved, mut path) = if starts_word && rest.starts_with("crate::") {
                (Vec::new(), &rest["crate::".len()..])
            } else if starts_word && rest.starts_with("super::") {
                let mut here = module.clone();
                here.extend(inline.iter().map(|_| "inline".to_owned()));
                (here, rest)
            } else {
                match bytes[at] {
                    b'{' => {
                        let before = line[..at].trim_end();
                        let opens_module =
                            before.rsplit_once("mod ").is_some_and(|(head, name)| {
                                name.bytes().all(is_ident)
                                    && head.split_whitespace().last().is_none_or(|word| {
                                        word == "pub"
                                            || word.starts_with("pub(")
                                            || word.ends_with(']')
                                    })
                            });
                        if opens_module {
                            inline.push(depth);
                        }
                        depth += 1;
                    }
                    b'}' => {
                        depth = depth.saturating_sub(1);
                        if inline.last() == Some(&depth) {
                            inline.pop();
                        }
                    }
                    _ => {}
                }
                at += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            };
            while let Some(after) = path.strip_prefix("super::") {
                resolved.pop();
                path = after;
            }
            let first: String = path
                .bytes()
                .take_while(|b| is_ident(*b))
                .map(char::from)
                .collect();
            let layer = match resolved.first() {
                Some(layer) => Some(layer.clone()),
                None if LAYERS.iter().any(|(layer, _)| *layer == first) => Some(first),
                None => None,
            };
            found.push(Import {
                line: index + 1,
                layer,
                text: rest
                    .split([';', ' ', ','])
                    .next()
                    .unwrap_or(rest)
                    .to_owned(),
            });
            at += "crate::".len();
        }
    }
    found
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|(name, _)| *name == layer)
}

/// What is wrong with the imports of the file at `relative`, in words.
fn violations(relative: &Path, text: &str) -> Vec<String> {
    let own = module_of(relative);
    let Some(own_layer) = own.first() else {
        return vec![format!("{}: not in a layer's folder", relative.display())];
    };
    let Some(own_rank) = rank(own_layer) else {
        return vec![format!(
            "{}: `{own_layer}` is not a layer of LAYERS",
            relative.display()
        )];
    };
    let file = relative.to_string_lossy().replace('\\', "/");
    let mut wrong = Vec::new();
    for import in imports(relative, text) {
        let problem = match &import.layer {
            None => Some("the crate root, which only re-exports".to_owned()),
            Some(layer) => match rank(layer) {
                None => Some(format!("`{layer}`, which is no layer")),
                Some(used) if used > own_rank => Some(format!("the layer `{layer}` above it")),
                Some(_) => None,
            },
        };
        let Some(problem) = problem else {
            continue;
        };
        let excepted = EXCEPTIONS
            .iter()
            .any(|(from, layer, _)| *from == file && import.layer.as_deref() == Some(*layer));
        if !excepted {
            wrong.push(format!(
                "{file}:{}: `{}` uses {problem} (layer `{own_layer}`)",
                import.line, import.text
            ));
        }
    }
    wrong
}

fn library_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            library_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_import_of_the_library_follows_the_layers() {
    let src = src();
    let mut files = Vec::new();
    for (layer, _) in LAYERS {
        library_files(&src.join(layer), &mut files);
    }
    let (mut wrong, mut read) = (Vec::new(), 0);
    for path in &files {
        let relative = path.strip_prefix(&src).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        read += imports(relative, &text).len();
        wrong.extend(violations(relative, &text));
    }
    assert!(files.len() > 40, "only {} files read", files.len());
    assert!(read > 200, "only {read} imports found");
    assert!(
        wrong.is_empty(),
        "imports against the layers (docs/architecture.md):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_module_of_the_crate_root_is_a_layer_and_every_layer_a_folder() {
    let src = src();
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut declared = Vec::new();
    for line in code_of(&lib).lines().map(str::trim) {
        let line = line.strip_prefix("pub ").unwrap_or(line);
        if let Some(name) = line
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'))
        {
            declared.push(name.to_owned());
        }
    }
    let layers: Vec<String> = LAYERS.iter().map(|(layer, _)| layer.to_string()).collect();
    let mut sorted = declared.clone();
    sorted.sort();
    let mut expected = layers.clone();
    expected.sort();
    assert_eq!(
        sorted, expected,
        "lib.rs declares other modules than LAYERS"
    );
    for layer in &layers {
        assert!(src.join(layer).join("mod.rs").is_file(), "{layer}/mod.rs");
    }
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name == "lib.rs" || name == "bin" || layers.contains(&name),
            "src/{name} is in no layer"
        );
    }
}

#[test]
fn every_exception_is_still_needed_and_says_why() {
    let src = src();
    for (file, layer, why) in EXCEPTIONS {
        assert!(why.len() > 20, "{file} -> {layer}: say why");
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        let uses = imports(Path::new(file), &text)
            .iter()
            .any(|import| import.layer.as_deref() == Some(*layer));
        assert!(uses, "{file} no longer uses `{layer}`: drop the exception");
    }
}

#[test]
fn an_import_against_the_direction_is_found() {
    // The checker itself, on code it must refuse and code it must accept.
    let upward = "use crate::report::Status;\nfn f() {}\n";
    let wrong = violations(Path::new("model/state.rs"), upward);
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(wrong[0].contains("model/state.rs:1") && wrong[0].contains("`report` above"));

    let through_root = "use crate::Journal;\n";
    let wrong = violations(Path::new("kept/mod.rs"), through_root);
    assert!(wrong[0].contains("crate root"), "{wrong:?}");

    // `super::super::` out of `report/walk/boots.rs` is still `report`; out
    // of a layer's `mod.rs` it is the root.
    let sibling = "use super::super::escape::quoted;\nuse super::item::Entry;\n";
    assert!(violations(Path::new("report/walk/boots.rs"), sibling).is_empty());
    assert!(!violations(Path::new("kept/mod.rs"), "use super::Journal;\n").is_empty());
    // A unit test module's `super` is the file's own module.
    let tests = "#[cfg(test)]\nmod tests {\n    use super::*;\n}\nuse super::Journal;\n";
    let wrong = violations(Path::new("kept/mod.rs"), tests);
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert!(wrong[0].contains("kept/mod.rs:5"), "{wrong:?}");

    let downward = "use crate::model::event::Event; // crate::report in a comment\n\
                    const TEXT: &str = \"crate::report\";\n";
    assert!(violations(Path::new("format/codec.rs"), downward).is_empty());
}
