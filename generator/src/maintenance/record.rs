//! What a metadata bump writes: new pins (URL at another commit, sha256) and the next crate version
//! into `codegen.yaml`, keeping its comments, and the CHANGELOG entry that the metadata diff's
//! classification implies (breaking -> major). `cargo xtask fetch-metadata --update-pins` and
//! `cargo xtask diff-metadata --record` drive it; `cargo xtask codegen` then copies the CHANGELOG
//! into the crate and stamps the version into its `Cargo.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::emit::output::write_file_atomic;
use crate::error::{Error, Result};
use crate::inputs::config::{Config, InputPin};
use crate::inputs::pins::verify_pin;
use crate::inputs::version::{Bump, next_version};
use crate::maintenance::commits::short;
use crate::maintenance::diff::MetadataDiff;

/// Replaces the scalar value at `key_path` (mapping keys, outermost first) of a block-style YAML
/// document, keeping every other byte (comments, order, blank lines). The key must exist and hold a
/// plain scalar on its own line; `value` must be a plain scalar that needs no quoting.
pub fn set_yaml_scalar(text: &str, file: &Path, key_path: &[&str], value: &str) -> Result<String> {
    let plain = !value.is_empty()
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.starts_with(|c: char| "!&*'\"{}[]|>%@`#,?-:".contains(c) || c.is_whitespace())
        && !value.ends_with(|c: char| c.is_whitespace() || c == ':')
        && !value.contains('\n');
    if !plain {
        return Err(Error::file(file, format!("cannot write `{value}` as a plain YAML scalar")));
    }
    let mut stack: Vec<(usize, &str)> = Vec::new();
    let mut out = String::with_capacity(text.len() + value.len());
    let mut done = false;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let content = body.trim_start();
        let indent = body.len() - content.len();
        let key_value = (!content.is_empty() && !content.starts_with('#') && !content.starts_with('-'))
            .then(|| content.split_once(':'))
            .flatten()
            .filter(|(_, rest)| rest.is_empty() || rest.starts_with([' ', '\t']));
        let Some((key, rest)) = key_value else {
            out.push_str(line);
            continue;
        };
        while stack.last().is_some_and(|&(i, _)| i >= indent) {
            stack.pop();
        }
        stack.push((indent, key.trim()));
        let here = stack.len() == key_path.len() && stack.iter().map(|(_, k)| *k).eq(key_path.iter().copied());
        if !here {
            out.push_str(line);
            continue;
        }
        let old = rest.trim();
        let (old_value, comment) = match old.find(" #") {
            Some(i) => (old[..i].trim(), &old[i..]),
            None => (old, ""),
        };
        if old_value.is_empty() || old_value.starts_with(['|', '>', '"', '\'', '[', '{', '&', '*', '!']) {
            return Err(Error::input(
                file,
                crate::error::Loc { line: index as u32 + 1, col: indent as u32 + 1 },
                format!("`{}` is not a plain scalar on one line; edit it by hand", key_path.join(".")),
            ));
        }
        out.push_str(&body[..indent]);
        out.push_str(key);
        out.push_str(": ");
        out.push_str(value);
        out.push_str(comment);
        out.push_str(ending);
        done = true;
    }
    if !done {
        return Err(Error::file(file, format!("key `{}` not found", key_path.join("."))));
    }
    Ok(out)
}

