//! Large uploads through an upload session (`Upload`): what goes to the session's `uploadUrl`
//! (fragments in order with `Content-Range`, no token), what happens when a fragment fails (the
//! session is asked what it lacks; nothing it holds is sent again), resuming, cancelling,
//! committing, and Outlook's variant of the protocol. The server is a fake upload session that
//! keeps the bytes it is sent and answers as OneDrive and Outlook document it.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use msgraph_entitlement::runtime::{ByteRange, FragmentSize, RetryPolicy};
use msgraph_entitlement::{Client, Error, StaticToken};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the fake session does to one `PUT`, in order (then it answers normally).
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Keeps the first `n` bytes of the fragment, then answers this status (a connection that
    /// broke after part of the body arrived, reported as a 5xx).
    KeepThenFail(usize, u16),
    /// Answers 429 with `Retry-After: 0`, keeping nothing.
    Throttle,
    /// Answers 202 without keeping the fragment.
    NoProgress,
}

#[derive(Debug, Default)]
struct State {
    /// Every byte received, by position.
    bytes: Vec<Option<u8>>,
    /// The `Content-Range` of each `PUT`, and the method of every request, in order.
    ranges: Vec<String>,
    methods: Vec<String>,
    /// Requests that carried an `Authorization` header.
    authorized: usize,
    /// What to do to each `PUT`, in order (`None`: answer it normally); then none.
    faults: VecDeque<Option<Fault>>,
    cancelled: bool,
    committed: bool,
}

/// A fake upload session: OneDrive's answers (`nextExpectedRanges: ["start-"]`, the drive item
/// on the last fragment), or Outlook's (`NextExpectedRanges: ["start"]`, an empty `201` with
/// `Location`), or one created with `deferCommit` (a `202` with no ranges once it holds every
/// byte, the item on an empty `POST`).
#[derive(Clone, Default)]
struct Session {
    state: Arc<Mutex<State>>,
    outlook: bool,
    defer_commit: bool,
}

impl Session {
    fn missing(state: &State) -> Vec<(usize, usize)> {
        let mut ranges = Vec::new();
        let mut i = 0;
        while i < state.bytes.len() {
            if state.bytes[i].is_none() {
                let start = i;
                while i < state.bytes.len() && state.bytes[i].is_none() {
                    i += 1;
                }
                ranges.push((start, i));
            }
            i += 1;
        }
        ranges
    }

    fn status_body(&self, state: &State) -> serde_json::Value {
        let size = state.bytes.len();
        // Before its first byte, a session knows no size: it lacks everything.
        let missing = if size == 0 { vec![(0, 0)] } else { Self::missing(state) };
        let ranges: Vec<String> = missing
            .into_iter()
            .map(|(start, end)| match (self.outlook, end == size) {
                (true, _) => start.to_string(),
                (false, true) => format!("{start}-"),
                (false, false) => format!("{start}-{}", end - 1),
            })
            .collect();
        if self.outlook {
            serde_json::json!({"ExpirationDateTime": "2026-12-08T10:00:00.1234567Z", "NextExpectedRanges": ranges})
        } else {
            serde_json::json!({"expirationDateTime": "2026-12-08T10:00:00.123Z", "nextExpectedRanges": ranges})
        }
    }

