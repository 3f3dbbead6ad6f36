//! The code's layout shows its stages: no file of the generator, of `xtask/tools` or of the
//! runtime imports a file that imports it back (directly or through others), and no function of
//! the generator is longer than 150 lines.
//!
//! An import is a `crate::…`, `super::…` or `self::…` path in code (comments and the `tests`
//! module at the end of a file are left out), or a `use child::…` of a child module; it points at
//! the file of the longest module prefix it names.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest function the generator may have.
const MAX_FUNCTION_LINES: usize = 150;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Module path (from the crate root) -> file, for every `.rs` file below `dir`; `prefix` is the
/// folder's own module path within its crate (`["runtime"]` for the runtime templates).
fn modules(dir: &Path, prefix: &[&str]) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(dir).unwrap();
            let mut module: Vec<String> = prefix.iter().map(|s| s.to_string()).collect();
            module.extend(
                rel.parent()
                    .into_iter()
                    .flat_map(|p| p.components())
                    .map(|c| c.as_os_str().to_string_lossy().into_owned()),
            );
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if stem == "main" {
                continue; // a binary's root: it uses the library by its crate name
            }
            if !matches!(stem.as_str(), "mod" | "lib") {
                module.push(stem);
            }
            out.insert(module, path);
        }
    }
    out
}

/// The code of a file without comments, without the bodies of `quote!` macros (Rust the
/// generator writes, whose `crate::` is the generated crate) and without its trailing
/// `#[cfg(test)] mod tests`.
fn code(text: &str) -> String {
    without_macro(&without_comments(text), "quote!")
}

