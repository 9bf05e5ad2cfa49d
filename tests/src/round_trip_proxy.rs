//! An HTTP proxy between a function and the local AWS stand-in that measures AWS's share of a run
//! from the function's side: for each request, the time from its arrival at the proxy (the
//! request whole) to its answer being handed back. `make bench` subtracts the union of those
//! intervals from a cold start, leaving the function's own work ("the AWS round trips aside"),
//! however slow the stand-in's HTTP server is.
//!
//! It also keeps the function's connections alive the way AWS endpoints do. The stand-in's HTTP
//! server (werkzeug) closes every connection after one answer, so without the proxy each AWS call
//! would open a new TCP connection and count its set-up as the function's own work, where on AWS
//! only the first call to each endpoint does. Each request goes upstream on a connection of its
//! own, inside the timed interval.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::http_server::{Reply, Server, reply, serve};
use http_body_util::Full;
use hyper::Response;

/// When each request arrived and when its answer was handed back.
type Intervals = Arc<Mutex<Vec<(SystemTime, SystemTime)>>>;

pub struct RoundTripProxy {
    pub addr: SocketAddr,
    intervals: Intervals,
    _server: Server,
}

impl RoundTripProxy {
    /// Proxies to `upstream` (host:port).
    pub async fn start(upstream: SocketAddr) -> RoundTripProxy {
        let intervals: Intervals = Arc::default();
        let all = intervals.clone();
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client for the upstream");
        let server = serve(Arc::new(move |parts, body| {
            let (all, client) = (all.clone(), client.clone());
            Box::pin(async move {
                let started = SystemTime::now();
                let answer = forward(&client, upstream, parts, body).await;
                all.lock()
                    .expect("the interval list")
                    .push((started, SystemTime::now()));
                answer
            })
        }))
        .await;
        RoundTripProxy {
            addr: server.addr,
            intervals,
            _server: server,
        }
    }

    /// The `http://` endpoint to give the function.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How long, between `from` and `to`, at least one request was waiting for or receiving
    /// its answer (overlapping requests count once).
    pub fn busy_between(&self, from: SystemTime, to: SystemTime) -> Duration {
        let mut clipped: Vec<(SystemTime, SystemTime)> = self
            .intervals
            .lock()
            .expect("the interval list")
            .iter()
            .map(|&(s, e)| (s.max(from), e.min(to)))
            .filter(|(s, e)| s < e)
            .collect();
        union_length(&mut clipped)
    }

    /// How many requests went through.
    pub fn requests(&self) -> usize {
        self.intervals.lock().expect("the interval list").len()
    }
}

fn union_length(intervals: &mut [(SystemTime, SystemTime)]) -> Duration {
    intervals.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(SystemTime, SystemTime)> = None;
    for &(s, e) in intervals.iter() {
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce.duration_since(cs).unwrap_or_default();
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((cs, ce)) = current {
        total += ce.duration_since(cs).unwrap_or_default();
    }
    total
}

/// Headers that belong to one connection, not to the request or answer passed on.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "te",
    "upgrade",
    "transfer-encoding",
    "content-length",
];

/// Passes one request upstream as it came (the `Host` header included) and its answer back,
/// without the stand-in's `Connection: close`, which would end the function's connection.
async fn forward(
    client: &reqwest::Client,
    upstream: SocketAddr,
    parts: hyper::http::request::Parts,
    body: hyper::body::Bytes,
) -> Reply {
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut headers = parts.headers;
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    let sent = client
        .request(parts.method, format!("http://{upstream}{path}"))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(e) => return reply(502, format!("the stand-in did not answer: {e}")),
    };
    let (status, mut headers) = (answer.status(), answer.headers().clone());
    let body = match answer.bytes().await {
        Ok(body) => body,
        Err(e) => return reply(502, format!("the stand-in's answer was cut: {e}")),
    };
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn overlapping_requests_count_once_and_gaps_not_at_all() {
        let mut v = vec![(at(10), at(20)), (at(15), at(30)), (at(40), at(45)), (at(0), at(5))];
        assert_eq!(union_length(&mut v), Duration::from_millis(5 + 20 + 5));
        assert_eq!(union_length(&mut []), Duration::ZERO);
    }

    /// An upstream like werkzeug: it answers each request 50 ms after it arrives, and closes
    /// the connection after every answer.
    async fn closing_upstream() -> SocketAddr {
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = upstream.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = upstream.accept().await {
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf).await {
                            Ok(n) if n > 0 => request.extend_from_slice(&buf[..n]),
                            _ => return,
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let answer = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong";
                    s.write_all(answer.as_bytes()).await.unwrap();
                });
            }
        });
        addr
    }

    /// Sends a GET on `conn` and reads its answer whole.
    async fn get(conn: &mut TcpStream) -> String {
        conn.write_all(b"GET /ping HTTP/1.1\r\nHost: aws\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.ends_with(b"pong") {
            let n = conn.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "the proxy closed the function's connection: {}",
                String::from_utf8_lossy(&answer)
            );
            answer.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(answer).unwrap()
    }

    #[tokio::test]
    async fn requests_are_timed_and_the_functions_connection_stays_open() {
        let proxy = RoundTripProxy::start(closing_upstream().await).await;
        let started = SystemTime::now();
        let mut conn = TcpStream::connect(proxy.addr).await.unwrap();
        for _ in 0..2 {
            let answer = get(&mut conn).await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(!answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
            // The function's own work between calls: not AWS time.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let busy = proxy.busy_between(started, SystemTime::now());
        assert_eq!(proxy.requests(), 2);
        assert!(
            busy >= Duration::from_millis(100) && busy < Duration::from_millis(150),
            "two 50 ms answers, not the 100 ms pauses after them: {busy:?}"
        );
    }
}
