//! Lambda: invoking a function version for a smoke probe.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::InvocationType;
use aws_smithy_types::Blob;

use super::error::aws_error;
use crate::ports::{AliasUpdater, AwsError, FunctionInvoker, Invocation};

/// Lambda behind the [`FunctionInvoker`] port.
#[derive(Debug, Clone)]
pub struct LambdaAdapter {
    client: Client,
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

impl AliasUpdater for LambdaAdapter {
    async fn point_alias(&self, function: &str, alias: &str, version: &str) -> Result<(), AwsError> {
        self.client
            .update_alias()
            .function_name(function)
            .name(alias)
            .function_version(version)
            // An empty weight map clears the routing: all traffic to `version`.
            .routing_config(
                aws_sdk_lambda::types::AliasRoutingConfiguration::builder()
                    .set_additional_version_weights(Some(Default::default()))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(format!("UpdateAlias {function}:{alias} → {version}"), &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::operation::invoke::InvokeOutput;
    use aws_smithy_mocks::{mock, mock_client};

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
}
