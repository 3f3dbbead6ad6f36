//! Writing the generated crate: compare with what is on disk (`--check`), or replace the output
//! directory atomically (write a sibling temp dir, then swap), so a failed run never leaves a
//! half-written `generated/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Files below `dir`, relative, with `/` separators.
fn list_files(dir: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let path = entry.map_err(|e| Error::io(&d, e))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                out.insert(rel, path);
            }
        }
    }
    Ok(out)
}

/// The files that differ between `dir` and `files`: changed, missing, or not generated.
pub fn stale_files(dir: &Path, files: &BTreeMap<String, String>) -> Result<Vec<String>> {
    let on_disk = list_files(dir)?;
    let mut stale = Vec::new();
    for (rel, contents) in files {
        match on_disk.get(rel) {
            None => stale.push(format!("{rel} (missing)")),
            Some(path) => {
                let current = std::fs::read(path).map_err(|e| Error::io(path, e))?;
                if current != contents.as_bytes() {
                    stale.push(format!("{rel} (differs)"));
                }
            }
        }
    }
    for rel in on_disk.keys() {
        if !files.contains_key(rel) {
            stale.push(format!("{rel} (not generated; remove it)"));
        }
    }
    Ok(stale)
}

/// `--check`: an error naming each stale file.
pub fn check(dir: &Path, files: &BTreeMap<String, String>) -> Result<()> {
    let stale = stale_files(dir, files)?;
    if stale.is_empty() {
        Ok(())
    } else {
        Err(Error::Stale { files: stale.into_iter().map(|f| format!("{}/{f}", dir.display())).collect() })
    }
}

/// Makes `dir` hold exactly `files`. Returns false when it already did (nothing is touched).
pub fn write_atomic(dir: &Path, files: &BTreeMap<String, String>) -> Result<bool> {
    if dir.exists() && stale_files(dir, files)?.is_empty() {
        return Ok(false);
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .map_err(|e| Error::file(dir, format!("cannot create the output folder: {}: {e}", parent.display())))?;
    let name = dir.file_name().map_or_else(|| "out".to_string(), |n| n.to_string_lossy().into_owned());
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    let old = parent.join(format!(".{name}.old-{pid}"));
    let _ = std::fs::remove_dir_all(&tmp);
    let written = (|| -> Result<()> {
        for (rel, contents) in files {
            let path = tmp.join(rel);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
            }
            std::fs::write(&path, contents).map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let had_old = dir.exists();
    if had_old {
        if let Err(e) = std::fs::rename(dir, &old) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(Error::io(dir, e));
        }
    }
    if let Err(e) = std::fs::rename(&tmp, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(Error::io(dir, e));
    }
    if had_old {
        std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(true)
}

/// Replaces one file atomically (a sibling temp file, then a rename); creates its folder.
pub fn write_file_atomic(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let name = path.file_name().map_or_else(|| "file".to_string(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, contents).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(&tmp, e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn write_then_check() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("generated");
        let f = files(&[("a.txt", "1"), ("src/b.rs", "2")]);
        assert!(write_atomic(&dir, &f).unwrap());
        check(&dir, &f).unwrap();
        assert!(!write_atomic(&dir, &f).unwrap(), "identical output is not rewritten");
        std::fs::write(dir.join("extra.txt"), "x").unwrap();
        std::fs::write(dir.join("a.txt"), "changed").unwrap();
        let err = check(&dir, &f).unwrap_err().to_string();
        assert!(err.contains("a.txt (differs)") && err.contains("extra.txt (not generated"), "{err}");
        assert!(write_atomic(&dir, &f).unwrap());
        check(&dir, &f).unwrap();
        // No temp or old directories are left behind.
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }
}