/// One CHANGELOG entry for a metadata bump: the version, the date, the inputs that moved, the
/// classification and every change (breaking ones first).
pub fn changelog_entry(version: &str, date: &str, diff: &MetadataDiff, pins: &BTreeMap<String, PinChange>) -> String {
    let breaking = diff.changes.iter().filter(|c| c.breaking).count();
    let mut out = format!("## {version} ({date})\n\n");
    out.push_str(&format!(
        "Metadata bump of the {} API: {} change(s), {breaking} breaking, semver bump **{}**.\n",
        diff.api_version,
        diff.changes.len(),
        diff.bump()
    ));
    if !pins.is_empty() {
        out.push_str("\nInputs:\n");
        for (name, change) in pins {
            out.push_str(&format!(
                "- `{name}`: sha256 {} -> {} ({})\n",
                short(&change.old_sha256),
                short(&change.new.sha256),
                change.new.url
            ));
        }
    }
    for (title, want_breaking) in [("Breaking", true), ("Other", false)] {
        let mut changes: Vec<_> = diff.changes.iter().filter(|c| c.breaking == want_breaking).collect();
        if changes.is_empty() {
            continue;
        }
        changes.sort();
        out.push_str(&format!("\n### {title}\n\n"));
        for c in changes {
            out.push_str(&format!("- {:?} `{}`: {}\n", c.kind, c.subject, c.detail));
        }
    }
    out
}

/// Puts `entry` before the newest entry (the first `## ` heading), after the title and preamble.
pub fn prepend_entry(changelog: &str, entry: &str) -> String {
    let at = changelog
        .match_indices("\n## ")
        .next()
        .map(|(i, _)| i + 1)
        .or_else(|| changelog.starts_with("## ").then_some(0))
        .unwrap_or(changelog.len());
    let (head, tail) = changelog.split_at(at);
    let mut out = head.to_string();
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
    out.push_str(entry);
    if !tail.is_empty() {
        out.push('\n');
        out.push_str(tail);
    }
    out
}

/// A pin that a bump moves.
#[derive(Debug, Clone)]
pub struct PinChange {
    pub old_sha256: String,
    pub new: InputPin,
}

/// What [`record`] changed.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub old_version: String,
    pub new_version: String,
    /// The CHANGELOG that got an entry (none when the version did not move or none is configured).
    pub changelog: Option<PathBuf>,
}

/// Writes a bump: the moved pins and the next version into `config_file`, and the entry into the
/// configured CHANGELOG. With `diff == None` only the pins move. The new `codegen.yaml` is re-read
/// before it replaces the old one, so a failed edit leaves both files as they were.
pub fn record(
    config_file: &Path,
    pins: &BTreeMap<String, PinChange>,
    diff: Option<&MetadataDiff>,
    date: &str,
) -> Result<Recorded> {
    let config = Config::load(config_file)?;
    let mut text = std::fs::read_to_string(config_file).map_err(|e| Error::io(config_file, e))?;
    for (name, change) in pins {
        config.pin(name)?;
        text = set_yaml_scalar(&text, config_file, &["inputs", name, "url"], &change.new.url)?;
        text = set_yaml_scalar(&text, config_file, &["inputs", name, "sha256"], &change.new.sha256)?;
    }
    let old_version = config.krate.version.clone();
    let bump = diff.map_or(Bump::None, MetadataDiff::bump);
    let new_version = next_version(&old_version, bump).map_err(|m| Error::file(config_file, m))?;
    if new_version != old_version {
        text = set_yaml_scalar(&text, config_file, &["crate", "version"], &new_version)?;
    }
    // Re-read what is about to be written: the edit must say exactly what was asked.
    let check_file = config_file.with_extension(format!("yaml.tmp-{}", std::process::id()));
    std::fs::write(&check_file, &text).map_err(|e| Error::io(&check_file, e))?;
    let reread = Config::load(&check_file);
    let consistent = reread.as_ref().is_ok_and(|c| {
        c.krate.version == new_version
            && pins.iter().all(|(n, p)| c.inputs.get(n).is_some_and(|i| i.url == p.new.url && i.sha256 == p.new.sha256))
    });
    if !consistent {
        let _ = std::fs::remove_file(&check_file);
        let why = reread.err().map_or_else(|| "the values read back differ".to_string(), |e| e.to_string());
        return Err(Error::file(config_file, format!("internal error: editing the pins would break the file: {why}")));
    }
    let mut changelog = None;
    if let (Some(diff), Some(path), true) = (diff, config.changelog_path(), new_version != old_version) {
        let existing = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "# Changelog\n".to_string(),
            Err(e) => {
                let _ = std::fs::remove_file(&check_file);
                return Err(Error::io(&path, e));
            }
        };
        let updated = prepend_entry(&existing, &changelog_entry(&new_version, date, diff, pins));
        if let Err(e) = write_file_atomic(&path, &updated) {
            let _ = std::fs::remove_file(&check_file);
            return Err(e);
        }
        changelog = Some(path);
    }
    std::fs::rename(&check_file, config_file).map_err(|e| {
        let _ = std::fs::remove_file(&check_file);
        Error::io(config_file, e)
    })?;
    Ok(Recorded { old_version, new_version, changelog })
}

