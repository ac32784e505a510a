//! The module graph of the feature slices (ENGINEERING.md, "Layout"): a feature never imports
//! another feature's HTTP adapters (`api.rs`, `server.rs`) — what two features share lives in the
//! shared core —, a feature's server functions (`server.rs`) never reach into its own JSON adapter
//! (`api.rs`) — both go through the feature's `service` — and no two features depend on each other
//! in a cycle. Read from the source text
//! (no build of the crate needed): every `crate::…` and `super::…` path in a file under
//! `src/features/<X>/`, `use` groups (`crate::features::{recon::api, …}`) and aliases of a whole
//! feature module (`use crate::features::recon as r;` then `r::api::…`) included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The HTTP adapters of a feature, which no other feature may name.
const ADAPTERS: [&str; 2] = ["api", "server"];

/// One path found in a file: its segments as written (groups expanded) and the 1-based line of
/// its last segment.
#[derive(Debug)]
struct FoundPath {
    segments: Vec<String>,
    alias: Option<String>,
    line: usize,
}

/// A file as the checker sees it: its path relative to `src/` (`features/recon/api.rs`) and text.
struct SourceFile {
    rel: String,
    text: String,
}

/// Every problem in the files: adapter imports across features and from a feature's server
/// functions to its own JSON adapter, then cycles between features.
/// Each message names the file and line.
fn check(files: &[SourceFile]) -> Vec<String> {
    let features: BTreeSet<String> = files.iter().filter_map(|f| feature_of(&f.rel)).collect();
    let mut problems = Vec::new();
    // feature → feature → the first place the dependency is written.
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let Some(own) = feature_of(&file.rel) else { continue };
        let module = module_path(&file.rel);
        let text = strip_comments(&file.text);
        let mut aliases: Vec<(String, String)> = Vec::new();
        for found in paths_in(&text) {
            let Some(resolved) = resolve(&found.segments, &module) else { continue };
            if resolved.len() < 2 || resolved[0] != "features" || !features.contains(&resolved[1]) {
                continue;
            }
            let other = &resolved[1];
            if *other == own {
                if module.last().is_some_and(|m| m == "server") && resolved.get(2).is_some_and(|m| m == "api") {
                    problems.push(format!(
                        "src/{}:{}: the server functions of `{own}` name its JSON adapter `api`; call the feature's service",
                        file.rel, found.line
                    ));
                }
                continue;
            }
            let place = format!("src/{}:{}", file.rel, found.line);
            edges.entry(own.clone()).or_default().entry(other.clone()).or_insert_with(|| place.clone());
            match resolved.get(2) {
                Some(m) if ADAPTERS.contains(&m.as_str()) => problems.push(format!(
                    "{place}: feature `{own}` names `features::{other}::{m}`; move what it needs to the shared core"
                )),
                Some(_) => {}
                None => aliases.push((found.alias.clone().unwrap_or_else(|| other.clone()), other.clone())),
            }
        }
        for (alias, other) in aliases {
            for (line, m) in alias_uses(&text, &alias) {
                problems.push(format!(
                    "src/{}:{line}: feature `{own}` names `{alias}::{m}` (= `features::{other}::{m}`); move what it needs to the shared core",
                    file.rel
                ));
            }
        }
    }
    for cycle in cycles(&edges) {
        let steps: Vec<String> = cycle
            .iter()
            .zip(cycle.iter().cycle().skip(1))
            .map(|(a, b)| format!("{a} → {b} ({})", edges[a][b]))
            .collect();
        problems.push(format!("features depend on each other in a cycle: {}", steps.join(", ")));
    }
    // A `use` group naming two items of the same module is one problem, not two.
    let mut seen = BTreeSet::new();
    problems.retain(|p| seen.insert(p.clone()));
    problems
}

/// `features/recon/runs.rs` → `recon`; files directly in `features/` belong to no feature.
fn feature_of(rel: &str) -> Option<String> {
    let mut parts = rel.split('/');
    (parts.next() == Some("features")).then_some(())?;
    let name = parts.next()?;
    parts.next().map(|_| name.to_string())
}

/// `features/recon/runs.rs` → `[features, recon, runs]`; `…/mod.rs` is its directory's module.
fn module_path(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The path from the crate root a written path names, for `crate::…` and `super::…` paths.
fn resolve(segments: &[String], module: &[String]) -> Option<Vec<String>> {
    match segments.first()?.as_str() {
        "crate" => Some(segments[1..].to_vec()),
        "super" => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let base = module.get(..module.len().checked_sub(ups)?)?;
            Some(base.iter().chain(&segments[ups..]).cloned().collect())
        }
        _ => None,
    }
}

