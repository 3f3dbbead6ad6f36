//! The crate version's arithmetic: how much a set of changes moves it ([`Bump`]) and the version
//! that follows. A leaf: `config` validates `crate.version` with it, maintenance computes bumps.

/// How much a set of changes moves the crate's version (semver, with Cargo's rule for `0.x`: see
/// [`next_version`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bump {
    /// Nothing the crate exposes changed.
    None,
    /// Additions only.
    Minor,
    /// Something existing code relies on changed or went away.
    Major,
}

impl std::fmt::Display for Bump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Bump::None => "none",
            Bump::Minor => "minor",
            Bump::Major => "major",
        })
    }
}

/// The version after `bump`, following Cargo's semver rule: below 1.0 the minor number is the
/// breaking one (0.3.1 -> 0.4.0 for a breaking change, 0.3.2 for an addition).
pub fn next_version(version: &str, bump: Bump) -> std::result::Result<String, String> {
    let parts: Vec<&str> = version.split('.').collect();
    let numbers: Option<Vec<u64>> = parts.iter().map(|p| p.parse::<u64>().ok()).collect();
    let Some([major, minor, patch]) = numbers.as_deref().and_then(|n| <[u64; 3]>::try_from(n).ok()) else {
        return Err(format!("crate version `{version}` is not MAJOR.MINOR.PATCH"));
    };
    let next = match (bump, major) {
        (Bump::None, _) => [major, minor, patch],
        (Bump::Major, 0) => [0, minor + 1, 0],
        (Bump::Major, _) => [major + 1, 0, 0],
        (Bump::Minor, 0) => [0, minor, patch + 1],
        (Bump::Minor, _) => [major, minor + 1, 0],
    };
    Ok(format!("{}.{}.{}", next[0], next[1], next[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_cargo_semver() {
        let cases = [
            ("0.1.0", Bump::Major, "0.2.0"),
            ("0.1.3", Bump::Minor, "0.1.4"),
            ("0.1.3", Bump::None, "0.1.3"),
            ("1.2.3", Bump::Major, "2.0.0"),
            ("1.2.3", Bump::Minor, "1.3.0"),
        ];
        for (from, bump, to) in cases {
            assert_eq!(next_version(from, bump).unwrap(), to, "{from} {bump}");
        }
        assert!(next_version("1.2", Bump::Minor).is_err());
        assert!(next_version("1.2.3-beta", Bump::Minor).is_err());
    }
}
