//! Waiting for an object to settle (`wait_until_*`, declared in `metadata/waiters.yaml`): the
//! polling rules on tokio's paused clock with scripted reads, then the generated method against
//! the test kit.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use msgraph_entitlement::models::{AccessPackageAssignmentRequest, AccessPackageRequestState as State};
use msgraph_entitlement::runtime::{ErrorDetails, Response, WaitOptions, Waiter, wait_until};
use msgraph_entitlement::testing::{MockError, MockGraph};
use msgraph_entitlement::{Error, reqwest::header::HeaderValue};
use tokio::time::Instant;

/// The waiter `wait_until_settled` is generated with (metadata/waiters.yaml).
const SETTLED: Waiter = Waiter {
    name: "settled",
    property: "state",
    success: &["delivered", "partiallyDelivered"],
    failure: &["deliveryFailed", "denied", "canceled"],
};

fn request(state: State) -> AccessPackageAssignmentRequest {
    AccessPackageAssignmentRequest { id: Some("req-1".into()), state: Some(state), ..Default::default() }
}

fn read(state: State) -> Result<Response<AccessPackageAssignmentRequest>, Error> {
    Ok(Response::new(200, request(state)))
}

fn not_found() -> Result<Response<AccessPackageAssignmentRequest>, Error> {
    let mut details = ErrorDetails::default();
    details.request_id = Some("404-id".into());
    Err(Error::Graph { status: 404, error: None, body: String::new(), details: Box::new(details) })
}

/// Scripted reads: each poll takes the next answer (the last one repeats) and notes when it came,
/// in seconds since the start.
struct Script {
    answers: Mutex<VecDeque<Result<Response<AccessPackageAssignmentRequest>, Error>>>,
    at: Mutex<Vec<u64>>,
    start: Instant,
}

impl Script {
    fn new(answers: Vec<Result<Response<AccessPackageAssignmentRequest>, Error>>) -> Arc<Script> {
        Arc::new(Script { answers: Mutex::new(answers.into()), at: Mutex::new(Vec::new()), start: Instant::now() })
    }

    async fn poll(&self) -> Result<Response<AccessPackageAssignmentRequest>, Error> {
        self.at.lock().unwrap().push(self.start.elapsed().as_secs());
        let mut answers = self.answers.lock().unwrap();
        if answers.len() > 1 {
            return answers.pop_front().unwrap();
        }
        match answers.front().unwrap() {
            Ok(r) => Ok(r.clone()),
            Err(_) => not_found(),
        }
    }

    fn at(&self) -> Vec<u64> {
        self.at.lock().unwrap().clone()
    }
}

async fn wait(
    script: &Arc<Script>,
    options: WaitOptions,
) -> Result<msgraph_entitlement::runtime::Waited<AccessPackageAssignmentRequest>, Error> {
    wait_until(|| script.poll(), &SETTLED, &options).await
}

#[tokio::test(start_paused = true)]
async fn submitted_then_delivering_then_delivered_in_three_polls() {
    let script = Script::new(vec![read(State::Submitted), read(State::Delivering), read(State::Delivered)]);
    let done = wait(&script, WaitOptions::default()).await.unwrap();
    assert_eq!((done.state.as_str(), done.polls), ("delivered", 3));
    assert_eq!(done.value.state, Some(State::Delivered));
    assert_eq!(script.at(), [0, 2, 6], "2 s, then doubled");
    assert_eq!(done.elapsed, Duration::from_secs(6));
}

