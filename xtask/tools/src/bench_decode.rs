//! Decode cost of the models (`cargo xtask bench`, section 3b): 100-item pages as Graph sends
//! them (access packages; assignment requests with `$expand=requestor`; assignments with
//! `$expand=target`), each item carrying properties the metadata does not declare, decoded into
//! the typed `Page<T>` and, for reference, into a `serde_json::Value`; medians over many runs.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use msgraph_entitlement::models::{AccessPackage, AccessPackageAssignment, AccessPackageAssignmentRequest};
use msgraph_entitlement::runtime::Page;
use serde::de::DeserializeOwned;

use crate::bench_stats::median;

/// Typed decoding against the same bytes into a `serde_json::Value`, on every page.
pub(crate) const DECODE_TARGET: f64 = 1.0;

/// One row: what was decoded, its size, typed and `Value` medians.
pub(crate) struct Decode {
    pub(crate) name: &'static str,
    pub(crate) bytes: usize,
    pub(crate) typed: Duration,
    pub(crate) value: Duration,
}

/// A page of 100 copies of `item` (ids made distinct).
fn page_of(item: &serde_json::Value) -> Vec<u8> {
    let items: Vec<serde_json::Value> = (0..100)
        .map(|i| {
            let mut v = item.clone();
            v["id"] = format!("{i:08}-0000-4000-8000-000000000000").into();
            v
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "value": items })).unwrap_or_default()
}

fn time<T: DeserializeOwned>(body: &[u8], runs: usize) -> Result<Duration, String> {
    let mut xs = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let page: Page<T> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        std::hint::black_box(&page);
        xs.push(started.elapsed());
    }
    Ok(median(xs))
}

fn row<T: DeserializeOwned>(name: &'static str, body: Vec<u8>, runs: usize) -> Result<Decode, String> {
    Ok(Decode {
        name,
        bytes: body.len(),
        typed: time::<T>(&body, runs)?,
        value: time::<serde_json::Value>(&body, runs)?,
    })
}

/// The pages are built from the payload fixtures of the test suite (`tests/fixtures/payloads`).
pub(crate) fn run(workspace: &Path, runs: usize) -> Result<Vec<Decode>, String> {
    let fixture = |name: &str| -> Result<serde_json::Value, String> {
        let path = workspace.join("tests/fixtures/payloads").join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let package = serde_json::json!({
        "id": "x",
        "displayName": "Sales",
        "description": "Sales team resources: SharePoint site, Teams channel and the CRM app.",
        "isHidden": false,
        "createdDateTime": "2024-03-01T10:15:00Z",
        "modifiedDateTime": "2025-06-12T08:00:00Z",
        "catalogId": "undeclared: in the published examples",
    });
    let requests = fixture("assignment-requests-expand.json")?;
    let assignments = fixture("assignments-expand-target.json")?;
    Ok(vec![
        row::<AccessPackage>("access packages", page_of(&package), runs)?,
        row::<AccessPackageAssignmentRequest>(
            "assignment requests, `$expand=requestor`",
            page_of(&requests["value"][0]),
            runs,
        )?,
        row::<AccessPackageAssignment>("assignments, `$expand=target`", page_of(&assignments["value"][0]), runs)?,
    ])
}

impl Decode {
    pub(crate) fn ratio(&self) -> f64 {
        self.typed.as_secs_f64() / self.value.as_secs_f64().max(1e-12)
    }
}

pub(crate) fn passes(rows: &[Decode]) -> bool {
    rows.iter().all(|r| r.ratio() <= DECODE_TARGET)
}

pub(crate) fn render(rows: &[Decode], runs: usize) -> String {
    let mut out = format!(
        "Decoding a 100-item page (`serde_json::from_slice::<Page<T>>`), each item with properties the metadata \
         does not declare (kept in `additional_properties`), median of {runs} runs; beside it the same bytes \
         decoded into a `serde_json::Value`.\n\n\
         | page | bytes | typed `Page<T>` | `serde_json::Value` | typed / Value |\n|---|---|---|---|---|\n"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} µs | {:.1} µs | {:.2}x |",
            r.name,
            r.bytes,
            r.typed.as_secs_f64() * 1e6,
            r.value.as_secs_f64() * 1e6,
            r.ratio()
        );
    }
    let worst = rows.iter().map(Decode::ratio).fold(0.0, f64::max);
    let _ = writeln!(
        out,
        "\n| target | figure | target | result |\n|---|---|---|---|\n\
         | typed / `Value`, the slowest page | {worst:.2}x | <= {DECODE_TARGET}x | {} |",
        if passes(rows) { "pass" } else { "**miss**" }
    );
    out
}
