//! Lambda: invoking a function version for a smoke probe.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::InvocationType;
use aws_smithy_types::Blob;

use super::error::aws_error;
use aws_sdk_lambda::operation::update_alias::UpdateAliasError;

use crate::ports::{
    AliasMove, AliasUpdater, AwsError, FunctionConfigReader, FunctionInvoker, FunctionTagReader, Invocation,
};

/// Lambda behind the [`FunctionInvoker`] port (and, in `function_versions`, `FunctionVersions`).
#[derive(Debug, Clone)]
pub struct LambdaAdapter {
    pub(super) client: Client,
}

impl LambdaAdapter {
    pub fn new(client: Client) -> Self {
        LambdaAdapter { client }
    }
}

impl FunctionInvoker for LambdaAdapter {
    async fn invoke(&self, function: &str, qualifier: Option<&str>, payload: Vec<u8>) -> Result<Invocation, AwsError> {
        let out = self
            .client
            .invoke()
            .function_name(function)
            .set_qualifier(qualifier.map(str::to_string))
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| {
                let q = qualifier.map(|q| format!(":{q}")).unwrap_or_default();
                aws_error(format!("invoking {function}{q}"), &e)
            })?;
        Ok(Invocation {
            function_error: out.function_error,
            payload: out.payload.map(Blob::into_inner).unwrap_or_default(),
        })
    }
}

impl FunctionTagReader for LambdaAdapter {
    /// `GetFunction`, which takes a name or an ARN, qualified or not, and answers with the
    /// function's `Tags` (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html>);
    /// `ListTags` would need the full ARN, which an AppSpec need not give.
    async fn function_tags(&self, function: &str) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
        let out = self
            .client
            .get_function()
            .function_name(function)
            .send()
            .await
            .map_err(|e| aws_error(format!("GetFunction {function}"), &e))?;
        Ok(out.tags.unwrap_or_default().into_iter().collect())
    }
}

impl FunctionConfigReader for LambdaAdapter {
    async fn timeout(&self, function: &str, qualifier: &str) -> Result<std::time::Duration, AwsError> {
        let out = self
            .client
            .get_function_configuration()
            .function_name(function)
            .qualifier(qualifier)
            .send()
            .await
            .map_err(|e| aws_error(format!("GetFunctionConfiguration {function}:{qualifier}"), &e))?;
        // "The amount of time in seconds that Lambda allows a function to run before stopping it.
        // The default is 3 seconds." (FunctionConfiguration.Timeout)
        Ok(std::time::Duration::from_secs(out.timeout.unwrap_or(3).max(1) as u64))
    }
}

