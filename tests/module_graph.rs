//! The module graph (ENGINEERING.md, "Layout"), read from the source text of all of `src/` (no
//! build of the crate needed). The compiler already refuses most wrong imports: each feature's
//! `api`, `server` and `service` modules are private, so only what its `mod.rs` re-exports from
//! them (`routes`, the server functions) is visible outside it. What the compiler cannot see is
//! checked here:
//!
//! 1. **No cycle between features**: the graph of which feature (`src/features/<f>/…`) names which
//!    other feature has no cycle.
//! 2. **The HTTP surface belongs to the router wiring**: a feature's `api`, `server` and `service`
//!    and the names its `mod.rs` re-exports from them are named only by the router wiring —
//!    `src/api/mod.rs` (the JSON routes), `src/http/mod.rs` (the axum application) and `src/app.rs`
//!    with `src/app/` (the pages) — never by the shared core (every other file outside a feature:
//!    `src/http/*`, `src/ui/`, `src/*.rs`, …; it may use a feature's model, rules, queries and
//!    commands) nor by another feature.
//! 3. **Features never name the router wiring** (`crate::api`, `crate::app`): it names every
//!    feature's surface, so a feature naming it depends on every other feature.
//! 4. A feature's server functions (`server.rs`) never name its own JSON adapter (`api`): both go
//!    through the feature's `service`.
//!
//! Paths are every `crate::…` and `super::…` path, `use` groups expanded, and every path through
//! a name a `use` gave to `crate::features` or a feature module (`use crate::features;` then
//! `features::recon::…`; `use crate::features::recon as r;` or `…::recon::{self as r}` then
//! `r::…`). Comments, strings and character literals are blanked first, so prose or a URL (`"//"`)
//! neither hides a path nor invents one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A feature's HTTP surface: its adapters and the use cases behind them.
const SURFACE: [&str; 3] = ["api", "server", "service"];

/// The router wiring: the files that may name a feature's HTTP surface.
fn is_wiring(rel: &str) -> bool {
    matches!(rel, "api/mod.rs" | "http/mod.rs" | "app.rs") || rel.starts_with("app/")
}

/// One path found in a file: its segments as written (groups expanded), the name a `use` gave it
/// (`as x`), and the 1-based line of its last segment.
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

