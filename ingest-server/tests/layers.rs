//! The server's modules depend one way: each uses only modules of the layers
//! below its own (ARCHITECTURE.md, "Layers"). Read from the source, so an
//! import that points up or sideways fails here rather than in a review.

use std::collections::BTreeSet;
use std::path::Path;

/// Bottom first. `lib.rs` wires them all together and is above every layer.
const LAYERS: &[&[&str]] = &[
    &["clock", "metrics", "tls"],
    &["model"],
    &["config"],
    &["validate", "noise", "enrich"],
    &["record"],
    &["spool"],
    &["store"],
    &["evaluate", "probe", "symbolicate"],
    &["notify"],
    &["error"],
    &["extract", "listen"],
    &["receive", "serve", "upload"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| {
            panic!("module `{module}` is in no layer: add it to LAYERS and ARCHITECTURE.md")
        })
}

/// The top-level modules a file's code names as `crate::module` (comments,
/// which may link anywhere, left out). Items of the crate
/// root itself (`crate::AppState`, the state lib.rs assembles for the
/// handlers) are not modules and are left out.
fn uses(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .flat_map(|code| {
            code.match_indices("crate::")
                .filter(|(at, _)| !code[..*at].ends_with(char::is_alphanumeric))
                .map(|(at, prefix)| {
                    code[at + prefix.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
        })
        .filter(|name| name.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let source = std::fs::read_to_string(file).unwrap();
        for used in uses(&source) {
            if used != module && layer_of(&used) >= layer_of(&module) {
                wrong.push(format!("{} uses crate::{used}", relative.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_imports() {
    let found =
        uses("use crate::model::alert::Alert;\nlet x = crate::clock::now_millis(); // notcrate::x");
    let state = uses("State<crate::AppState>");
    assert!(state.is_empty());
    assert_eq!(
        found,
        BTreeSet::from(["model".to_owned(), "clock".to_owned()])
    );
}
