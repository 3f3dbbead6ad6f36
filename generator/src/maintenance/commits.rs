//! The commit segment of a pinned URL (`https://raw.githubusercontent.com/OWNER/REPO/SHA/PATH`):
//! read it, move it to another commit, name the repository; and the short form of a hash that
//! reports show.

/// The URL with its commit segment (the one path segment of 40 hex digits, as in raw GitHub URLs
/// `https://raw.githubusercontent.com/OWNER/REPO/SHA/PATH`) replaced by `commit`.
pub fn with_commit(url: &str, commit: &str) -> std::result::Result<String, String> {
    if !is_commit(commit) {
        return Err(format!("`{commit}` is not a full commit SHA (40 hex digits): pins must not move"));
    }
    let (prefix, _, rest) = split_commit(url)?;
    Ok(format!("{prefix}{}{rest}", commit.to_ascii_lowercase()))
}

/// The part of the URL before its commit segment: which repository it comes from.
pub fn repository_of(url: &str) -> std::result::Result<String, String> {
    split_commit(url).map(|(prefix, _, _)| prefix.trim_end_matches('/').to_string())
}

fn is_commit(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `(everything up to the commit, the commit, everything after it)`.
pub fn split_commit(url: &str) -> std::result::Result<(&str, &str, &str), String> {
    let path_start = url.find("://").map_or(0, |i| i + 3);
    let mut found = None;
    let mut offset = path_start;
    for segment in url[path_start..].split('/') {
        if is_commit(segment) {
            if found.is_some() {
                return Err(format!("URL `{url}` has more than one 40-hex segment; which is the commit?"));
            }
            found = Some(offset);
        }
        offset += segment.len() + 1;
    }
    let start = found.ok_or_else(|| format!("URL `{url}` has no commit segment (40 hex digits)"))?;
    Ok((&url[..start], &url[start..start + 40], &url[start + 40..]))
}

/// The first 12 characters of a hash, as reports show it.
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA_A: &str = "f54f11b60956ea7b185ca0447b2b80805836ec7b";
    const SHA_B: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn commit_segment_is_replaced() {
        let url = format!(
            "https://raw.githubusercontent.com/microsoftgraph/msgraph-metadata/{SHA_A}/clean_v10_metadata/cleanMetadata.xml"
        );
        let moved = with_commit(&url, SHA_B).unwrap();
        assert_eq!(
            moved,
            format!(
                "https://raw.githubusercontent.com/microsoftgraph/msgraph-metadata/{SHA_B}/clean_v10_metadata/cleanMetadata.xml"
            )
        );
        assert_eq!(repository_of(&url).unwrap(), "https://raw.githubusercontent.com/microsoftgraph/msgraph-metadata");
        assert!(with_commit(&url, "main").unwrap_err().contains("`main`"));
        assert!(with_commit("https://example.com/a/b.xml", SHA_B).unwrap_err().contains("no commit segment"));
        let twice = format!("https://h/{SHA_A}/{SHA_B}/x");
        assert!(with_commit(&twice, SHA_B).unwrap_err().contains("more than one"));
    }
}
