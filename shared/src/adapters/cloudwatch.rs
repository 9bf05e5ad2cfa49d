//! CloudWatch: every metric of a verdict in one `GetMetricData` call (pages followed).

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StatusCode};

use super::error::aws_error;
use crate::gate::metric_query::{MetricQuery, MetricWindow};
use crate::ports::{AlarmTagReader, AwsError, MetricData, MetricReadError, MetricReader};

/// At most this many pages are followed; one page holds up to 100 800 datapoints.
const MAX_PAGES: usize = 20;

#[derive(Debug, Clone)]
pub struct CloudWatchAdapter {
    client: Client,
}

impl CloudWatchAdapter {
    pub fn new(client: Client) -> Self {
        CloudWatchAdapter { client }
    }
}

/// `period_s`: the window's, unless the query has its own.
fn to_sdk(q: &MetricQuery, period_s: i32) -> MetricDataQuery {
    let period_s = q.period_s.unwrap_or(period_s);
    let dimensions: Vec<Dimension> = q
        .metric
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    MetricDataQuery::builder()
        .id(&q.id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(&q.metric.namespace)
                        .metric_name(&q.metric.metric)
                        .set_dimensions(Some(dimensions))
                        .build(),
                )
                .period(period_s)
                .stat(&q.metric.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

impl MetricReader for CloudWatchAdapter {
    /// Every page, until no `NextToken` is left. Each result's `StatusCode` is then what the last
    /// page said of it: `Complete`, or the read fails. AWS: "PartialData means that an incomplete
    /// set of data points were returned. You can use the NextToken value that was returned and
    /// repeat your request to get more data points. [...] InternalError indicates that an error
    /// occurred. Retry your request using NextToken, if present."
    /// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html>
    /// A result still `InternalError` once no `NextToken` is left gets one more whole read.
    async fn metric_data(&self, queries: &[MetricQuery], window: MetricWindow) -> Result<MetricData, MetricReadError> {
        match self.read(queries, window).await {
            Err((MetricReadError::Incomplete { status, .. }, requests))
                if status == StatusCode::InternalError.as_str() =>
            {
                let mut again = self.read(queries, window).await.map_err(|(e, _)| e)?;
                again.requests += requests;
                Ok(again)
            }
            other => other.map_err(|(e, _)| e),
        }
    }
}

impl CloudWatchAdapter {
    /// Every page of one read; on failure, how many requests it took too.
    async fn read(
        &self,
        queries: &[MetricQuery],
        window: MetricWindow,
    ) -> Result<MetricData, (MetricReadError, usize)> {
        let sdk_queries: Vec<MetricDataQuery> = queries.iter().map(|q| to_sdk(q, window.period_s)).collect();
        let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut timestamps: BTreeMap<String, Vec<SystemTime>> = BTreeMap::new();
        // Every query starts without a status: one CloudWatch never answered is not "no data".
        let mut last_status: BTreeMap<String, (Option<StatusCode>, String)> =
            queries.iter().map(|q| (q.id.clone(), (None, String::new()))).collect();
        let mut token: Option<String> = None;
        for page in 1..=MAX_PAGES {
            let out = self
                .client
                .get_metric_data()
                .set_metric_data_queries(Some(sdk_queries.clone()))
                .start_time(DateTime::from(window.start))
                .end_time(DateTime::from(window.end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| (MetricReadError::Aws(aws_error("GetMetricData", &e)), page))?;
            for result in out.metric_data_results.unwrap_or_default() {
                let Some(id) = result.id else { continue };
                let messages = result
                    .messages
                    .unwrap_or_default()
                    .iter()
                    .map(|m| format!("{}: {}", m.code().unwrap_or("?"), m.value().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("; ");
                last_status.insert(id.clone(), (result.status_code, messages));
                // "The number of timestamps always matches the number of values and the value for
                // Timestamps[x] is Values[x]" (MetricDataResult).
                let times = result.timestamps.unwrap_or_default();
                let points = result.values.unwrap_or_default();
                timestamps.entry(id.clone()).or_default().extend(
                    times
                        .iter()
                        .map(|t| SystemTime::try_from(*t).unwrap_or(SystemTime::UNIX_EPOCH)),
                );
                values.entry(id).or_default().extend(points);
            }
            match out.next_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => {
                    for (query, (status, messages)) in last_status {
                        match status {
                            Some(StatusCode::Complete) => {}
                            other => {
                                let status = other.map_or_else(|| "missing".to_string(), |s| s.as_str().to_string());
                                return Err((
                                    MetricReadError::Incomplete {
                                        query,
                                        status,
                                        messages,
                                    },
                                    page,
                                ));
                            }
                        }
                    }
                    return Ok(MetricData {
                        values,
                        timestamps,
                        requests: page,
                    });
                }
            }
        }
        Err((MetricReadError::TooManyPages(MAX_PAGES), MAX_PAGES))
    }
}

impl AlarmTagReader for CloudWatchAdapter {
    async fn tags(&self, alarm_arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
        let out = self
            .client
            .list_tags_for_resource()
            .resource_arn(alarm_arn)
            .send()
            .await
            .map_err(|e| aws_error(format!("ListTagsForResource {alarm_arn}"), &e))?;
        Ok(out
            .tags
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| Some((t.key?, t.value?)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::metric_query::lambda_version_metric;
    use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
    use aws_sdk_cloudwatch::types::MetricDataResult;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use std::time::{Duration, SystemTime};

    fn queries() -> Vec<MetricQuery> {
        vec![
            MetricQuery::new(
                "new_invocations",
                lambda_version_metric("orders", "live", "7", "Invocations", "Sum"),
            ),
            MetricQuery::new(
                "new_errors",
                lambda_version_metric("orders", "live", "7", "Errors", "Sum"),
            ),
        ]
    }

    fn page(id: &str, values: &[f64], next: Option<&str>) -> GetMetricDataOutput {
        result_page(id, values, Some(StatusCode::Complete), next)
    }

    /// `id` with `values` and `status`; the other query of [`queries`] Complete and empty.
    fn result_page(id: &str, values: &[f64], status: Option<StatusCode>, next: Option<&str>) -> GetMetricDataOutput {
        let other = if id == "new_errors" {
            "new_invocations"
        } else {
            "new_errors"
        };
        GetMetricDataOutput::builder()
            .metric_data_results(
                MetricDataResult::builder()
                    .id(id)
                    .set_values(Some(values.to_vec()))
                    .set_timestamps(Some(
                        (0..values.len())
                            .map(|i| DateTime::from_secs(1_800_000_000 + 60 * i as i64))
                            .collect(),
                    ))
                    .set_status_code(status)
                    .build(),
            )
            .metric_data_results(
                MetricDataResult::builder()
                    .id(other)
                    .status_code(StatusCode::Complete)
                    .build(),
            )
            .set_next_token(next.map(Into::into))
            .build()
    }

    fn window() -> MetricWindow {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        MetricWindow::new(t0, t0 + Duration::from_secs(600))
    }

    /// PartialData is followed with NextToken (AWS: "You can use the NextToken value that was
    /// returned and repeat your request to get more data points"), and so is an InternalError
    /// that comes with a NextToken ("Retry your request using NextToken, if present").
    #[tokio::test]
    async fn partial_data_and_a_retryable_internal_error_are_followed_to_completion() {
        let first = mock!(Client::get_metric_data)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| result_page("new_errors", &[1.0], Some(StatusCode::PartialData), Some("p2")));
        let second = mock!(Client::get_metric_data)
            .match_requests(|r| r.next_token() == Some("p2"))
            .then_output(|| result_page("new_errors", &[], Some(StatusCode::InternalError), Some("p3")));
        let third = mock!(Client::get_metric_data)
            .match_requests(|r| r.next_token() == Some("p3"))
            .then_output(|| result_page("new_errors", &[2.0], Some(StatusCode::Complete), None));
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&first, &second, &third]);
        let data = CloudWatchAdapter::new(client)
            .metric_data(&queries(), window())
            .await
            .unwrap();
        assert_eq!(data.values.get("new_errors"), Some(&vec![1.0, 2.0]));
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(
            data.timestamps.get("new_errors"),
            Some(&vec![at(1_800_000_000), at(1_800_000_000)]),
            "each value keeps its own timestamp"
        );
        assert_eq!(data.requests, 3);
    }

    #[tokio::test]
    async fn an_internal_error_at_the_end_is_read_again_once() {
        let failing = mock!(Client::get_metric_data)
            .then_output(|| result_page("new_errors", &[], Some(StatusCode::InternalError), None));
        let complete = mock!(Client::get_metric_data)
            .then_output(|| result_page("new_errors", &[3.0], Some(StatusCode::Complete), None));
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, [&failing, &complete]);
        let data = CloudWatchAdapter::new(client)
            .metric_data(&queries(), window())
            .await
            .unwrap();
        assert_eq!(data.values.get("new_errors"), Some(&vec![3.0]));
        assert_eq!(data.requests, 2);
    }

    #[tokio::test]
    async fn a_query_cloudwatch_never_answered_is_missing_not_empty() {
        let rule = mock!(Client::get_metric_data).then_output(|| {
            GetMetricDataOutput::builder()
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("new_invocations")
                        .status_code(StatusCode::Complete)
                        .build(),
                )
                .build()
        });
        let client = mock_client!(aws_sdk_cloudwatch, [&rule]);
        let err = CloudWatchAdapter::new(client)
            .metric_data(&queries(), window())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, MetricReadError::Incomplete { query, status, .. } if query == "new_errors" && status == "missing"),
            "{err:?}"
        );
    }

    /// A result that is not Complete once the pages end is never read as "no datapoints".
    #[tokio::test]
    async fn a_result_that_ends_incomplete_fails_the_read_naming_the_query_and_status() {
        for (status, shown) in [
            (Some(StatusCode::Forbidden), "Forbidden"),
            (Some(StatusCode::InternalError), "InternalError"),
            (Some(StatusCode::PartialData), "PartialData"),
            (None, "missing"),
        ] {
            let rule = mock!(Client::get_metric_data).then_output(move || {
                GetMetricDataOutput::builder()
                    .metric_data_results(
                        MetricDataResult::builder()
                            .id("new_errors")
                            .set_status_code(status.clone())
                            .messages(
                                aws_sdk_cloudwatch::types::MessageData::builder()
                                    .code("Forbidden")
                                    .value("no access to the metrics of account 210987654321")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
            let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule]);
            let err = CloudWatchAdapter::new(client)
                .metric_data(&queries(), window())
                .await
                .unwrap_err();
            assert!(
                matches!(&err, MetricReadError::Incomplete { query, status, .. } if query == "new_errors" && status == shown),
                "{err:?}"
            );
            assert!(err.to_string().contains("no access to the metrics"), "{err}");
        }
    }

    #[tokio::test]
    async fn sends_every_query_with_its_exact_dimensions_in_one_call_and_follows_pages() {
        let first = mock!(Client::get_metric_data)
            .match_requests(|r| {
                let qs = r.metric_data_queries();
                let dims: Vec<(String, String)> = qs[0]
                    .metric_stat()
                    .and_then(|s| s.metric())
                    .map(|m| {
                        m.dimensions()
                            .iter()
                            .map(|d| (d.name().unwrap().into(), d.value().unwrap().into()))
                            .collect()
                    })
                    .unwrap_or_default();
                qs.len() == 2
                    && r.next_token().is_none()
                    && qs[0].metric_stat().and_then(|s| s.period()) == Some(600)
                    && dims
                        == vec![
                            ("ExecutedVersion".into(), "7".into()),
                            ("FunctionName".into(), "orders".into()),
                            ("Resource".into(), "orders:live".into()),
                        ]
            })
            .then_output(|| page("new_invocations", &[600.0], Some("page-2")));
        let second = mock!(Client::get_metric_data)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| page("new_invocations", &[400.0], None));
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&first, &second]);
        let values = CloudWatchAdapter::new(client)
            .metric_data(&queries(), window())
            .await
            .unwrap();
        assert_eq!(values.values.get("new_invocations"), Some(&vec![600.0, 400.0]));
        assert_eq!(values.requests, 2);
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_query_with_its_own_period_is_sent_with_it_in_the_same_call() {
        let mut qs = queries();
        qs[1].period_s = Some(3600);
        let rule = mock!(Client::get_metric_data)
            .match_requests(|r| {
                let periods: Vec<Option<i32>> = r
                    .metric_data_queries()
                    .iter()
                    .map(|q| q.metric_stat().and_then(|s| s.period()))
                    .collect();
                periods == [Some(600), Some(3600)]
            })
            .then_output(|| page("new_invocations", &[600.0], None));
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule]);
        CloudWatchAdapter::new(client).metric_data(&qs, window()).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
    }
}