    fn item(&self, state: &State) -> ResponseTemplate {
        if self.outlook {
            ResponseTemplate::new(201).insert_header(
                "Location",
                "https://outlook.office.com/api/v2.0/Users('u')/Messages('m')/Attachments('a')",
            )
        } else {
            let content: Vec<u8> = state.bytes.iter().map(|b| b.unwrap()).collect();
            ResponseTemplate::new(201).set_body_json(serde_json::json!({"id": "item-1", "size": content.len()}))
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.state.lock().unwrap().bytes.iter().map(|b| b.unwrap()).collect()
    }
}

impl Respond for Session {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        state.methods.push(request.method.to_string());
        if request.headers.contains_key("authorization") {
            state.authorized += 1;
        }
        if state.cancelled || state.committed {
            return ResponseTemplate::new(404).set_body_json(
                serde_json::json!({"error": {"code": "itemNotFound", "message": "The upload session was not found"}}),
            );
        }
        match request.method.as_str() {
            "GET" => ResponseTemplate::new(200).set_body_json(self.status_body(&state)),
            "DELETE" => {
                state.cancelled = true;
                ResponseTemplate::new(204)
            }
            "POST" if self.defer_commit && Self::missing(&state).is_empty() => {
                state.committed = true;
                self.item(&state)
            }
            "PUT" => {
                let range = request.headers.get("content-range").unwrap().to_str().unwrap().to_owned();
                state.ranges.push(range.clone());
                let (span, total) = range.strip_prefix("bytes ").unwrap().split_once('/').unwrap();
                let (start, end) = span.split_once('-').unwrap();
                let (start, end, total): (usize, usize, usize) =
                    (start.parse().unwrap(), end.parse().unwrap(), total.parse().unwrap());
                assert_eq!(request.body.len(), end - start + 1, "the body is the range");
                if state.bytes.is_empty() {
                    state.bytes = vec![None; total];
                }
                // In order: a fragment starts where the first missing range does.
                let expected = Self::missing(&state).first().map(|(start, _)| *start);
                if expected != Some(start) {
                    return ResponseTemplate::new(416);
                }
                let keep = match state.faults.pop_front().flatten() {
                    Some(Fault::KeepThenFail(n, status)) => {
                        for (i, b) in request.body.iter().take(n).enumerate() {
                            state.bytes[start + i] = Some(*b);
                        }
                        return ResponseTemplate::new(status);
                    }
                    Some(Fault::Throttle) => {
                        return ResponseTemplate::new(429).insert_header("Retry-After", "0");
                    }
                    Some(Fault::NoProgress) => false,
                    None => true,
                };
                if keep {
                    for (i, b) in request.body.iter().enumerate() {
                        state.bytes[start + i] = Some(*b);
                    }
                }
                if Self::missing(&state).is_empty() && !self.defer_commit {
                    return self.item(&state);
                }
                ResponseTemplate::new(202).set_body_json(self.status_body(&state))
            }
            other => panic!("unexpected {other}"),
        }
    }
}

/// The session's URL carries its own authorization, which must never reach logs or errors.
const SECRET: &str = "tempauth=SECRET-7f3a";

async fn serve(session: &Session) -> (MockServer, Client, String) {
    let server = MockServer::start().await;
    Mock::given(path("/up/session-1")).respond_with(session.clone()).mount(&server).await;
    let client = Client::builder(StaticToken::new("graph-token"))
        .base_url(format!("{}/v1.0", server.uri()))
        .retry(RetryPolicy::default().base_delay(Duration::ZERO))
        .build()
        .unwrap();
    let url = format!("{}/up/session-1?{SECRET}", server.uri());
    (server, client, url)
}

