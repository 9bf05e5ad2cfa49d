//! Settings documents from Parameter Store: `GetParameters`, which "returns details about one or
//! more parameters": at most 10 names per call, and names that do not exist come back in
//! `InvalidParameters` instead of failing the call
//! (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html>).

use std::collections::BTreeMap;

use aws_sdk_ssm::types::ParameterType;

use super::error::aws_error;
use crate::ports::{AwsError, SettingsStore};

/// `GetParameters` takes at most this many names (`Names`: "Maximum number of 10 items").
pub const NAMES_PER_CALL: usize = 10;

#[derive(Debug, Clone)]
pub struct SsmAdapter {
    client: aws_sdk_ssm::Client,
}

impl SsmAdapter {
    pub fn new(client: aws_sdk_ssm::Client) -> Self {
        SsmAdapter { client }
    }
}

impl SettingsStore for SsmAdapter {
    async fn documents(&self, names: &[String]) -> Result<BTreeMap<String, String>, AwsError> {
        let mut found = BTreeMap::new();
        for chunk in names.chunks(NAMES_PER_CALL) {
            let out = self
                .client
                .get_parameters()
                .set_names(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| aws_error(format!("GetParameters {}", chunk.join(", ")), &e))?;
            for parameter in out.parameters.unwrap_or_default() {
                let (Some(name), Some(value)) = (parameter.name, parameter.value) else {
                    continue;
                };
                // A SecureString read without decryption is its ciphertext; settings are not
                // secrets, and reading them needs no KMS key.
                if parameter.r#type != Some(ParameterType::String) {
                    return Err(AwsError {
                        operation: format!("GetParameters {name}"),
                        message: format!(
                            "settings document {name} is a {}, not a String parameter; store it as a String",
                            parameter
                                .r#type
                                .as_ref()
                                .map_or("parameter of unknown type", |t| t.as_str())
                        ),
                        retryable: false,
                    });
                }
                found.insert(name, value);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::Client;
    use aws_sdk_ssm::operation::get_parameters::{GetParametersError, GetParametersOutput};
    use aws_sdk_ssm::types::Parameter;
    use aws_sdk_ssm::types::error::InternalServerError;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    fn parameter(name: &str, kind: ParameterType, value: &str) -> Parameter {
        Parameter::builder()
            .name(name)
            .r#type(kind)
            .value(value)
            .version(1)
            .build()
    }

    #[tokio::test]
    async fn reads_both_documents_in_one_call_and_leaves_out_the_missing_one() {
        // Shaped as the API reference's example: found parameters in `Parameters`, the rest in
        // `InvalidParameters`.
        let rule = mock!(Client::get_parameters)
            .match_requests(|r| {
                r.names() == ["/shiftguard/orders/live", "/shiftguard/orders"] && r.with_decryption().is_none()
            })
            .then_output(|| {
                GetParametersOutput::builder()
                    .parameters(parameter(
                        "/shiftguard/orders",
                        ParameterType::String,
                        "MAX_ERROR_RATE: 2",
                    ))
                    .invalid_parameters("/shiftguard/orders/live")
                    .build()
            });
        let client = mock_client!(aws_sdk_ssm, [&rule]);
        let names = ["/shiftguard/orders/live".to_string(), "/shiftguard/orders".to_string()];
        let found = SsmAdapter::new(client).documents(&names).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found["/shiftguard/orders"], "MAX_ERROR_RATE: 2");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn twenty_five_names_take_three_calls() {
        let rule = mock!(Client::get_parameters)
            .match_requests(|r| r.names().len() <= NAMES_PER_CALL)
            .then_output(|| GetParametersOutput::builder().build());
        let client = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&rule]);
        let names: Vec<String> = (0..25).map(|i| format!("/shiftguard/app{i}")).collect();
        assert!(SsmAdapter::new(client).documents(&names).await.unwrap().is_empty());
        assert_eq!(rule.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_secure_string_is_refused_by_name() {
        let rule = mock!(Client::get_parameters).then_output(|| {
            GetParametersOutput::builder()
                .parameters(parameter(
                    "/shiftguard/orders",
                    ParameterType::SecureString,
                    "AQICAH...",
                ))
                .build()
        });
        let client = mock_client!(aws_sdk_ssm, [&rule]);
        let e = SsmAdapter::new(client)
            .documents(&["/shiftguard/orders".to_string()])
            .await
            .unwrap_err();
        assert!(
            e.message
                .contains("settings document /shiftguard/orders is a SecureString, not a String parameter"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_failed_call_is_an_error_not_an_empty_answer() {
        let rule = mock!(Client::get_parameters).then_error(|| {
            GetParametersError::InternalServerError(InternalServerError::builder().message("boom").build())
        });
        let client = mock_client!(aws_sdk_ssm, [&rule]);
        let e = SsmAdapter::new(client)
            .documents(&["/shiftguard/orders".to_string()])
            .await
            .unwrap_err();
        assert!(e.operation.starts_with("GetParameters /shiftguard/orders"), "{e}");
    }
}
