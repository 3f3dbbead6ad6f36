//! The GitHub REST API calls of `fetch-metadata --latest` and `bump`: the newest commit that
//! touched a pinned path on its branch, a commit's date, and the blob a path holds at a commit
//! (git's SHA-1 and size, to check the raw download against).
//!
//! `GITHUB_TOKEN` is sent when set (5,000 requests an hour instead of 60). A rate-limit answer is
//! an error saying when to retry.

use std::time::Duration;

use msgraph_codegen::Error;
use serde::Deserialize;

/// The public API; `--github-api-url`, else `$GITHUB_API_URL` (set by GitHub Actions, e.g. on
/// GitHub Enterprise), replaces it.
pub(crate) const DEFAULT_API: &str = "https://api.github.com";

/// Where an input lives upstream, from its raw URL
/// (`https://raw.githubusercontent.com/OWNER/REPO/SHA/PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upstream {
    pub(crate) owner: String,
    pub(crate) repo: String,
    /// The file's path in the repository.
    pub(crate) path: String,
    /// The commit of the pin.
    pub(crate) commit: String,
}

impl Upstream {
    /// `owner/repo`.
    pub(crate) fn repository(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }
}

/// Splits a raw URL: the two path segments before the commit (40 hex digits) are owner and
/// repository, what follows it is the path.
pub(crate) fn upstream_of(url: &str) -> Result<Upstream, String> {
    let (prefix, commit, rest) = msgraph_codegen::maintenance::commits::split_commit(url)?;
    let after_scheme = prefix.find("://").map_or(prefix, |i| &prefix[i + 3..]);
    let mut before = after_scheme.trim_end_matches('/').rsplit('/');
    let (repo, owner, host) = (before.next(), before.next(), before.next());
    let path = rest.trim_start_matches('/');
    match (owner, repo, host) {
        (Some(owner), Some(repo), Some(_)) if !path.is_empty() && !owner.is_empty() && !repo.is_empty() => {
            Ok(Upstream {
                owner: owner.to_string(),
                repo: repo.to_string(),
                path: path.to_string(),
                commit: commit.to_ascii_lowercase(),
            })
        }
        _ => Err(format!("URL `{url}` is not HOST/OWNER/REPO/COMMIT/PATH (a raw GitHub URL)")),
    }
}

/// A commit and its committer date (ISO 8601, as GitHub writes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commit {
    pub(crate) sha: String,
    pub(crate) date: String,
}

/// What the API says a path holds at a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blob {
    /// git's object id: SHA-1 of `blob <size>\0<bytes>`.
    pub(crate) sha: String,
    pub(crate) size: u64,
}

/// A GitHub REST API client.
pub(crate) struct GitHub {
    http: reqwest::blocking::Client,
    api: String,
    token: Option<String>,
}

#[derive(Deserialize)]
struct CommitJson {
    sha: String,
    commit: CommitDetails,
}

#[derive(Deserialize)]
struct CommitDetails {
    committer: Option<Person>,
    author: Option<Person>,
}

#[derive(Deserialize)]
struct Person {
    date: Option<String>,
}

impl From<CommitJson> for Commit {
    fn from(c: CommitJson) -> Commit {
        let date = c.commit.committer.and_then(|p| p.date).or_else(|| c.commit.author.and_then(|p| p.date));
        Commit { sha: c.sha.to_ascii_lowercase(), date: date.unwrap_or_default() }
    }
}

#[derive(Deserialize)]
struct ContentJson {
    sha: String,
    size: u64,
    #[serde(rename = "type")]
    kind: String,
}

