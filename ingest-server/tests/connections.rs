//! Slow and idle clients cannot hold the server's connections: raw TCP on
//! loopback, waiting (with a bound) for the server to close the socket.

mod common;

use std::time::{Duration, Instant};

use common::{start, KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any timeout set below: reaching it means the server held on.
const BOUND: Duration = Duration::from_secs(30);

async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection; what it sent first.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server still holds the connection");
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_body_that_does_not_arrive_is_cut_off_at_the_body_timeout() {
    let server = start(|settings| settings.http.body_timeout = Duration::from_secs(1)).await;
    for length in ["1000000000000", "100"] {
        let mut stream = connect(&server.base).await;
        let head = format!(
            "POST /v1/beacon?key={KEY} HTTP/1.1\r\nhost: x\r\ncontent-type: text/plain\r\ncontent-length: {length}\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let answer = until_closed(&mut stream).await;
        assert!(started.elapsed() >= Duration::from_millis(900), "{answer}");
        // A declared length over the limit may be refused outright; else the body times out.
        assert!(
            answer.is_empty() || answer.contains(" 400 ") || answer.contains(" 413 "),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn dribbled_headers_are_cut_off_at_the_header_timeout() {
    let server = start(|settings| settings.http.header_timeout = Duration::from_secs(1)).await;
    let mut stream = connect(&server.base).await;
    stream
        .write_all(b"POST /v1/beacon HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    // One header byte every 100 ms, until the server hangs up.
    loop {
        assert!(
            started.elapsed() < BOUND,
            "the server still holds the connection"
        );
        if stream.write_all(b"x").await.is_err() {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) | Err(_) => {}
        }
    }
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn an_idle_connection_is_closed_at_the_idle_timeout() {
    let server = start(|settings| {
        settings.http.header_timeout = Duration::from_secs(600);
        settings.http.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let mut stream = connect(&server.base).await;
    let started = Instant::now();
    until_closed(&mut stream).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    let server = start(|settings| settings.http.max_connections = 1).await;
    let holder = connect(&server.base).await;
    let mut waiting = connect(&server.base).await;
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let early = tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut buf)).await;
    assert!(early.is_err(), "answered while the only slot was taken");
    drop(holder);
    let answer = until_closed(&mut waiting).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