/// `text` without the bracketed bodies of `macro` invocations.
fn without_macro(text: &str, name: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(name) {
        out.push_str(&rest[..i]);
        let after = rest[i + name.len()..].trim_start();
        let Some(open) = after.chars().next().filter(|c| matches!(c, '(' | '{' | '[')) else {
            out.push_str(name);
            rest = after;
            continue;
        };
        let close = match open {
            '(' => ')',
            '{' => '}',
            _ => ']',
        };
        let mut depth = 0usize;
        let mut end = after.len();
        for (j, c) in after.char_indices() {
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    end = j + 1;
                    break;
                }
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `text` without comments, and with the contents of string and character literals blanked.
fn without_comments(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal ('"', '\n'); a lifetime has no closing quote.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else if c == '"'
            || (c == 'r' && matches!(next, Some('"' | '#')) && !is_ident_char(chars.get(i.wrapping_sub(1))))
        {
            // A string, or a raw string `r#"…"#`: blanked.
            let raw = c == 'r';
            let mut hashes = 0;
            if raw {
                i += 1;
                while chars.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
            }
            i += 1;
            loop {
                match chars.get(i) {
                    None => break,
                    Some('\\') if !raw => i += 2,
                    Some('"') if (0..hashes).all(|h| chars.get(i + 1 + h) == Some(&'#')) => {
                        i += 1 + hashes;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            out.push_str("\"\"");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Every path the code names from `crate`, `super`, `self` or a child module, expanded through
/// `{…}` groups, as module paths from the crate root.
fn references(code: &str, module: &[String], children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let bytes: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        if !starts_word || !(bytes[i].is_alphabetic() || bytes[i] == '_') {
            i += 1;
            continue;
        }
        let (first, after) = ident(&bytes, i);
        let base: Option<Vec<String>> = match first.as_str() {
            "crate" => Some(Vec::new()),
            "super" => Some(module[..module.len().saturating_sub(1)].to_vec()),
            "self" => Some(module.to_vec()),
            name if children.contains(name) && preceded_by_use(&bytes, i) => {
                let mut m = module.to_vec();
                m.push(name.to_string());
                Some(m)
            }
            _ => None,
        };
        match base {
            Some(base) if bytes.get(after..after + 2) == Some(&[':', ':']) => {
                let (paths, end) = tail(&bytes, after + 2, base);
                out.extend(paths);
                i = end;
            }
            Some(base) if first != "crate" && first != "super" && first != "self" => {
                out.push(base);
                i = after;
            }
            _ => i = after,
        }
    }
    out
}

fn preceded_by_use(bytes: &[char], i: usize) -> bool {
    let before: String = bytes[..i].iter().collect();
    let trimmed = before.trim_end();
    trimmed.ends_with("use") || trimmed.ends_with('{') || trimmed.ends_with(',')
}

fn ident(bytes: &[char], start: usize) -> (String, usize) {
    let mut end = start;
    while end < bytes.len() && (bytes[end].is_alphanumeric() || bytes[end] == '_') {
        end += 1;
    }
    (bytes[start..end].iter().collect(), end)
}

/// The paths after `prefix::` at `i`: `a::b`, or a `{…}` group of such tails.
fn tail(bytes: &[char], mut i: usize, mut prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        while i < bytes.len() && bytes[i].is_whitespace() {
            i += 1;
        }
        if bytes.get(i) == Some(&'{') {
            let mut out = Vec::new();
            i += 1;
            loop {
                while i < bytes.len() && (bytes[i].is_whitespace() || bytes[i] == ',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == '}' {
                    return (out, i + 1);
                }
                let (paths, end) = tail(bytes, i, prefix.clone());
                out.extend(paths);
                i = end.max(i + 1);
            }
        }
        if i >= bytes.len() || !(bytes[i].is_alphabetic() || bytes[i] == '_' || bytes[i] == '*') {
            return (vec![prefix], i);
        }
        let (name, end) = ident(bytes, i);
        if name == "self" || name.is_empty() {
            return (vec![prefix], end.max(i + 1));
        }
        if name != "super" {
            prefix.push(name);
        } else {
            prefix.pop();
        }
        i = end;
        if bytes.get(i..i + 2) == Some(&[':', ':']) {
            i += 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// file -> the files it imports.
fn graph(dir: &Path, prefix: &[&str]) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let modules = modules(dir, prefix);
    let mut out = BTreeMap::new();
    for (module, file) in &modules {
        let children: BTreeSet<String> = modules
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m[module.len()].clone())
            .collect();
        let code = code(&std::fs::read_to_string(file).unwrap());
        let mut edges = BTreeSet::new();
        for path in references(&code, module, &children) {
            let target = (0..=path.len()).rev().find_map(|n| modules.get(&path[..n]));
            if let Some(target) = target.filter(|t| *t != file) {
                edges.insert(target.clone());
            }
        }
        out.insert(file.clone(), edges);
    }
    out
}

/// A cycle of imports, if there is one: the files along it, the first repeated at the end.
fn find_cycle(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    fn visit(
        node: &PathBuf,
        graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        done: &mut BTreeSet<PathBuf>,
        path: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
}

fn assert_acyclic(dir: &Path, prefix: &[&str]) {
    let graph = graph(dir, prefix);
    assert!(graph.len() > 3, "no sources found in {}", dir.display());
    if let Some(cycle) = find_cycle(&graph) {
        let names: Vec<String> =
            cycle.iter().map(|p| p.strip_prefix(root()).unwrap_or(p).display().to_string()).collect();
        panic!("import cycle: {}", names.join(" -> "));
    }
}

#[test]
fn the_generator_has_no_import_cycle() {
    assert_acyclic(&root().join("generator/src"), &[]);
}

#[test]
fn xtask_tools_has_no_import_cycle() {
    assert_acyclic(&root().join("xtask/tools/src"), &[]);
}

#[test]
fn the_runtime_has_no_import_cycle() {
    assert_acyclic(&root().join("templates/runtime"), &[]);
}

#[test]
fn the_checker_finds_cycles_and_follows_use_groups() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("model")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod model;\npub mod emit;\npub mod leaf;\npub use model::types::A;\n")
        .unwrap();
    std::fs::write(src.join("model/mod.rs"), "pub mod types;\npub mod build;\n").unwrap();
    std::fs::write(src.join("model/types.rs"), "// crate::emit is only a comment\npub struct A;\n").unwrap();
    std::fs::write(src.join("model/build.rs"), "use crate::{leaf, model::types::A};\nfn f() { super::types::A; }\n")
        .unwrap();
    std::fs::write(src.join("leaf.rs"), "pub fn x() -> &'static str { \"crate::emit::x\" }\n").unwrap();
    std::fs::write(src.join("emit.rs"), "use crate::model::build;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n")
        .unwrap();
    let g = graph(src, &[]);
    let edges = |f: &str| -> BTreeSet<String> {
        g[&src.join(f)].iter().map(|p| p.strip_prefix(src).unwrap().display().to_string()).collect()
    };
    assert_eq!(edges("model/build.rs"), ["leaf.rs", "model/types.rs"].map(String::from).into(), "{g:?}");
    assert_eq!(edges("lib.rs"), ["model/types.rs"].map(String::from).into());
    assert!(edges("model/types.rs").is_empty(), "comments are not imports");
    assert!(edges("leaf.rs").is_empty(), "strings are not imports");
    assert!(find_cycle(&g).is_none());
    // A lower stage that imports a higher one closes a cycle.
    std::fs::write(src.join("leaf.rs"), "use crate::emit;\n").unwrap();
    let cycle = find_cycle(&graph(src, &[])).unwrap();
    let names: Vec<String> = cycle.iter().map(|p| p.strip_prefix(src).unwrap().display().to_string()).collect();
    assert!(names.contains(&"leaf.rs".to_string()) && names.contains(&"emit.rs".to_string()), "{names:?}");
}

/// `(file, function, lines)` of every function longer than `max` lines (rustfmt'd code: a
/// function ends at the first `}` at its own indentation).
fn long_functions(dir: &Path, max: usize) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    for file in modules(dir, &[]).values() {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let rest = ["pub(crate) ", "pub(super) ", "pub ", "const ", "async ", "unsafe "]
                .iter()
                .fold(trimmed, |t, p| t.strip_prefix(p).unwrap_or(t));
            let rest = ["const ", "async ", "unsafe "].iter().fold(rest, |t, p| t.strip_prefix(p).unwrap_or(t));
            let Some(signature) = rest.strip_prefix("fn ") else { continue };
            if line.trim_end().ends_with(';') || line.trim_end().ends_with('}') {
                continue;
            }
            let name: String = signature.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let end = lines[i..].iter().position(|l| *l == format!("{indent}}}")).map_or(lines.len() - i, |n| n + 1);
            if end > max {
                out.push((file.strip_prefix(root()).unwrap_or(file).display().to_string(), name, end));
            }
        }
    }
    out
}

#[test]
fn no_generator_function_is_longer_than_150_lines() {
    let long = long_functions(&root().join("generator/src"), MAX_FUNCTION_LINES);
    assert!(long.is_empty(), "split these into named phases: {long:?}");
    // The check itself: it sees the generator's longer functions at a lower limit.
    assert!(!long_functions(&root().join("generator/src"), 60).is_empty());
}
