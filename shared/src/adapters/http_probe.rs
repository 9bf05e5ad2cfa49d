//! reqwest behind the [`HttpSender`] port, with the response body read up to a cap.

use std::sync::OnceLock;
use std::time::Duration;

use crate::ports::{HttpReply, HttpRequest, HttpSender};
use crate::smoke::evaluation::MAX_RESPONSE_BYTES;

/// The client is built on the first HTTP probe: loading the TLS roots costs milliseconds of
/// cold start that a deployment without HTTP probes (most Lambda ones) never needs.
#[derive(Debug, Default)]
pub struct ReqwestSender {
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl ReqwestSender {
    pub fn new() -> Self {
        ReqwestSender::default()
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| format!("could not build the HTTP client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl HttpSender for ReqwestSender {
    async fn send(&self, request: &HttpRequest) -> Result<HttpReply, String> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| format!("`{}` is not an HTTP method", request.method))?;
        let mut builder = self.client()?.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| {
            format!(
                "{} {}: {}",
                request.method,
                redact_url(&request.url),
                error_chain(&e.without_url())
            )
        })?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading the body: {}", error_chain(&e.without_url())))?
        {
            let room = MAX_RESPONSE_BYTES - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_RESPONSE_BYTES {
                break;
            }
        }
        Ok(HttpReply {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// A URL fit for logs: no user or password, no query (tokens travel there).
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let had_query = u.query().is_some();
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            if had_query { format!("{u}?…") } else { u.to_string() }
        }
        Err(_) => "(an unparsable URL)".to_string(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_and_queries_in_logs() {
        assert_eq!(
            redact_url("https://user:s3cret@api.example.com:8443/health?token=abc"),
            "https://api.example.com:8443/health?…"
        );
        assert_eq!(redact_url("http://127.0.0.1:9/health"), "http://127.0.0.1:9/health");
        assert_eq!(redact_url("not a url"), "(an unparsable URL)");
    }

    #[tokio::test]
    async fn a_refused_connection_names_the_redacted_url_only() {
        let sender = ReqwestSender::new();
        let request = HttpRequest {
            method: "GET".into(),
            url: "http://user:pw@127.0.0.1:9/health?token=s3cret".into(),
            headers: [("Authorization".to_string(), "Bearer s3cret".to_string())].into(),
            body: None,
        };
        let err = sender.send(&request).await.unwrap_err();
        assert!(err.starts_with("GET http://127.0.0.1:9/health?…: "), "{err}");
        assert!(!err.contains("s3cret") && !err.contains("pw"), "{err}");
    }
}