/// Stores downloaded bytes of input `name` in `cache_dir` after checking them against the pin.
/// On a mismatch nothing in the cache changes and the error names both hashes.
pub fn store_verified(cache_dir: &Path, name: &str, pin: &InputPin, bytes: &[u8]) -> Result<PathBuf> {
    let target = cache_dir.join(&pin.path);
    verify_pin(name, &target, pin, bytes)?;
    write_file_atomic(&target, bytes)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::pins::sha256_hex;

    #[test]
    fn yaml_scalar_edit_keeps_everything_else() {
        let text = "# top\ncrate:\n  name: x\n  version: 0.1.0 # stamped\ninputs:\n  a:\n    url: http://h/1\n    sha256: aa\n  b:\n    url: http://h/2\n    sha256: bb\n";
        let path = Path::new("codegen.yaml");
        let edited = set_yaml_scalar(text, path, &["inputs", "b", "url"], "http://h/3").unwrap();
        assert_eq!(edited, text.replace("http://h/2", "http://h/3"));
        let edited = set_yaml_scalar(text, path, &["crate", "version"], "0.2.0").unwrap();
        assert_eq!(edited, text.replace("0.1.0 # stamped", "0.2.0 # stamped"));
        let err = set_yaml_scalar(text, path, &["inputs", "c", "url"], "x").unwrap_err().to_string();
        assert!(err.contains("inputs.c.url") && err.contains("codegen.yaml"), "{err}");
        assert!(set_yaml_scalar(text, path, &["crate", "version"], "a: b").is_err());
        let block = "crate:\n  version: |\n    0.1.0\n";
        let err = set_yaml_scalar(block, path, &["crate", "version"], "0.2.0").unwrap_err().to_string();
        assert!(err.contains("codegen.yaml:2:3"), "{err}");
    }

    #[test]
    fn entries_go_before_the_newest() {
        let log = "# Changelog\n\nIntro.\n\n## 0.1.0 (2026-01-01)\n\nFirst.\n";
        let out = prepend_entry(log, "## 0.2.0 (2026-02-01)\n\nSecond.\n");
        assert_eq!(
            out,
            "# Changelog\n\nIntro.\n\n## 0.2.0 (2026-02-01)\n\nSecond.\n\n## 0.1.0 (2026-01-01)\n\nFirst.\n"
        );
        assert_eq!(prepend_entry("# Changelog\n", "## 1\n"), "# Changelog\n\n## 1\n");
    }

    fn pin_of(bytes: &[u8]) -> InputPin {
        InputPin {
            path: "v1.0/x.xml".to_string(),
            url: "https://example.invalid/x.xml".to_string(),
            sha256: sha256_hex(bytes),
            branch: None,
        }
    }

    #[test]
    fn verified_bytes_are_stored() {
        let dir = tempfile::tempdir().unwrap();
        let pin = pin_of(b"hello");
        let path = store_verified(dir.path(), "x", &pin, b"hello").unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"hello");
    }

    #[test]
    fn mismatch_names_both_hashes_and_leaves_cache_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let pin = pin_of(b"hello");
        let err = store_verified(dir.path(), "x", &pin, b"tampered").unwrap_err().to_string();
        assert!(err.contains(&pin.sha256), "{err}");
        assert!(err.contains(&sha256_hex(b"tampered")), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
