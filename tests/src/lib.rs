//! Shared helpers of the integration tests: where the workspace, the fixtures and the Graph
//! metadata are.

use std::path::{Path, PathBuf};

pub mod fuzz_checks;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    workspace_root().join("tests/fixtures").join(rel)
}

/// The folder holding the upstream Graph metadata: `$GRAPH_METADATA_DIR`, else
/// `../shared/graph-metadata` beside the checkout, else `metadata/cache/`. Panics (failing the
/// test) when none holds the v1.0 CSDL, saying how to provide it.
pub fn metadata_dir() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("GRAPH_METADATA_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .chain([workspace_root().join("../shared/graph-metadata"), workspace_root().join("metadata/cache")])
        .collect();
    for c in &candidates {
        if c.join("v1.0/cleanMetadata.xml").is_file() {
            return c.clone();
        }
    }
    panic!("Graph metadata not found in {candidates:?}: set GRAPH_METADATA_DIR or run `cargo xtask fetch-metadata`");
}

/// `../shared/spec/`: the permission's reference page and its structured form. Panics (failing
/// the test) when it is not beside the checkout.
pub fn spec_dir() -> PathBuf {
    let dir = workspace_root().join("../shared/spec");
    assert!(
        dir.join("EntitlementManagement.ReadWrite.All.methods.json").is_file(),
        "no reference page in {}",
        dir.display()
    );
    dir
}

/// The input search the tests generate with: the metadata dir found above, pins enforced.
pub fn search() -> msgraph_codegen::inputs::pins::InputSearch {
    msgraph_codegen::inputs::pins::InputSearch { metadata_dir: Some(metadata_dir()), ..Default::default() }
}

/// Every file below `dir` (relative path -> bytes), to show that a failed command changed nothing.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                stack.push(path);
            } else if let (Ok(rel), Ok(bytes)) = (path.strip_prefix(dir), std::fs::read(&path)) {
                out.insert(rel.to_path_buf(), bytes);
            }
        }
    }
    out
}

/// `metadata/codegen.yaml`.
pub fn config_file() -> PathBuf {
    workspace_root().join("metadata/codegen.yaml")
}

/// A tiny HTTP/1.1 server on loopback that serves the files of a folder (`GET /a/b` ->
/// `root/a/b`, 404 otherwise), one connection at a time, and records the paths asked for. It
/// stands in for raw.githubusercontent.com in the `fetch-metadata` tests, and, with
/// [`route`](Self::route)s, for the GitHub REST API.
pub struct FileServer {
    pub root: PathBuf,
    addr: std::net::SocketAddr,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    routes: std::sync::Arc<std::sync::Mutex<Vec<Route>>>,
    authorizations: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// A canned answer: to `GET path` with (at least) these decoded query parameters.
struct Route {
    path: String,
    query: Vec<(String, String)>,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Percent-decoding, strict: every `%` must start two hex digits (`None` otherwise).
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// A query name or value, decoded (`+` is a space); as sent when it does not decode.
fn query_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode(&spaced).map_or(spaced, |b| String::from_utf8_lossy(&b).into_owned())
}

/// An HTTP/1.1 response that closes the connection.
fn http_response(status: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    response
}

impl FileServer {
    /// Starts serving `root` on a free loopback port (the thread ends with the test process).
    pub fn start(root: &Path) -> std::io::Result<FileServer> {
        use std::io::{BufRead as _, BufReader, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let routes: std::sync::Arc<std::sync::Mutex<Vec<Route>>> = std::sync::Arc::default();
        let authorizations: std::sync::Arc<std::sync::Mutex<Vec<String>>> = std::sync::Arc::default();
        let (dir, log, table, auth) = (root.to_path_buf(), requests.clone(), routes.clone(), authorizations.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => continue,
                });
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // The headers: only Authorization is kept.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("authorization") {
                            if let Ok(mut auth) = auth.lock() {
                                auth.push(value.trim().to_string());
                            }
                        }
                    }
                    line.clear();
                }
                let target = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
                if let Ok(mut log) = log.lock() {
                    log.push(target.clone());
                }
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let params: Vec<(String, String)> = query
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (query_decode(k), query_decode(v))
                    })
                    .collect();
                let routed = table.lock().ok().and_then(|routes| {
                    let route =
                        routes.iter().rev().find(|r| r.path == path && r.query.iter().all(|q| params.contains(q)));
                    route.map(|r| http_response(r.status, &r.headers, &r.body))
                });
                let response = routed.unwrap_or_else(|| match std::fs::read(dir.join(path.trim_start_matches('/'))) {
                    Ok(body) if !path.contains("..") => {
                        let kind = [("Content-Type".to_string(), "application/octet-stream".to_string())];
                        http_response(200, &kind, &body)
                    }
                    _ => http_response(404, &[], b""),
                });
                let _ = stream.write_all(&response);
            }
        });
        Ok(FileServer { root: root.to_path_buf(), addr, requests, routes, authorizations })
    }

    /// Answers `GET path` whose query has (at least) `query` (decoded) with this status, headers
    /// and body; a later route for the same request wins.
    pub fn route(&self, path: &str, query: &[(&str, &str)], status: u16, headers: &[(&str, &str)], body: &[u8]) {
        if let Ok(mut routes) = self.routes.lock() {
            routes.push(Route {
                path: path.to_string(),
                query: query.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
                status,
                headers: headers.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
                body: body.to_vec(),
            });
        }
    }

    /// The `Authorization` headers received so far.
    pub fn authorizations(&self) -> Vec<String> {
        self.authorizations.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The paths asked for so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Serves `bytes` at `path`.
    pub fn put(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let file = self.root.join(path.trim_start_matches('/'));
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(file, bytes)
    }
}
