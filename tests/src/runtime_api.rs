//! A Lambda Runtime API stand-in: runs a function binary as a real process, hands it events
//! with deadlines as Lambda does, and collects its responses, errors and log lines.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::Method;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

use crate::http_server::{reply, serve};

/// One event to deliver, and how long the invocation may run (Lambda's timeout).
#[derive(Debug, Clone)]
pub struct Invoke {
    pub event: Value,
    pub timeout: Duration,
}

impl Invoke {
    /// One event with Lambda's `timeout`.
    pub fn once(event: Value, timeout: Duration) -> Vec<Invoke> {
        Invoke::each([event], timeout)
    }

    /// Each event in turn, each with Lambda's `timeout`.
    pub fn each(events: impl IntoIterator<Item = Value>, timeout: Duration) -> Vec<Invoke> {
        events.into_iter().map(|event| Invoke { event, timeout }).collect()
    }
}

/// How one invocation ended.
#[derive(Debug, Clone)]
pub struct InvocationResult {
    /// The function's response (`Ok`) or its error document (`Err`: errorType, errorMessage).
    pub outcome: Result<Value, Value>,
    /// When the event was handed out, and the deadline it came with.
    pub started: SystemTime,
    pub deadline: SystemTime,
    pub finished: SystemTime,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct FunctionRun {
    /// One entry per event, in order; `None` where the function never answered.
    pub results: Vec<Option<InvocationResult>>,
    /// When the process was started.
    pub spawned: SystemTime,
    /// The process's peak resident set (VmHWM) after the last answer, where /proc tells.
    pub peak_rss_kib: Option<u64>,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

impl FunctionRun {
    /// The JSON lines the function wrote on stdout.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The one result of a single-event run.
    pub fn only(&self) -> &InvocationResult {
        assert_eq!(self.results.len(), 1, "one event was sent");
        self.results[0]
            .as_ref()
            .unwrap_or_else(|| panic!("the function never answered; stderr:\n{}", self.stderr.join("\n")))
    }
}

struct Pending {
    id: String,
    event: Value,
    timeout: Duration,
}

struct State {
    queue: VecDeque<Pending>,
    started: Vec<(String, SystemTime, SystemTime)>,
}

/// An answer as it reached the stand-in, stamped with the time.
struct Answer {
    id: String,
    outcome: Result<Value, Value>,
    finished: SystemTime,
}

impl Answer {
    fn new(id: &str, outcome: Result<Value, Value>) -> Self {
        Answer {
            id: id.to_string(),
            outcome,
            finished: SystemTime::now(),
        }
    }
}

fn epoch_ms(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()
}

/// Runs `binary` with `env`, delivers `events` one after another to the same process (as a warm
/// Lambda does), and waits until each got an answer or `patience` ran out.
pub async fn run_function(
    binary: &Path,
    env: &[(String, String)],
    events: Vec<Invoke>,
    patience: Duration,
) -> FunctionRun {
    let count = events.len();
    let state = Arc::new(Mutex::new(State {
        queue: events
            .into_iter()
            .enumerate()
            .map(|(i, e)| Pending {
                id: format!("req-{i}"),
                event: e.event,
                timeout: e.timeout,
            })
            .collect(),
        started: Vec::new(),
    }));
    let (tx, mut rx) = mpsc::unbounded_channel::<Answer>();
    let handler_state = state.clone();
    let server = serve(Arc::new(move |parts, body| {
        let state = handler_state.clone();
        let tx = tx.clone();
        Box::pin(async move {
            let path = parts.uri.path().to_string();
            if parts.method == Method::GET && path == "/2018-06-01/runtime/invocation/next" {
                let next = state.lock().unwrap().queue.pop_front();
                let Some(p) = next else {
                    // No more events: a real Lambda freezes the process here.
                    std::future::pending::<()>().await;
                    unreachable!()
                };
                let now = SystemTime::now();
                let deadline = now + p.timeout;
                state.lock().unwrap().started.push((p.id.clone(), now, deadline));
                return hyper::Response::builder()
                    .status(200)
                    .header("Lambda-Runtime-Aws-Request-Id", &p.id)
                    .header("Lambda-Runtime-Deadline-Ms", epoch_ms(deadline).to_string())
                    .header(
                        "Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:hook",
                    )
                    .header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                    // The body is the event, "a JSON document" (Runtime API reference,
                    // https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html); the page
                    // lists no Content-Type header, but AWS's Python runtime interface client
                    // (make bench's seed hooks) reads one and crashes without it.
                    .header("Content-Type", "application/json")
                    .body(http_body_util::Full::new(serde_json::to_vec(&p.event).unwrap().into()))
                    .unwrap();
            }
            let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") {
                if let Some(id) = rest.strip_suffix("/response") {
                    let _ = tx.send(Answer::new(id, Ok(parsed)));
                } else if let Some(id) = rest.strip_suffix("/error") {
                    let _ = tx.send(Answer::new(id, Err(parsed)));
                }
                return reply(202, "{}");
            }
            if path == "/2018-06-01/runtime/init/error" {
                let _ = tx.send(Answer::new("init", Err(parsed)));
                return reply(202, "{}");
            }
            reply(404, "unknown Runtime API path")
        })
    }))
    .await;

    let spawned = SystemTime::now();
    let mut child = Command::new(binary)
        .env_clear()
        .envs(env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", server.addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
    let stdout = collect_lines(child.stdout.take().expect("piped stdout"));
    let stderr = collect_lines(child.stderr.take().expect("piped stderr"));

    let mut answers: Vec<Answer> = Vec::new();
    let give_up = tokio::time::Instant::now() + patience;
    while answers.len() < count {
        match tokio::time::timeout_at(give_up, rx.recv()).await {
            Ok(Some(answer)) => {
                let init_failed = answer.id == "init";
                answers.push(answer);
                if init_failed {
                    break;
                }
            }
            _ => break,
        }
    }
    let peak_rss_kib = child.id().and_then(read_peak_rss_kib);
    let _ = child.start_kill();
    let _ = child.wait().await;
    drop(server);
    let stdout = stdout.await.unwrap_or_default();
    let stderr = stderr.await.unwrap_or_default();

    let started = state.lock().unwrap().started.clone();
    let results = (0..count)
        .map(|i| {
            let id = format!("req-{i}");
            let (_, s, d) = started.iter().find(|(sid, _, _)| *sid == id)?;
            let answer = answers.iter().find(|a| a.id == id || a.id == "init")?;
            Some(InvocationResult {
                outcome: answer.outcome.clone(),
                started: *s,
                deadline: *d,
                finished: answer.finished,
            })
        })
        .collect();
    FunctionRun {
        results,
        spawned,
        peak_rss_kib,
        stdout,
        stderr,
    }
}

/// VmHWM of a running process, in KiB.
fn read_peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn collect_lines<R: tokio::io::AsyncRead + Unpin + Send + 'static>(reader: R) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(reader).lines();
        let mut out = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            out.push(line);
        }
        out
    })
}
