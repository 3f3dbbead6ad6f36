//! Property tests (proptest) of the generated crate's URL building and permission lookup:
//! - a percent-encoded id is always exactly one path segment, and decodes back to the id;
//! - an OData string literal always round-trips and can never end early;
//! - `permissions::for_request` finds an operation's row whatever the ids, prefix and query.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_entitlement::permissions::{PERMISSIONS, for_request};
use msgraph_entitlement::runtime::{PathSegment, encode_segment, path_argument_literal};
use msgraph_tests::percent_decode;
use proptest::prelude::*;

/// Ids with the characters that break naive URL building, and any other text.
fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 /?#%&=+:;,()'\"\\\\.$@-]{1,24}",
        "\\PC{1,12}",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ]
}

/// Whether `s` names a literal segment of some row (an id spelt like a sibling literal is routed
/// to the literal by Graph too, so it is left out of the lookup property).
fn is_literal_name(s: &str) -> bool {
    PERMISSIONS.iter().flat_map(|r| r.segments.iter()).any(|seg| match seg {
        PathSegment::Literal(l) => {
            l.eq_ignore_ascii_case(s) || s.to_ascii_lowercase().ends_with(&format!(".{}", l.to_ascii_lowercase()))
        }
        PathSegment::Function { name, .. } => name.eq_ignore_ascii_case(s),
        _ => false,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn an_encoded_id_is_one_segment(s in "\\PC{0,40}|[/?#%. ]{0,8}") {
        let encoded = encode_segment(&s);
        let url = format!("/things/{encoded}/stages");
        prop_assert_eq!(url.split('/').count(), 4);
        prop_assert!(!encoded.contains(['/', '?', '#', '\'', ' ']));
        prop_assert_eq!(percent_decode(&encoded).unwrap(), s.as_bytes());
    }

    #[test]
    fn odata_literals_round_trip(s in "\\PC{0,40}|['%]{0,8}") {
        let literal = path_argument_literal(&s);
        prop_assert!(literal.len() >= 2 && literal.starts_with('\'') && literal.ends_with('\''));
        let inner = &literal[1..literal.len() - 1];
        // Inside, quotes only come doubled (percent-encoded), so the literal cannot end early.
        prop_assert!(!inner.contains('\''));
        let decoded = String::from_utf8(percent_decode(inner).unwrap()).unwrap();
        prop_assert!(decoded.replace("''", "").find('\'').is_none());
        prop_assert_eq!(decoded.replace("''", "'"), s);
    }

    #[test]
    fn for_request_finds_the_row_whatever_the_ids(
        row in 0..PERMISSIONS.len(),
        ids in proptest::collection::vec(id(), 8),
        prefix in prop_oneof![Just(""), Just("/{version}"), Just("https://graph.microsoft.com/{version}")],
        query in prop_oneof![Just(""), Just("?$top=5&$filter=displayName eq 'x'"), Just("#frag")],
    ) {
        let row = &PERMISSIONS[row];
        let mut next_id = ids.iter().cycle();
        // With a version in the URL, the row's own (v1.0, or beta for the beta module's rows).
        let mut url = prefix.replace("{version}", row.api_version);
        for segment in row.segments {
            url.push('/');
            match segment {
                PathSegment::Literal(l) => url.push_str(l),
                PathSegment::Param(_) => {
                    let id = next_id.next().unwrap();
                    prop_assume!(!is_literal_name(id));
                    url.push_str(&encode_segment(id));
                }
                PathSegment::Function { name, params } => {
                    let args: Vec<String> = params
                        .iter()
                        .map(|p| format!("{p}={}", path_argument_literal(next_id.next().unwrap())))
                        .collect();
                    url.push_str(&format!("{name}({})", args.join(",")));
                }
                PathSegment::Ref => url.push_str("$ref"),
            }
        }
        url.push_str(query);
        let found = for_request(row.http_method, &url);
        prop_assert!(found.is_some(), "no row for {} {url}", row.http_method);
        let found = found.unwrap();
        prop_assert_eq!(found.path, row.path, "{} {}", row.http_method, url);
        prop_assert_eq!(found.http_method, row.http_method);
    }
}

/// The property above covers every row at least once here, not only by chance.
#[test]
fn every_row_is_found_with_plain_ids() {
    for row in PERMISSIONS {
        let url: Vec<String> = row
            .segments
            .iter()
            .map(|s| match s {
                PathSegment::Literal(l) => (*l).to_string(),
                PathSegment::Param(_) => "id-1".to_string(),
                PathSegment::Function { name, params } => {
                    format!("{name}({})", params.iter().map(|p| format!("{p}='x'")).collect::<Vec<_>>().join(","))
                }
                PathSegment::Ref => "$ref".to_string(),
            })
            .collect();
        let url = format!("/{}", url.join("/"));
        assert_eq!(for_request(row.http_method, &url).map(|r| r.path), Some(row.path), "{url}");
    }
}
