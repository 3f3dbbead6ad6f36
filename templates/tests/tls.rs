//! TLS, whichever of the `rustls`, `rustls-ring` and `native-tls` features is on: the client
//! builds (with `rustls-ring` alone reqwest has no crypto provider and would panic), and a
//! request opens with a TLS ClientHello that offers HTTP/2 and HTTP/1.1. Without a TLS
//! feature an `https` base URL is a clear error when the client is built.

#[cfg(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"))]
mod with_tls {
    use std::io::Read;
    use std::net::TcpListener;
    use std::thread::JoinHandle;
    use std::time::Duration;

    use msgraph_entitlement::runtime::{Json, Method, RetryPolicy};
    use msgraph_entitlement::{Client, Error, StaticToken};

    /// A TCP server on loopback that keeps the first bytes a client sends, then hangs up.
    fn first_bytes_server() -> (String, JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let server = std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else { return Vec::new() };
            stream.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
            let mut buf = vec![0; 16 * 1024];
            let n = stream.read(&mut buf).unwrap_or(0);
            buf.truncate(n);
            buf
        });
        (format!("https://{addr}/v1.0"), server)
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[tokio::test]
    async fn an_https_request_opens_with_a_client_hello_offering_h2_and_http1() {
        let (base_url, server) = first_bytes_server();
        let client = Client::app_only_builder(StaticToken::new("token"))
            .base_url(&base_url)
            .retry(RetryPolicy::none())
            .timeout(Some(Duration::from_secs(20)))
            .build()
            .expect("the client builds with the enabled TLS feature");
        // Any request will do: the handshake is what is tested.
        let result = client.request::<Json<serde_json::Value>>(Method::GET, "/organization".to_string()).await;
        // The server hangs up after the ClientHello: the handshake fails, as a transport error.
        assert!(matches!(result, Err(Error::Transport { .. })), "expected a transport error, got {result:?}");
        let hello = server.join().expect("the server thread");
        // A TLS record (content type 22, handshake) carrying a ClientHello (handshake type 1).
        assert!(hello.len() > 5, "no ClientHello received: {hello:?}");
        assert_eq!((hello[0], hello[1], hello[5]), (22, 3, 1), "not a TLS ClientHello: {:?}", &hello[..6]);
        assert!(contains(&hello, b"\x02h2"), "the ClientHello does not offer h2 (ALPN)");
        assert!(contains(&hello, b"\x08http/1.1"), "the ClientHello does not offer http/1.1 (ALPN)");
    }
}

#[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
#[test]
fn without_a_tls_feature_an_https_base_url_is_a_clear_error() {
    use msgraph_entitlement::{Client, Error, StaticToken};
    let Err(err) = Client::app_only(StaticToken::new("token")) else {
        panic!("an https client was built without a TLS feature");
    };
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("`rustls-ring`"), "{message}");
    // Plain http (a local test server) still works.
    let client = Client::app_only_builder(StaticToken::new("token")).base_url("http://127.0.0.1:9/v1.0").build();
    assert!(client.is_ok());
}
