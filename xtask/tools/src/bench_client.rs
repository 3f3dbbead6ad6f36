//! The client half of `cargo xtask bench`: a keep-alive HTTP/1.1 server on loopback that answers
//! every GET with a fixed page of access packages (or, for paging, page N of a long collection),
//! the generated client against a hand-written reqwest + serde_json call of the same request, and
//! the peak RSS while streaming items.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use msgraph_entitlement::models::AccessPackage;
use msgraph_entitlement::runtime::Page;
use msgraph_entitlement::{Client, StaticToken};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::bench_stats::{CLIENT_TARGET, median, ms};

const PAGE_ITEMS: usize = 100;

/// One access package as Graph returns it.
fn package(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{i:08}-0000-4000-8000-000000000000"),
        "displayName": format!("Access package {i}"),
        "description": "Sales team resources: SharePoint site, Teams channel and the CRM app.",
        "isHidden": false,
        "createdDateTime": "2024-03-01T10:15:00Z",
        "modifiedDateTime": "2025-06-12T08:00:00Z",
    })
}

/// Page `n` of `pages`: 100 items and, except on the last, a next link.
fn page_body(base: &str, n: usize, pages: usize) -> Vec<u8> {
    let value: Vec<_> = (0..PAGE_ITEMS).map(|i| package(n * PAGE_ITEMS + i)).collect();
    let mut page = serde_json::json!({ "value": value });
    if n + 1 < pages {
        page["@odata.nextLink"] =
            format!("{base}/v1.0/identityGovernance/entitlementManagement/accessPackages?page={}&pages={pages}", n + 1)
                .into();
    }
    serde_json::to_vec(&page).unwrap_or_default()
}

/// Serves pages on loopback; returns the base URL. `GET ...?page=N&pages=M` gives page N of M,
/// anything else page 0 of 1.
async fn serve() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let fixed = page_body(&base, 0, 1);
    let base_for_server = base.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let fixed = fixed.clone();
            let base = base_for_server.clone();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(4096);
                let mut chunk = [0u8; 4096];
                loop {
                    // One request head at a time (GETs have no body).
                    let end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end);
                    let target = head.split_whitespace().nth(1).unwrap_or("/");
                    let query = |key: &str| {
                        target
                            .split(['?', '&'])
                            .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
                            .and_then(|v| v.parse::<usize>().ok())
                    };
                    let body = match (query("page"), query("pages")) {
                        (Some(n), Some(m)) => page_body(&base, n, m),
                        _ => fixed.clone(),
                    };
                    // One write per response (a head and a body in two small writes would meet
                    // Nagle's algorithm and delayed ACKs: a 40 ms stall per request).
                    let mut response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    response.extend_from_slice(&body);
                    if stream.write_all(&response).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(base)
}

/// Peak resident set size of this process so far (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

pub(crate) struct ClientFigures {
    requests: usize,
    rounds: usize,
    generated: Duration,
    raw: Duration,
    page_bytes: usize,
    /// (items, pages, peak RSS KiB after streaming them, wall time)
    streams: Vec<(usize, usize, u64, Duration)>,
}

impl ClientFigures {
    pub(crate) fn ratio(&self) -> f64 {
        self.generated.as_secs_f64() / self.raw.as_secs_f64().max(1e-12)
    }

