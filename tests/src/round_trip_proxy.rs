//! A TCP proxy between a function and the local AWS stand-in that measures AWS's share of a run
//! from the function's side: for each request, the time from its first byte reaching the proxy
//! to the last byte of its answer leaving it. `make bench` subtracts the union of those
//! intervals from a cold start, leaving the function's own work ("the AWS round trips aside"),
//! however slow the stand-in's HTTP server is.
//!
//! HTTP/1.1 without pipelining, as the SDK speaks to a plain `http://` endpoint: on one
//! connection a request starts when client bytes arrive after an answer (or first), and its
//! round trip ends with the last answer byte before the next request.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Request start and last answer byte, per request.
type Intervals = Arc<Mutex<Vec<(SystemTime, SystemTime)>>>;

pub struct RoundTripProxy {
    pub addr: SocketAddr,
    intervals: Intervals,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RoundTripProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RoundTripProxy {
    /// Proxies to `upstream` (host:port).
    pub async fn start(upstream: SocketAddr) -> RoundTripProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let intervals: Intervals = Arc::default();
        let all = intervals.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let all = all.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        relay(client, server, all).await;
                    }
                });
            }
        });
        RoundTripProxy { addr, intervals, task }
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

/// Which interval of `all` this connection's current request is, and whether its answer began.
#[derive(Default)]
struct Connection {
    current: Option<usize>,
    answered: bool,
}

async fn relay(client: TcpStream, server: TcpStream, all: Intervals) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let state = Arc::new(Mutex::new(Connection::default()));
    let (up_state, up_all) = (state.clone(), all.clone());
    let upload = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            {
                let mut c = up_state.lock().expect("the connection state");
                if c.current.is_none() || c.answered {
                    let now = SystemTime::now();
                    let mut all = up_all.lock().expect("the interval list");
                    all.push((now, now));
                    c.current = Some(all.len() - 1);
                    c.answered = false;
                }
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = server_read.read(&mut buf).await {
        if n == 0 || client_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
        let mut c = state.lock().expect("the connection state");
        c.answered = true;
        if let Some(i) = c.current {
            all.lock().expect("the interval list")[i].1 = SystemTime::now();
        }
    }
    let _ = client_write.shutdown().await;
    upload.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn overlapping_requests_count_once_and_gaps_not_at_all() {
        let mut v = vec![(at(10), at(20)), (at(15), at(30)), (at(40), at(45)), (at(0), at(5))];
        assert_eq!(union_length(&mut v), Duration::from_millis(5 + 20 + 5));
        assert_eq!(union_length(&mut []), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_request_is_timed_from_its_first_byte_to_its_answers_last() {
        // An upstream that answers each request 50 ms after it arrives, on one connection.
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = upstream.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                s.write_all(b"pong").await.unwrap();
            }
        });
        let proxy = RoundTripProxy::start(upstream_addr).await;
        let started = SystemTime::now();
        let mut client = TcpStream::connect(proxy.addr).await.unwrap();
        let mut buf = [0u8; 4];
        for _ in 0..2 {
            client.write_all(b"ping").await.unwrap();
            client.read_exact(&mut buf).await.unwrap();
            // The function's own work between calls: not AWS time.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let busy = proxy.busy_between(started, SystemTime::now());
        assert_eq!(proxy.requests(), 2);
        assert!(
            busy >= Duration::from_millis(100) && busy < Duration::from_millis(250),
            "two 50 ms answers, not the 100 ms pauses after them: {busy:?}"
        );
    }
}