#[tokio::test(start_paused = true)]
async fn delivery_failed_is_an_error_with_the_state_the_object_and_the_request_id() {
    let failed = Response::new(200, request(State::DeliveryFailed))
        .with_header("request-id", HeaderValue::from_static("req-id-7"));
    let script = Script::new(vec![read(State::Delivering), Ok(failed)]);
    let e = wait(&script, WaitOptions::default()).await.unwrap_err();
    let Error::WaitFailed { waiter, state, entity, request_id, polls, .. } = &e else { panic!("{e:?}") };
    assert_eq!(
        (*waiter, state.as_str(), request_id.as_deref(), *polls),
        ("settled", "deliveryFailed", Some("req-id-7"), 2)
    );
    let object: AccessPackageAssignmentRequest = serde_json::from_value((**entity).clone()).unwrap();
    assert_eq!(object, request(State::DeliveryFailed));
    assert_eq!(e.request_id(), Some("req-id-7"));
    assert!(e.to_string().contains("wait_until_settled: the object reached `deliveryFailed`"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn a_404_inside_the_grace_period_is_not_visible_yet() {
    let script = Script::new(vec![not_found(), not_found(), read(State::Delivered)]);
    let options = WaitOptions::default().not_found_grace(Duration::from_secs(10));
    let done = wait(&script, options).await.unwrap();
    assert_eq!(done.polls, 3);
    assert_eq!(script.at(), [0, 2, 6]);
}

#[tokio::test(start_paused = true)]
async fn a_404_past_the_grace_period_is_the_error() {
    let script = Script::new(vec![not_found()]);
    let options = WaitOptions::default().not_found_grace(Duration::from_secs(5));
    let e = wait(&script, options).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert_eq!(script.at(), [0, 2, 6], "polls at 0 and 2 s are inside the 5 s grace; the one at 6 s is not");
}

#[tokio::test(start_paused = true)]
async fn the_deadline_is_honoured() {
    let script = Script::new(vec![read(State::Delivering)]);
    let options = WaitOptions::default().deadline(Duration::from_secs(20)).max_interval(Duration::from_secs(8));
    let e = wait(&script, options).await.unwrap_err();
    let Error::WaitTimedOut { last_state, polls, elapsed, .. } = &e else { panic!("{e:?}") };
    assert_eq!((last_state.as_deref(), *polls), (Some("delivering"), 4));
    assert_eq!(script.at(), [0, 2, 6, 14], "the next poll (22 s) would pass the deadline");
    assert!(*elapsed <= Duration::from_secs(20), "{elapsed:?}");
    assert!(e.to_string().contains("last seen `delivering`"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn retry_after_stretches_the_interval() {
    let slow =
        Response::new(200, request(State::PendingApproval)).with_header("retry-after", HeaderValue::from_static("30"));
    let script = Script::new(vec![Ok(slow), read(State::Delivering), read(State::Delivered)]);
    let done = wait(&script, WaitOptions::default()).await.unwrap();
    assert_eq!(done.polls, 3);
    assert_eq!(script.at(), [0, 30, 34], "30 s as the server asked, then the interval (4 s)");
}

#[tokio::test]
async fn the_generated_method_polls_the_read_until_delivered() {
    let graph = MockGraph::start().await;
    let client = graph.app_only_client();
    let item = client.entitlement_management().assignment_requests().by_id("req-1");
    graph
        .expect(item.get())
        .fail(MockError::not_found("not replicated yet"))
        .respond(request(State::Submitted))
        .respond(request(State::Delivered))
        .times(3);
    let options = WaitOptions::default().interval(Duration::from_millis(5)).max_interval(Duration::from_millis(10));
    let done = item.wait_until_settled(&options).await.unwrap();
    assert_eq!((done.state.as_str(), done.polls), ("delivered", 3));
    assert_eq!(done.value.id.as_deref(), Some("req-1"));
    assert!(done.request_id.is_some(), "the kit sends a request-id");
    assert_eq!(graph.received().len(), 3);
    graph.verify();
}

#[tokio::test]
async fn a_denied_request_ends_the_generated_wait_as_an_error() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let item = client.entitlement_management().assignment_requests().by_id("req-2");
    graph.expect(item.get()).respond(request(State::Denied));
    let e = item.wait_until_settled(&WaitOptions::default()).await.unwrap_err();
    assert!(matches!(&e, Error::WaitFailed { state, .. } if state == "denied"), "{e:?}");
    graph.verify();
}