/// 1,000,000 bytes that are not all alike.
fn file() -> Vec<u8> {
    (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect()
}

const UNIT: u32 = FragmentSize::UNIT;

fn one_unit() -> FragmentSize {
    FragmentSize::of_320_kib(1).unwrap()
}

#[tokio::test]
async fn a_large_upload_goes_in_ordered_fragments_without_the_token_and_returns_the_item() {
    let session = Session::default();
    let (_server, client, url) = serve(&session).await;
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let done = client
        .upload(&url)
        .fragment_size(one_unit())
        .on_progress(move |held, size| seen.lock().unwrap().push((held, size)))
        .send_bytes::<serde_json::Value>(file())
        .await
        .unwrap();

    assert_eq!(done.status, 201);
    assert_eq!(done.value.unwrap(), serde_json::json!({"id": "item-1", "size": 1_000_000}));
    assert_eq!(session.bytes(), file());
    let state = session.state.lock().unwrap();
    assert_eq!(
        state.ranges,
        [
            "bytes 0-327679/1000000",
            "bytes 327680-655359/1000000",
            "bytes 655360-983039/1000000",
            "bytes 983040-999999/1000000",
        ]
    );
    assert_eq!(state.authorized, 0, "the upload URL carries its own authorization: no token goes there");
    assert_eq!(
        *progress.lock().unwrap(),
        [(327_680, 1_000_000), (655_360, 1_000_000), (983_040, 1_000_000), (1_000_000, 1_000_000)]
    );
}

#[tokio::test]
async fn the_default_fragment_is_ten_units_under_outlooks_four_megabytes() {
    assert_eq!(FragmentSize::default().bytes(), 10 * UNIT);
    assert!(FragmentSize::default().bytes() < 4_000_000);
    assert_eq!(FragmentSize::MAX.bytes(), 60 * 1024 * 1024);
    assert_eq!(FragmentSize::of_320_kib(0), None);
    assert_eq!(FragmentSize::of_320_kib(193), None);
    assert_eq!(FragmentSize::of_320_kib(192), Some(FragmentSize::MAX));

    let session = Session::default();
    let (_server, client, url) = serve(&session).await;
    let big: Vec<u8> = file().into_iter().cycle().take(5_000_000).collect();
    client.upload(&url).send_bytes::<serde_json::Value>(big.clone()).await.unwrap();
    assert_eq!(session.state.lock().unwrap().ranges, ["bytes 0-3276799/5000000", "bytes 3276800-4999999/5000000"]);
    assert_eq!(session.bytes(), big);
}

#[tokio::test]
async fn a_failed_fragment_is_not_resent_blindly_the_session_says_what_it_lacks() {
    // The first fragment is throttled (nothing kept); the second breaks after 100,000 of its
    // bytes arrived.
    let session = Session::default();
    session.state.lock().unwrap().faults =
        VecDeque::from([Some(Fault::Throttle), None, Some(Fault::KeepThenFail(100_000, 500))]);
    let (_server, client, url) = serve(&session).await;
    let done = client.upload(&url).fragment_size(one_unit()).send_bytes::<serde_json::Value>(file()).await.unwrap();

    assert_eq!(done.status, 201);
    assert_eq!(session.bytes(), file());
    let state = session.state.lock().unwrap();
    assert_eq!(
        state.ranges,
        [
            "bytes 0-327679/1000000",
            "bytes 0-327679/1000000",
            "bytes 327680-655359/1000000",
            // Not 327680 again: the session holds 100,000 bytes of the broken fragment.
            "bytes 427680-755359/1000000",
            "bytes 755360-999999/1000000",
        ]
    );
    assert_eq!(state.methods, ["PUT", "GET", "PUT", "PUT", "GET", "PUT", "PUT"]);
    assert_eq!(state.authorized, 0);
}

#[tokio::test]
async fn a_resumed_upload_reads_and_sends_only_what_the_session_lacks() {
    let session = Session::default();
    {
        let mut state = session.state.lock().unwrap();
        state.bytes = file().into_iter().map(Some).collect();
        for b in &mut state.bytes[700_000..] {
            *b = None;
        }
    }
    let (_server, client, url) = serve(&session).await;
    // A file on disk, read one fragment at a time.
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("report.bin");
    std::fs::write(&at, file()).unwrap();
    let reader = tokio::fs::File::open(&at).await.unwrap();
    let done = client
        .upload(&url)
        .fragment_size(one_unit())
        .resume()
        .send_reader::<serde_json::Value, _>(reader, 1_000_000)
        .await
        .unwrap();

    assert_eq!(done.value.unwrap()["id"], "item-1");
    assert_eq!(session.bytes(), file());
    let state = session.state.lock().unwrap();
    assert_eq!(state.methods, ["GET", "PUT"]);
    assert_eq!(state.ranges, ["bytes 700000-999999/1000000"]);
}

#[tokio::test]
async fn an_outlook_attachment_session_answers_with_a_location_and_no_body() {
    let session = Session { outlook: true, ..Session::default() };
    let (_server, client, url) = serve(&session).await;
    let status = client.upload(&url).status().await.unwrap();
    assert_eq!(status.next_expected_ranges, [ByteRange { start: 0, end: None }]);
    let done = client
        .upload(&url)
        .fragment_size(FragmentSize::of_320_kib(2).unwrap())
        .send_bytes::<serde_json::Value>(file())
        .await
        .unwrap();
    assert!(done.header("location").unwrap().contains("Attachments('a')"));
    assert_eq!((done.status, done.value), (201, None));
    assert_eq!(session.bytes(), file());
    assert_eq!(session.state.lock().unwrap().ranges.len(), 2);
}

#[tokio::test]
async fn a_deferred_session_waits_for_its_commit() {
    let session = Session { defer_commit: true, ..Session::default() };
    let (_server, client, url) = serve(&session).await;
    let sent = client.upload(&url).send_bytes::<serde_json::Value>(file()).await.unwrap();
    assert_eq!((sent.status, sent.value), (202, None), "every byte is there, not yet committed");
    let status = client.upload(&url).status().await.unwrap();
    assert_eq!(status.next_expected_ranges, []);
    let done = client.upload(&url).commit::<serde_json::Value>().await.unwrap();
    assert_eq!(done.value.unwrap()["size"], 1_000_000);
    assert_eq!(session.state.lock().unwrap().methods.last().unwrap(), "POST");
}

#[tokio::test]
async fn the_status_reads_every_missing_range_and_the_expiry() {
    let session = Session::default();
    {
        let mut state = session.state.lock().unwrap();
        state.bytes = vec![Some(0); 1000];
        for i in (0..100).chain(300..400).chain(900..1000) {
            state.bytes[i] = None;
        }
    }
    let (_server, client, url) = serve(&session).await;
    let status = client.upload(&url).status().await.unwrap();
    assert_eq!(
        status.next_expected_ranges,
        [
            ByteRange { start: 0, end: Some(99) },
            ByteRange { start: 300, end: Some(399) },
            ByteRange { start: 900, end: None }
        ]
    );
    assert_eq!(status.expiration_date_time.unwrap().to_rfc3339(), "2026-12-08T10:00:00.123+00:00");
}

#[test]
fn byte_ranges_read_as_onedrive_and_outlook_write_them() {
    let range = |start, end| Some(ByteRange { start, end });
    for (text, expected) in [
        ("0-", range(0, None)),
        ("12-34", range(12, Some(34))),
        ("7-7", range(7, Some(7))),
        ("2097152", range(2_097_152, None)),
        (" 5 - 9 ", range(5, Some(9))),
        ("9-5", None),
        ("a-b", None),
        ("-5", None),
        ("", None),
    ] {
        assert_eq!(ByteRange::parse(text), expected, "{text:?}");
    }
}

#[tokio::test]
async fn cancelling_drops_the_session_and_a_gone_session_ends_the_upload_at_once() {
    let session = Session::default();
    let (_server, client, url) = serve(&session).await;
    client.upload(&url).cancel().await.unwrap();
    let err = client.upload(&url).send_bytes::<serde_json::Value>(file()).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.code(), Some("itemNotFound"));
    assert_eq!(session.state.lock().unwrap().methods, ["DELETE", "PUT"], "a 404 is not retried");
}