impl AliasUpdater for LambdaAdapter {
    /// `GetAlias`, then `UpdateAlias` with the `RevisionId` read, so a change made in between
    /// (a deployment shifting the alias) makes the update fail with PreconditionFailedException
    /// instead of being overwritten (<https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html>).
    async fn move_alias(&self, function: &str, alias: &str, from: &str, to: &str) -> Result<AliasMove, AwsError> {
        let current = self
            .client
            .get_alias()
            .function_name(function)
            .name(alias)
            .send()
            .await
            .map_err(|e| aws_error(format!("GetAlias {function}:{alias}"), &e))?;
        let version = current.function_version().unwrap_or_default().to_string();
        let weighted = current
            .routing_config()
            .and_then(|r| r.additional_version_weights())
            .is_some_and(|w| !w.is_empty());
        if version != from || weighted {
            let routing = if weighted { " with weighted routing" } else { "" };
            return Ok(AliasMove::LeftAlone(format!("version {version}{routing}")));
        }
        let updated = self
            .client
            .update_alias()
            .function_name(function)
            .name(alias)
            .function_version(to)
            .set_revision_id(current.revision_id().map(str::to_string))
            // An empty weight map clears the routing: all traffic to `to`.
            .routing_config(
                aws_sdk_lambda::types::AliasRoutingConfiguration::builder()
                    .set_additional_version_weights(Some(Default::default()))
                    .build(),
            )
            .send()
            .await;
        match updated {
            Ok(_) => Ok(AliasMove::Moved),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateAliasError::PreconditionFailedException(_))
                ) =>
            {
                Ok(AliasMove::LeftAlone("changed while it was being moved".into()))
            }
            Err(e) => Err(aws_error(format!("UpdateAlias {function}:{alias} → {to}"), &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::operation::invoke::InvokeOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    #[tokio::test]
    async fn reads_a_functions_tags_by_name() {
        use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
        let rule = mock!(Client::get_function)
            .match_requests(|r| r.function_name() == Some("orders-api:live") && r.qualifier().is_none())
            .then_output(|| {
                GetFunctionOutput::builder()
                    .tags("shiftguard:guarded", "true")
                    .tags("team", "orders")
                    .build()
            });
        let client = mock_client!(aws_sdk_lambda, [&rule]);
        let tags = LambdaAdapter::new(client)
            .function_tags("orders-api:live")
            .await
            .unwrap();
        assert_eq!(tags.get("shiftguard:guarded").map(String::as_str), Some("true"));
        assert_eq!(tags.len(), 2);
    }

    #[tokio::test]
    async fn reads_a_versions_timeout() {
        use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
        let rule = mock!(Client::get_function_configuration)
            .match_requests(|r| r.function_name() == Some("orders") && r.qualifier() == Some("7"))
            .then_output(|| GetFunctionConfigurationOutput::builder().timeout(900).build());
        let client = mock_client!(aws_sdk_lambda, [&rule]);
        let timeout = LambdaAdapter::new(client).timeout("orders", "7").await.unwrap();
        assert_eq!(timeout, std::time::Duration::from_secs(900));
    }

    #[tokio::test]
    async fn invokes_the_version_request_response_and_keeps_the_function_error() {
        let rule = mock!(Client::invoke)
            .match_requests(|r| {
                r.function_name() == Some("orders")
                    && r.qualifier() == Some("7")
                    && r.invocation_type() == Some(&InvocationType::RequestResponse)
                    && r.payload().map(|p| p.as_ref()) == Some(b"{}".as_slice())
            })
            .then_output(|| {
                InvokeOutput::builder()
                    .status_code(200)
                    .function_error("Unhandled")
                    .payload(Blob::new(br#"{"errorType":"Boom"}"#.to_vec()))
                    .build()
            });
        let client = mock_client!(aws_sdk_lambda, [&rule]);
        let inv = LambdaAdapter::new(client)
            .invoke("orders", Some("7"), b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
        assert_eq!(inv.payload, br#"{"errorType":"Boom"}"#);
        assert_eq!(rule.num_calls(), 1);
    }

    /// GetAlias as the API reference shows it (<https://docs.aws.amazon.com/lambda/latest/api/API_GetAlias.html>).
    fn alias(version: &str, weights: &str) -> aws_smithy_runtime_api::http::Response {
        let body = format!(
            r#"{{"AliasArn":"arn:aws:lambda:us-west-2:123456789012:function:orders:live","Description":"","FunctionVersion":"{version}","Name":"live","RevisionId":"594f41fb-b85f-4c20-95c7-6ca5f2a92c93","RoutingConfig":{{"AdditionalVersionWeights":{{{weights}}}}}}}"#
        );
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(200).unwrap(),
            aws_smithy_types::body::SdkBody::from(body),
        )
    }

    #[tokio::test]
    async fn an_alias_on_the_release_alone_is_moved_back_guarded_by_its_revision() {
        let get = mock!(Client::get_alias).then_http_response(|| alias("7", ""));
        let update = mock!(Client::update_alias)
            .match_requests(|r| {
                r.function_version() == Some("6")
                    && r.revision_id() == Some("594f41fb-b85f-4c20-95c7-6ca5f2a92c93")
                    && r.routing_config()
                        .and_then(|c| c.additional_version_weights())
                        .is_some_and(|w| w.is_empty())
            })
            .then_output(|| aws_sdk_lambda::operation::update_alias::UpdateAliasOutput::builder().build());
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&get, &update]);
        let moved = LambdaAdapter::new(client).move_alias("orders", "live", "7", "6").await;
        assert_eq!(moved, Ok(AliasMove::Moved));
        assert_eq!(update.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_alias_that_moved_on_or_is_shifting_is_left_alone() {
        for (version, weights, now) in [
            ("8", "", "version 8"),
            ("7", r#""6":0.9"#, "version 7 with weighted routing"),
        ] {
            let get = mock!(Client::get_alias).then_http_response(move || alias(version, weights));
            let update = mock!(Client::update_alias)
                .then_output(|| aws_sdk_lambda::operation::update_alias::UpdateAliasOutput::builder().build());
            let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&get, &update]);
            let moved = LambdaAdapter::new(client).move_alias("orders", "live", "7", "6").await;
            assert_eq!(moved, Ok(AliasMove::LeftAlone(now.into())));
            assert_eq!(update.num_calls(), 0);
        }
        let get = mock!(Client::get_alias).then_http_response(|| alias("7", ""));
        let raced = mock!(Client::update_alias).then_error(|| {
            UpdateAliasError::PreconditionFailedException(
                aws_sdk_lambda::types::error::PreconditionFailedException::builder()
                    .message("The RevisionId provided does not match the latest RevisionId")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&get, &raced]);
        let moved = LambdaAdapter::new(client).move_alias("orders", "live", "7", "6").await;
        assert!(matches!(moved, Ok(AliasMove::LeftAlone(_))), "{moved:?}");
    }
}
