//! The house rules, checked on the source tree: small files, imports in the collector that
//! only point downstream, docs that live in the repository, one minimum Rust version.

use hush_tests::clickhouse::repo_root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest source file outside the detector families (which are data-heavy by nature).
const MAX_LINES: usize = 600;

/// Every file under `dir` with one of `extensions`, skipping build output and hidden
/// directories.
fn files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    todo.push(path);
                }
            } else if extensions
                .iter()
                .any(|e| path.extension().is_some_and(|x| x == *e))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn no_source_file_outside_the_detectors_is_over_600_lines() {
    let root = repo_root();
    let detectors = root.join("scrubbers/src/detectors");
    let long: Vec<String> = files(&root, &["rs"])
        .into_iter()
        .filter(|p| !p.starts_with(&detectors))
        .filter_map(|p| {
            let lines = std::fs::read_to_string(&p).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines})", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

#[test]
fn nothing_cites_a_design_document_outside_the_repository() {
    // Built at run time so this file does not cite it either.
    let outside = format!("{}.md", "DESIGN");
    let root = repo_root();
    let citing: Vec<PathBuf> = files(&root, &["rs", "md", "toml", "sh", "py"])
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&outside)))
        .collect();
    assert!(citing.is_empty(), "{citing:?}");
    assert!(root.join("ARCHITECTURE.md").is_file());
}

/// The collector's top-level modules and which others each one names (`crate::x`).
fn collector_imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_root().join("collector/src");
    let top = |p: &Path| -> String {
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_owned()
    };
    let all = files(&src, &["rs"]);
    let modules: BTreeSet<String> = all
        .iter()
        .map(|p| top(p))
        .filter(|m| !["lib", "main", "cli"].contains(&m.as_str()))
        .collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &all {
        let from = top(path);
        if !modules.contains(&from) {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if name != from && modules.contains(&name) {
                imports.entry(from.clone()).or_default().insert(name);
            }
        }
    }
    imports
}

#[test]
fn collector_modules_import_each_other_without_a_cycle() {
    let imports = collector_imports();
    // The flow: routes → pipeline → queue → sinks, never back.
    assert!(imports["routes"].contains("pipeline"));
    for (downstream, upstream) in [
        ("pipeline", "routes"),
        ("queue", "routes"),
        ("sinks", "routes"),
    ] {
        let names = imports.get(downstream).cloned().unwrap_or_default();
        assert!(!names.contains(upstream), "{downstream} imports {upstream}");
    }
    // Depth-first search for a cycle.
    fn visit(
        m: &str,
        imports: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!("import cycle: {:?}", &path[at..]);
        }
        if done.contains(m) {
            return;
        }
        path.push(m.to_owned());
        for next in imports.get(m).into_iter().flatten() {
            visit(next, imports, path, done);
        }
        path.pop();
        done.insert(m.to_owned());
    }
    let mut done = BTreeSet::new();
    for m in imports.keys() {
        visit(m, &imports, &mut Vec::new(), &mut done);
    }
}

#[test]
fn every_crate_inherits_the_workspace_rust_version() {
    let root = repo_root();
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(workspace.contains("rust-version = \"1.89\""));
    for krate in [
        "config",
        "scrubbers",
        "scrubbers/baseline",
        "sdk",
        "collector",
        "tests",
    ] {
        let manifest = std::fs::read_to_string(root.join(krate).join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("rust-version.workspace = true"),
            "{krate} does not inherit rust-version"
        );
    }
}