#[tokio::test]
async fn failures_are_retried_within_the_policy_then_reported() {
    let session = Session::default();
    session.state.lock().unwrap().faults = std::iter::repeat_n(Some(Fault::KeepThenFail(0, 503)), 10).collect();
    let (_server, client, url) = serve(&session).await;
    let err = client.upload(&url).fragment_size(one_unit()).send_bytes::<serde_json::Value>(file()).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.to_string().contains("gave up after 4 attempts"), "{err}");
    // The default policy: 4 attempts of the fragment, a status read between each two.
    assert_eq!(session.state.lock().unwrap().methods, ["PUT", "GET", "PUT", "GET", "PUT", "GET", "PUT"]);
}

#[tokio::test]
async fn a_session_that_takes_a_fragment_without_holding_more_is_an_error_not_a_loop() {
    let session = Session::default();
    session.state.lock().unwrap().faults = VecDeque::from([Some(Fault::NoProgress)]);
    let (_server, client, url) = serve(&session).await;
    let err = client.upload(&url).send_bytes::<serde_json::Value>(file()).await.unwrap_err();
    assert!(matches!(err, Error::Upload(_)), "{err:?}");
    assert!(err.to_string().contains("holds no more than before"), "{err}");
}

#[tokio::test]
async fn a_resumed_session_of_a_longer_file_is_refused() {
    let session = Session::default();
    // A session of a 2,000,000-byte file that holds its first 1,500,000 bytes.
    let mut bytes = vec![Some(1); 1_500_000];
    bytes.resize(2_000_000, None);
    session.state.lock().unwrap().bytes = bytes;
    let (_server, client, url) = serve(&session).await;
    let err = client.upload(&url).resume().send_bytes::<serde_json::Value>(file()).await.unwrap_err();
    assert!(err.to_string().contains("past the end of the 1000000-byte source"), "{err}");
    assert_eq!(session.state.lock().unwrap().methods, ["GET"], "nothing sent");
}