impl GitHub {
    /// A client of `api` (no trailing slash needed), sending `token` as a bearer token when given.
    pub(crate) fn new(api: &str, token: Option<String>) -> Result<GitHub, Error> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(30))
            .user_agent(concat!("msgraph-entitlement-xtask/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| api_error(api, e.to_string()))?;
        Ok(GitHub { http, api: api.trim_end_matches('/').to_string(), token: token.filter(|t| !t.is_empty()) })
    }

    /// The newest commit on `branch` that touched the input's path.
    pub(crate) fn latest_commit(&self, upstream: &Upstream, branch: &str) -> Result<Commit, String> {
        let url = format!("{}/repos/{}/commits", self.api, upstream.repository());
        let query = [("path", upstream.path.as_str()), ("sha", branch), ("per_page", "1")];
        let commits: Vec<CommitJson> = self.get_json(&url, &query)?;
        let newest = commits.into_iter().next().ok_or_else(|| {
            format!(
                "no commit on `{branch}` of {} touches `{}`: was it moved, or is the branch wrong?",
                upstream.repository(),
                upstream.path
            )
        })?;
        Ok(newest.into())
    }

    /// A commit's date.
    pub(crate) fn commit(&self, upstream: &Upstream, sha: &str) -> Result<Commit, String> {
        let url = format!("{}/repos/{}/commits/{sha}", self.api, upstream.repository());
        self.get_json::<CommitJson>(&url, &[]).map(Commit::from)
    }

    /// What the input's path holds at commit `sha`.
    pub(crate) fn blob(&self, upstream: &Upstream, sha: &str) -> Result<Blob, String> {
        let url = format!("{}/repos/{}/contents/{}", self.api, upstream.repository(), upstream.path);
        let content: ContentJson = self.get_json(&url, &[("ref", sha)]).map_err(|e| {
            if e.starts_with("HTTP 404") {
                format!(
                    "`{}` does not exist at {} commit {sha}: moved or deleted upstream? Point the pin's URL at \
                     its new path, or remove its `branch` to freeze it",
                    upstream.path,
                    upstream.repository()
                )
            } else {
                e
            }
        })?;
        if content.kind != "file" {
            return Err(format!("`{}` at {sha} is a {}, not a file", upstream.path, content.kind));
        }
        Ok(Blob { sha: content.sha.to_ascii_lowercase(), size: content.size })
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str, query: &[(&str, &str)]) -> Result<T, String> {
        let mut full = reqwest::Url::parse(url).map_err(|e| format!("`{url}`: {e}"))?;
        if !query.is_empty() {
            full.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self
            .http
            .get(full)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().map_err(|e| format!("GET {url}: {}", with_sources(&e)))?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if matches!(status, 403 | 429)
            && (header("x-ratelimit-remaining").as_deref() == Some("0") || header("retry-after").is_some())
        {
            return Err(rate_limited(header("retry-after"), header("x-ratelimit-reset"), self.token.is_some()));
        }
        if !(200..300).contains(&status) {
            let body = response.text().unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or(body);
            return Err(format!("HTTP {status} from GET {url}: {}", message.trim()));
        }
        let body = response.bytes().map_err(|e| format!("GET {url}: reading the body: {e}"))?;
        serde_json::from_slice(&body).map_err(|e| format!("GET {url}: unexpected answer: {e}"))
    }
}

/// The error of a rate-limit answer: when to retry, and how to get a higher limit.
fn rate_limited(retry_after: Option<String>, reset: Option<String>, authenticated: bool) -> String {
    let when = match (
        retry_after.and_then(|s| s.trim().parse::<u64>().ok()),
        reset.and_then(|s| s.trim().parse::<u64>().ok()),
    ) {
        (Some(seconds), _) => format!("retry in {seconds} s (Retry-After)"),
        (None, Some(epoch)) => {
            format!("retry after {} (x-ratelimit-reset)", msgraph_codegen::maintenance::dates::utc_datetime(epoch))
        }
        (None, None) => "retry later".to_string(),
    };
    let hint = if authenticated { "" } else { "; set GITHUB_TOKEN for a higher limit" };
    format!("the GitHub API rate limit is exhausted: {when}{hint}")
}

fn api_error(api: &str, message: String) -> Error {
    Error::Download { name: "GitHub API".to_string(), url: api.to_string(), message }
}

/// git's id of a blob with these bytes.
pub fn git_blob_sha(bytes: &[u8]) -> String {
    use sha1::Digest as _;
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// An error and its chain of causes, joined with `: `.
pub(crate) fn with_sources(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_of_raw_urls() {
        let u = upstream_of(
            "https://raw.githubusercontent.com/microsoftgraph/msgraph-metadata/f54f11b60956ea7b185ca0447b2b80805836ec7b/clean_v10_metadata/cleanMetadata.xml",
        )
        .unwrap();
        assert_eq!(u.repository(), "microsoftgraph/msgraph-metadata");
        assert_eq!(u.path, "clean_v10_metadata/cleanMetadata.xml");
        assert_eq!(u.commit, "f54f11b60956ea7b185ca0447b2b80805836ec7b");
        let u = upstream_of("http://127.0.0.1:9/o/r/1111111111111111111111111111111111111111/a/b.json").unwrap();
        assert_eq!((u.owner.as_str(), u.repo.as_str(), u.path.as_str()), ("o", "r", "a/b.json"));
        assert!(upstream_of("https://example.com/file.xml").unwrap_err().contains("no commit segment"));
        assert!(
            upstream_of("https://h/1111111111111111111111111111111111111111/x").unwrap_err().contains("OWNER/REPO")
        );
    }

    #[test]
    fn git_blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(git_blob_sha(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(git_blob_sha(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn rate_limit_messages_say_when() {
        assert_eq!(
            rate_limited(Some("42".into()), None, true),
            "the GitHub API rate limit is exhausted: retry in 42 s (Retry-After)"
        );
        let m = rate_limited(None, Some("1764547200".into()), false);
        assert!(m.contains("retry after 2025-12-01 00:00:00 UTC") && m.contains("set GITHUB_TOKEN"), "{m}");
    }
}