/// The text with `//` comments blanked (lines kept), so prose about a module is not a use of it.
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (a URL) ends the scan of that line early, which can
            // only hide a path, never invent one.
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every path that starts with `crate` or `super`, `use` groups expanded.
fn paths_in(text: &str) -> Vec<FoundPath> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let starts_path = (at == 0 || !(is_ident_byte(bytes[at - 1]) || bytes[at - 1] == b':'))
            && ["crate", "super"].iter().any(|w| {
                bytes[at..].starts_with(w.as_bytes()) && !bytes.get(at + w.len()).copied().is_some_and(is_ident_byte)
            });
        if starts_path {
            let mut parser = Parser { text, bytes, at };
            parser.path(Vec::new(), &mut found);
            at = parser.at.max(at + 1);
        } else {
            at += 1;
        }
    }
    found
}

/// A small parser of Rust paths: `a::b::{c, d::{e as f}, *}`.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.skip_space();
        let start = self.at;
        while self.bytes.get(self.at).copied().is_some_and(is_ident_byte) {
            self.at += 1;
        }
        (self.at > start).then(|| self.text[start..self.at].to_string())
    }

    fn eat(&mut self, token: &str) -> bool {
        let save = self.at;
        self.skip_space();
        if self.bytes[self.at..].starts_with(token.as_bytes()) {
            self.at += token.len();
            true
        } else {
            self.at = save;
            false
        }
    }

    fn line(&self) -> usize {
        self.text[..self.at].matches('\n').count() + 1
    }

    /// One path after `prefix`; each leaf (a path's end) is pushed to `found`.
    fn path(&mut self, mut prefix: Vec<String>, found: &mut Vec<FoundPath>) {
        loop {
            if self.eat("{") {
                loop {
                    if self.eat("}") {
                        return;
                    }
                    if self.eat("*") {
                        // A glob names no module of its own.
                    } else {
                        self.path(prefix.clone(), found);
                    }
                    if !self.eat(",") {
                        self.eat("}");
                        return;
                    }
                }
            }
            if self.eat("*") {
                return;
            }
            let Some(segment) = self.ident() else { return };
            prefix.push(segment);
            if !self.eat("::") {
                break;
            }
        }
        let line = self.line();
        let alias = if self.eat("as ") { self.ident() } else { None };
        found.push(FoundPath { segments: prefix, alias, line });
    }
}

/// Where `alias::api` / `alias::server` is written (a whole feature module imported under `alias`).
fn alias_uses(text: &str, alias: &str) -> Vec<(usize, &'static str)> {
    let mut uses = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for adapter in ADAPTERS {
            let needle = format!("{alias}::{adapter}");
            let hit = line.match_indices(&needle).any(|(at, _)| {
                let before = line[..at].bytes().last();
                let after = line.as_bytes().get(at + needle.len()).copied();
                !before.is_some_and(|b| is_ident_byte(b) || b == b':') && !after.is_some_and(is_ident_byte)
            });
            if hit {
                uses.push((index + 1, adapter));
            }
        }
    }
    uses
}

