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
                tokio::spawn(relay(client, upstream, all));
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

impl Connection {
    /// Client bytes arrived: the first of a new request unless the current one is unanswered.
    fn request_bytes(&mut self, all: &Intervals) {
        if self.current.is_none() || self.answered {
            let now = SystemTime::now();
            let mut all = all.lock().expect("the interval list");
            all.push((now, now));
            self.current = Some(all.len() - 1);
            self.answered = false;
        }
    }

    /// Answer bytes are being passed on: the current request's round trip lasts until now.
    /// Returns which request it is, to extend once the bytes are through.
    fn answer_bytes(&mut self, all: &Intervals) -> Option<usize> {
        self.answered = true;
        self.current.inspect(|&i| extend(all, i))
    }
}

fn extend(all: &Intervals, request: usize) {
    all.lock().expect("the interval list")[request].1 = SystemTime::now();
}

/// Relays one client connection. The upstream connection is opened when the first request
/// arrives, so that its set-up counts as AWS time, as a connection to AWS would.
async fn relay(client: TcpStream, upstream: SocketAddr, all: Intervals) {
    let (mut client_read, mut client_write) = client.into_split();
    let state = Arc::new(Mutex::new(Connection::default()));
    let mut first = vec![0u8; 64 * 1024];
    let n = match client_read.read(&mut first).await {
        Ok(n) if n > 0 => n,
        _ => return,
    };
    state.lock().expect("the connection state").request_bytes(&all);
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut server_read, mut server_write) = server.into_split();
    let (up_state, up_all) = (state.clone(), all.clone());
    let upload = tokio::spawn(async move {
        if server_write.write_all(&first[..n]).await.is_err() {
            return;
        }
        let mut buf = first;
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            up_state.lock().expect("the connection state").request_bytes(&up_all);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = server_read.read(&mut buf).await {
        if n == 0 {
            break;
        }
        // Marked answered before the bytes reach the client, so that a next request the client
        // sends as soon as it has them always opens a new interval.
        let request = state.lock().expect("the connection state").answer_bytes(&all);
        if client_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
        if let Some(i) = request {
            extend(&all, i);
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
            busy >= Duration::from_millis(100) && busy < Duration::from_millis(150),
            "two 50 ms answers, not the 100 ms pauses after them: {busy:?}"
        );
    }
}