#[tokio::test]
async fn a_malformed_status_names_the_range_it_cannot_read() {
    let server = MockServer::start().await;
    Mock::given(path("/up/bad"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"nextExpectedRanges": ["0-", "x"]})))
        .mount(&server)
        .await;
    let client = Client::builder(StaticToken::new("t")).base_url(format!("{}/v1.0", server.uri())).build().unwrap();
    let err = client.upload(format!("{}/up/bad", server.uri())).status().await.unwrap_err();
    match &err {
        Error::Decode { path, .. } => assert_eq!(path, "nextExpectedRanges[1]"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request_and_the_url_stays_out_of_errors() {
    let session = Session::default();
    let (_server, client, url) = serve(&session).await;
    let err = client.upload(&url).send_bytes::<serde_json::Value>(Vec::new()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    let err = client.upload(format!("ftp://example.com/up?{SECRET}")).status().await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(session.state.lock().unwrap().methods.is_empty());

    // A session nobody answers: the transport error leaves the URL (a credential) out.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = Client::builder(StaticToken::new("t")).retry(RetryPolicy::none()).build().unwrap();
    let upload = client.upload(format!("http://127.0.0.1:{port}/up/session-1?{SECRET}"));
    assert!(!format!("{upload:?}").contains("SECRET"), "{upload:?}");
    let err = upload.send_bytes::<serde_json::Value>(file()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("SECRET"), "{err} / {err:?}");
}

#[tokio::test]
async fn the_test_kit_has_upload_sessions_that_take_fragments_as_graphs_do() {
    use msgraph_entitlement::testing::{MockError, MockGraph};
    let graph = MockGraph::start().await;
    let client = graph.client_builder().retry(RetryPolicy::default().base_delay(Duration::ZERO)).build().unwrap();
    let session = graph.upload_session();
    session
        .fail_next(MockError::unavailable())
        .completes_with(serde_json::json!({"id": "01ABC", "name": "report.bin"}));
    assert_eq!(session.content(), None);

    let done =
        client.upload(session.url()).fragment_size(one_unit()).send_bytes::<serde_json::Value>(file()).await.unwrap();

    assert_eq!((done.status, done.value.unwrap()["id"].as_str()), (201, Some("01ABC")));
    assert_eq!(session.content().unwrap(), file());
    assert_eq!(
        session.fragments(),
        [
            "bytes 0-327679/1000000",
            "bytes 0-327679/1000000",
            "bytes 327680-655359/1000000",
            "bytes 655360-983039/1000000",
            "bytes 983040-999999/1000000",
        ]
    );
    assert!(graph.received().is_empty(), "fragments are the session's, not requests to Graph");
    // A completed session is gone, as Graph's are.
    assert!(client.upload(session.url()).status().await.unwrap_err().is_not_found());
    graph.verify();

    let second = graph.upload_session();
    assert_ne!(second.url(), session.url());
    client.upload(second.url()).cancel().await.unwrap();
    assert!(second.is_cancelled());
}

#[tokio::test]
async fn the_test_kit_flags_a_token_or_a_misshapen_fragment_sent_to_an_upload_url() {
    use msgraph_entitlement::reqwest;
    use msgraph_entitlement::testing::MockGraph;
    let graph = MockGraph::start().await;
    let session = graph.upload_session();
    let http = reqwest::Client::new();
    let put = |range: &str, len: usize| http.put(session.url()).header("Content-Range", range).body(vec![7u8; len]);

    let with_token = put("bytes 0-327679/1000000", 327_680).bearer_auth("graph-token").send().await.unwrap();
    assert_eq!(with_token.status(), 401);
    let odd = put("bytes 0-99/1000000", 100).send().await.unwrap();
    assert_eq!(odd.status(), 400);
    let short = put("bytes 0-327679/1000000", 10).send().await.unwrap();
    assert_eq!(short.status(), 400);
    let out_of_order = put("bytes 327680-655359/1000000", 327_680).send().await.unwrap();
    assert_eq!(out_of_order.status(), 416, "not a protocol error: a client that lost an answer sees it");

    let failures = graph.take_failures();
    assert_eq!(failures.len(), 3, "{failures:#?}");
    assert!(failures[0].contains("sent an `Authorization` header to an upload URL"), "{}", failures[0]);
    assert!(failures[1].contains("a multiple of 320 KiB"), "{}", failures[1]);
    assert!(failures[2].contains("says 327680 bytes; the body has 10"), "{}", failures[2]);
}