    /// The peak RSS after streaming 100x more items grew by less than 8 MiB.
    pub(crate) fn rss_flat(&self) -> bool {
        match (self.streams.first(), self.streams.last()) {
            (Some(small), Some(large)) => large.2.saturating_sub(small.2) < 8 * 1024,
            _ => false,
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## 3. Client overhead\n");
        let _ = writeln!(
            out,
            "Loopback HTTP/1.1 keep-alive server (in process), each GET answered with the same page of {PAGE_ITEMS} \
             access packages ({} bytes). {} sequential requests per side per round, {} rounds alternating the \
             sides; medians of the per-round mean. The hand-written side is `reqwest::Client::get` + bearer \
             token + `serde_json::from_slice::<Page<AccessPackage>>` of the body (the same model type, so the \
             difference is the client: builders, retries, tracing, error mapping).\n",
            self.page_bytes, self.requests, self.rounds
        );
        let ratio = self.ratio();
        let _ = writeln!(out, "| side | per request |\n|---|---|");
        let _ = writeln!(
            out,
            "| generated client `entitlement_management().access_packages().list()` | {:.1} µs |",
            self.generated.as_secs_f64() * 1e6
        );
        let _ = writeln!(out, "| hand-written reqwest + serde_json | {:.1} µs |\n", self.raw.as_secs_f64() * 1e6);
        let _ = writeln!(out, "| target | ratio | target | result |\n|---|---|---|---|");
        let _ = writeln!(
            out,
            "| generated / hand-written, per request | {ratio:.3}x | <= {CLIENT_TARGET}x | {} |\n",
            if ratio <= CLIENT_TARGET { "pass" } else { "**miss**" },
        );
        let _ = writeln!(
            out,
            "Streaming with `items()` (one page in memory at a time), peak RSS of the whole bench process after each run:\n"
        );
        let _ = writeln!(out, "| items | pages | wall | peak RSS after |\n|---|---|---|---|");
        for (items, pages, rss, wall) in &self.streams {
            let _ = writeln!(out, "| {items} | {pages} | {} | {:.1} MiB |", ms(*wall), *rss as f64 / 1024.0);
        }
        let _ = writeln!(
            out,
            "\nTarget: peak RSS must not grow with the item count (100x the items: growth < 8 MiB): {}.",
            if self.rss_flat() { "pass" } else { "**miss**" }
        );
        out
    }
}

pub(crate) fn run(requests: usize, rounds: usize, smoke: bool) -> Result<ClientFigures, String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let base = serve().await.map_err(|e| e.to_string())?;
        let client = Client::builder(StaticToken::new("bench-token"))
            .base_url(format!("{base}/v1.0"))
            .build()
            .map_err(|e| e.to_string())?;
        let raw = reqwest::Client::builder().build().map_err(|e| e.to_string())?;
        let url = format!("{base}/v1.0/identityGovernance/entitlementManagement/accessPackages");
        let page_bytes = page_body(&base, 0, 1).len();

        let generated_once = || async {
            let page = client.entitlement_management().access_packages().list().await.map_err(|e| e.to_string())?;
            if page.value.len() != PAGE_ITEMS {
                return Err(format!("generated: {} items", page.value.len()));
            }
            Ok::<_, String>(())
        };
        let raw_once = || async {
            let response = raw.get(&url).bearer_auth("bench-token").send().await.map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("raw: HTTP {}", response.status()));
            }
            let bytes = response.bytes().await.map_err(|e| e.to_string())?;
            let page: Page<AccessPackage> = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
            if page.value.len() != PAGE_ITEMS {
                return Err(format!("raw: {} items", page.value.len()));
            }
            Ok::<_, String>(())
        };
        // Warm up both (connections, allocator).
        for _ in 0..requests.min(200) {
            generated_once().await?;
            raw_once().await?;
        }
        let (mut generated_rounds, mut raw_rounds) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
                let t = Instant::now();
                for _ in 0..requests {
                    if side == 0 { generated_once().await? } else { raw_once().await? }
                }
                let per = t.elapsed() / u32::try_from(requests).unwrap_or(u32::MAX);
                if side == 0 { generated_rounds.push(per) } else { raw_rounds.push(per) }
            }
        }

        let mut streams = Vec::new();
        let sizes: &[usize] = if smoke { &[2, 20] } else { &[10, 1_000] };
        for &pages in sizes {
            let t = Instant::now();
            let first = format!("{url}?page=0&pages={pages}");
            let mut items = client
                .request::<msgraph_entitlement::runtime::Json<Page<AccessPackage>>>(
                    reqwest::Method::GET,
                    first_path(&first, &base),
                )
                .items();
            let mut n = 0usize;
            while let Some(item) = items.next().await {
                item.map_err(|e| e.to_string())?;
                n += 1;
            }
            if n != pages * PAGE_ITEMS {
                return Err(format!("streamed {n} items of {}", pages * PAGE_ITEMS));
            }
            streams.push((n, pages, peak_rss_kib(), t.elapsed()));
        }
        Ok(ClientFigures {
            requests,
            rounds,
            generated: median(generated_rounds),
            raw: median(raw_rounds),
            page_bytes,
            streams,
        })
    })
}

/// The path of `url` below the client's base URL (`{base}/v1.0`).
fn first_path(url: &str, base: &str) -> String {
    url.strip_prefix(&format!("{base}/v1.0")).unwrap_or(url).to_string()
}