/// Every elementary cycle of the feature graph, each once, starting from its smallest feature.
fn cycles(edges: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    fn walk(
        edges: &BTreeMap<String, BTreeMap<String, String>>,
        start: &str,
        path: &mut Vec<String>,
        out: &mut Vec<Vec<String>>,
    ) {
        let Some(next) = path.last().and_then(|last| edges.get(last)) else { return };
        for to in next.keys() {
            if to == start {
                out.push(path.clone());
            } else if to.as_str() > start && !path.contains(to) {
                path.push(to.clone());
                walk(edges, start, path, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    for start in edges.keys() {
        walk(edges, start, &mut vec![start.clone()], &mut out);
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_feature_imports_another_features_http_module_and_no_features_form_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src.join("features"), &mut paths);
    paths.sort();
    let files: Vec<SourceFile> = paths
        .iter()
        .map(|p| SourceFile {
            rel: p.strip_prefix(&src).expect("under src/").to_string_lossy().replace('\\', "/"),
            text: std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display())),
        })
        .collect();
    assert!(files.iter().filter_map(|f| feature_of(&f.rel)).count() > 10, "the feature files were not found");
    let problems = check(&files);
    assert!(problems.is_empty(), "the module graph is broken:\n{}", problems.join("\n"));
}

fn file(rel: &str, text: &str) -> SourceFile {
    SourceFile { rel: rel.into(), text: text.into() }
}

#[test]
fn an_import_of_another_features_api_is_named_with_its_file_and_line() {
    let problems = check(&[
        file("features/exceptions/api.rs", "//! doc\n\nuse crate::features::disputes::api::{back_to, wants_html};\n"),
        file("features/disputes/api.rs", "pub fn back_to() {}\n"),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("src/features/exceptions/api.rs:3:"), "{problems:?}");
    assert!(problems[0].contains("features::disputes::api"), "{problems:?}");
}

#[test]
fn groups_super_paths_aliases_and_inline_paths_are_caught() {
    let problems = check(&[
        file("features/recon/model.rs", ""),
        file("features/disputes/model.rs", ""),
        file(
            "features/exceptions/api.rs",
            "use crate::features::{\n    disputes::model::Kpis,\n    recon::{model, server::get_run},\n};\n",
        ),
        file("features/exceptions/page.rs", "fn f() { super::super::recon::api::csv_response(); }\n"),
        file("features/exceptions/mod.rs", "pub use super::disputes::server as other;\n"),
        file("features/exceptions/queries.rs", "use crate::features::recon as r;\n\nfn f() { r::api::x(); }\n"),
        file("features/exceptions/rules.rs", "fn f() { crate::features::recon::api::csv_response(&n, &h, rows) }\n"),
    ]);
    let at = |place: &str| problems.iter().any(|p| p.starts_with(place));
    assert!(at("src/features/exceptions/api.rs:3:"), "{problems:?}");
    assert!(at("src/features/exceptions/page.rs:1:"), "{problems:?}");
    assert!(at("src/features/exceptions/mod.rs:1:"), "{problems:?}");
    assert!(at("src/features/exceptions/queries.rs:3:"), "{problems:?}");
    assert!(at("src/features/exceptions/rules.rs:1:"), "{problems:?}");
    assert_eq!(problems.len(), 5, "{problems:?}");
}

#[test]
fn own_modules_shared_modules_and_comments_are_not_problems() {
    let problems = check(&[
        file("features/recon/api.rs", "use crate::features::recon::server;\nuse super::server as s;\n"),
        file("features/recon/runs.rs", "// see crate::features::exceptions::api\nuse crate::features::server_ctx;\n"),
        file("features/recon/page.rs", "use crate::features::exceptions::rules::Severity;\n"),
        file("features/exceptions/rules.rs", "pub enum Severity {}\n"),
        file("features/server_ctx.rs", "use crate::features::recon::api;\n"),
    ]);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn server_functions_naming_their_own_features_api_are_caught() {
    let problems = check(&[
        file("features/exceptions/server.rs", "fn f() {\n    use super::api::{apply_action, READ};\n}\n"),
        file("features/disputes/server.rs", "fn f() { crate::features::disputes::api::kpis_cached(); }\n"),
        file("features/recon/server.rs", "use super::{model::RunPage, service};\n"),
        file("features/recon/api.rs", "use super::service;\n"),
    ]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("src/features/exceptions/server.rs:2:"), "{problems:?}");
    assert!(problems[0].contains("call the feature's service"), "{problems:?}");
    assert!(problems[1].starts_with("src/features/disputes/server.rs:1:"), "{problems:?}");
}

#[test]
fn two_features_importing_each_other_is_a_cycle_with_both_places() {
    let problems = check(&[
        file("features/recon/runs.rs", "use crate::features::exceptions::rules::raise_by_amount;\n"),
        file("features/exceptions/commands.rs", "\nuse crate::features::recon::model::RunCounts;\n"),
        file("features/overview/queries.rs", "use crate::features::recon::model::RunCounts;\n"),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("cycle"), "{problems:?}");
    assert!(problems[0].contains("exceptions → recon (src/features/exceptions/commands.rs:2)"), "{problems:?}");
    assert!(problems[0].contains("recon → exceptions (src/features/recon/runs.rs:1)"), "{problems:?}");
}

#[test]
fn longer_cycles_are_found_too() {
    let problems = check(&[
        file("features/a/x.rs", "use crate::features::b::model;\n"),
        file("features/b/x.rs", "use crate::features::c::model;\n"),
        file("features/c/x.rs", "use crate::features::a::model;\n"),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("a → b"), "{problems:?}");
    assert!(problems[0].contains("c → a (src/features/c/x.rs:1)"), "{problems:?}");
}