/// Every problem in the files, each naming the file and line, then the cycles between features.
fn check(files: &[SourceFile]) -> Vec<String> {
    let features: BTreeSet<String> = files.iter().filter_map(|f| feature_of(&f.rel)).collect();
    let surface = surface_names(files, &features);
    let mut problems = Vec::new();
    // feature → feature → the first place the dependency is written.
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let own = feature_of(&file.rel);
        let module = module_path(&file.rel);
        let text = blank_comments_and_literals(&file.text);
        for (line, resolved) in resolved_paths(&text, &module) {
            let place = format!("src/{}:{line}", file.rel);
            if own.is_some() && matches!(resolved.first().map(String::as_str), Some("api" | "app")) {
                problems.push(format!(
                    "{place}: a feature names the router wiring `crate::{}`; move what it needs to the shared core",
                    resolved[0]
                ));
                continue;
            }
            if resolved.len() < 3 || resolved[0] != "features" || !features.contains(&resolved[1]) {
                continue;
            }
            let (other, item) = (&resolved[1], &resolved[2]);
            let names_surface = SURFACE.contains(&item.as_str()) || surface[other].contains(item);
            match &own {
                Some(own) if own == other && module.last().is_some_and(|m| m == "server") && item == "api" => {
                    problems.push(format!(
                        "{place}: the server functions of `{own}` name its JSON adapter `api`; call the feature's service"
                    ))
                }
                Some(own) if own == other => {}
                Some(own) => {
                    edges.entry(own.clone()).or_default().entry(other.clone()).or_insert_with(|| place.clone());
                    if names_surface {
                        problems.push(format!(
                            "{place}: feature `{own}` names `features::{other}::{item}`, another feature's HTTP surface; move what it needs to the shared core"
                        ));
                    }
                }
                None if names_surface && !is_wiring(&file.rel) => problems.push(format!(
                    "{place}: the shared core names `features::{other}::{item}`, a feature's HTTP surface; only the router wiring may"
                )),
                None => {}
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

/// For each feature, the names its `mod.rs` re-exports from its HTTP surface
/// (`pub use api::routes;`, `pub use server::{get_disputes, …};`).
fn surface_names(files: &[SourceFile], features: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut names: BTreeMap<String, BTreeSet<String>> = features.iter().map(|f| (f.clone(), BTreeSet::new())).collect();
    for file in files {
        let Some(feature) = feature_of(&file.rel).filter(|_| file.rel.ends_with("/mod.rs")) else { continue };
        let text = blank_comments_and_literals(&file.text);
        for (at, _) in text.match_indices("pub use ") {
            let mut found = Vec::new();
            Parser { text: &text, bytes: text.as_bytes(), at: at + "pub use ".len() }.path(Vec::new(), &mut found);
            for path in found.into_iter().filter(|p| p.segments.len() > 1 && SURFACE.contains(&p.segments[0].as_str()))
            {
                let name = path.alias.or_else(|| path.segments.last().cloned());
                names.entry(feature.clone()).or_default().extend(name);
            }
        }
    }
    names
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
    if parts.last().is_some_and(|p| p == "mod" || p == "lib" || p == "main") {
        parts.pop();
    }
    parts
}

/// The path from the crate root a written path names, for `crate::…` and `super::…` paths; a
/// trailing `self` (`recon::{self as r}`) is the module itself.
fn resolve(segments: &[String], module: &[String]) -> Option<Vec<String>> {
    let mut resolved = match segments.first()?.as_str() {
        "crate" => segments[1..].to_vec(),
        "super" => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let base = module.get(..module.len().checked_sub(ups)?)?;
            base.iter().chain(&segments[ups..]).cloned().collect()
        }
        _ => return None,
    };
    if resolved.last().is_some_and(|s| s == "self") {
        resolved.pop();
    }
    Some(resolved)
}

/// Every path of the (blanked) text as (line, path from the crate root): `crate::` and `super::`
/// paths, then the paths through names a `use` gave to `crate::features` or a feature module.
fn resolved_paths(text: &str, module: &[String]) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for found in paths_in(text, &["crate", "super"]) {
        let Some(resolved) = resolve(&found.segments, module) else { continue };
        if resolved.first().is_some_and(|s| s == "features") && resolved.len() <= 2 {
            let name = found.alias.clone().or_else(|| resolved.last().cloned());
            aliases.extend(name.map(|name| (name, resolved.clone())));
        }
        out.push((found.line, resolved));
    }
    let names: Vec<&str> = aliases.keys().map(String::as_str).collect();
    for found in paths_in(text, &names) {
        let Some(target) = aliases.get(&found.segments[0]) else { continue };
        if found.segments.len() > 1 {
            out.push((found.line, target.iter().chain(&found.segments[1..]).cloned().collect()));
        }
    }
    out
}

/// The text with comments, string literals and character literals blanked to spaces (newlines
/// kept, so line numbers stay right).
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, run: &[char]| out.extend(run.iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let end = if rest.starts_with(&['/', '/']) {
            rest.iter().position(|&c| c == '\n').unwrap_or(rest.len())
        } else if rest.starts_with(&['/', '*']) {
            let (mut depth, mut j) = (0, 0);
            while j < rest.len() {
                if rest[j..].starts_with(&['/', '*']) {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(&['*', '/']) {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            j
        } else if rest[0] == 'r' && starts_word(&chars[..i]) && raw_string_len(rest).is_some() {
            raw_string_len(rest).unwrap_or(1)
        } else if rest[0] == '"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != '"' {
                j += if rest[j] == '\\' { 2 } else { 1 };
            }
            (j + 1).min(rest.len())
        } else if rest[0] == '\'' && rest.get(1) == Some(&'\\') {
            // An escaped character literal: '\n', '\'', '\u{1F600}'.
            rest.iter().skip(3).position(|&c| c == '\'').map_or(1, |p| p + 4)
        } else if rest[0] == '\'' && rest.get(2) == Some(&'\'') {
            3
        } else {
            // Code (a lifetime's `'` included).
            out.push(rest[0]);
            i += 1;
            continue;
        };
        blank(&mut out, &rest[..end]);
        i += end;
    }
    out
}

/// Does a literal starting after `before` start a word (`r"…"`, or `br"…"` for a raw byte string)?
fn starts_word(before: &[char]) -> bool {
    let ident = |c: &char| c.is_alphanumeric() || *c == '_';
    match before {
        [.., b, 'b'] if !ident(b) => true,
        [.., 'b'] => before.len() == 1,
        [.., c] => !ident(c),
        [] => true,
    }
}

/// The length of the raw string literal `r"…"` / `r#"…"#` at the start of `text`, if it is one.
fn raw_string_len(text: &[char]) -> Option<usize> {
    let hashes = text[1..].iter().take_while(|&&c| c == '#').count();
    (text.get(1 + hashes) == Some(&'"')).then_some(())?;
    let body = 2 + hashes;
    let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
    let at = text[body..].windows(close.len()).position(|w| w == close.as_slice())?;
    Some(body + at + close.len())
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every path that starts with one of `starts` (a whole word not preceded by `::` or `.`),
/// `use` groups expanded.
fn paths_in(text: &str, starts: &[&str]) -> Vec<FoundPath> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let starts_path = (at == 0 || !(is_ident_byte(bytes[at - 1]) || matches!(bytes[at - 1], b':' | b'.')))
            && starts.iter().any(|w| {
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

/// A small parser of Rust paths: `a::b::{c, d::{e as f}, self as g, *}`.
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
fn the_module_graph_of_src_keeps_the_layout_rules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    paths.sort();
    let files: Vec<SourceFile> = paths
        .iter()
        .map(|p| SourceFile {
            rel: p.strip_prefix(&src).expect("under src/").to_string_lossy().replace('\\', "/"),
            text: std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display())),
        })
        .collect();
    assert!(files.iter().filter_map(|f| feature_of(&f.rel)).count() > 10, "the feature files were not found");
    assert!(
        files.iter().any(|f| f.rel == "api/mod.rs") && files.iter().any(|f| f.rel == "main.rs"),
        "all of src/ is read"
    );
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
        file(
            "features/exceptions/commands.rs",
            "use crate::features;\n\nfn f() { features::recon::service::start(); }\n",
        ),
        file(
            "features/exceptions/detail.rs",
            "use crate::features::recon::{self as r, model};\nfn f() {\n    r::server::x() }\n",
        ),
    ]);
    let at = |place: &str| problems.iter().any(|p| p.starts_with(place));
    assert!(at("src/features/exceptions/api.rs:3:"), "{problems:?}");
    assert!(at("src/features/exceptions/page.rs:1:"), "{problems:?}");
    assert!(at("src/features/exceptions/mod.rs:1:"), "{problems:?}");
    assert!(at("src/features/exceptions/queries.rs:3:"), "{problems:?}");
    assert!(at("src/features/exceptions/rules.rs:1:"), "{problems:?}");
    assert!(at("src/features/exceptions/commands.rs:3:"), "{problems:?}");
    assert!(at("src/features/exceptions/detail.rs:3:"), "{problems:?}");
    assert_eq!(problems.len(), 7, "{problems:?}");
}

#[test]
fn own_modules_shared_modules_comments_and_strings_are_not_problems() {
    let problems = check(&[
        file("features/recon/api.rs", "use crate::features::recon::server;\nuse super::server as s;\n"),
        file("features/recon/runs.rs", "// see crate::features::exceptions::api\nuse crate::http::server_fn;\n"),
        file("features/recon/page.rs", "use crate::features::exceptions::rules::Severity;\n"),
        file("features/exceptions/rules.rs", "/* crate::features::recon::api */ pub enum Severity {}\n"),
        file(
            "features/exceptions/model.rs",
            "const A: &str = \"crate::features::recon::api\";\nconst Q: char = '\"';\n",
        ),
        file("jobs.rs", "fn f() { crate::features::recon::runs::execute_job(); }\n"),
    ]);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_double_slash_inside_a_string_hides_nothing_after_it() {
    let problems = check(&[
        file("features/recon/model.rs", ""),
        file(
            "features/exceptions/api.rs",
            "const URL: &str = \"https://example.test\"; fn f() { crate::features::recon::api::x() }\n",
        ),
    ]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("src/features/exceptions/api.rs:1:"), "{problems:?}");
}

#[test]
fn only_the_router_wiring_names_a_features_http_surface() {
    let features = [
        file(
            "features/recon/mod.rs",
            "mod api;\nmod server;\npub use api::routes;\npub use server::{get_run, StartRun as Start};\n",
        ),
        file("features/recon/queries.rs", ""),
    ];
    let wiring = [
        file("api/mod.rs", "use crate::features;\nfn r() { features::recon::routes() }\n"),
        file("app/pages.rs", "use crate::features::recon::get_run;\n"),
        file("app.rs", "use crate::features::recon::Start;\n"),
    ];
    let mut all: Vec<SourceFile> = features.into_iter().chain(wiring).collect();
    assert!(check(&all).is_empty(), "{:?}", check(&all));
    all.extend([
        file("http/csv.rs", "use crate::features::recon::routes;\n"),
        file("ui/pager.rs", "fn f() {\n    crate::features::recon::get_run() }\n"),
        file("state.rs", "use crate::features::{self as f};\nfn g() { f::recon::service::x() }\n"),
        file("jobs.rs", "use crate::features::recon::Start;\nuse crate::features::recon::queries;\n"),
    ]);
    let problems = check(&all);
    let at = |place: &str| problems.iter().any(|p| p.starts_with(place) && p.contains("shared core"));
    assert!(at("src/http/csv.rs:1:"), "{problems:?}");
    assert!(at("src/ui/pager.rs:2:"), "{problems:?}");
    assert!(at("src/state.rs:2:"), "{problems:?}");
    assert!(at("src/jobs.rs:1:"), "{problems:?}");
    assert_eq!(problems.len(), 4, "{problems:?}");
}

#[test]
fn a_feature_naming_the_router_wiring_is_caught() {
    let problems = check(&[
        file("features/recon/service.rs", "use crate::api::date_param;\n"),
        file("features/disputes/page.rs", "fn f() { crate::app::use_current_user() }\n"),
        file("features/placeholders.rs", "fn f() { crate::app::use_current_user() }\n"),
        file("features/recon/api.rs", "use crate::paging::page_params;\n"),
    ]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("src/features/recon/service.rs:1:"), "{problems:?}");
    assert!(problems[1].starts_with("src/features/disputes/page.rs:1:"), "{problems:?}");
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
