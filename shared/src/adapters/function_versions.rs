//! Lambda: a function's versions and aliases, and deleting a version, for pruning.

use std::collections::BTreeMap;

use aws_sdk_lambda::operation::delete_function::DeleteFunctionError;

use super::error::aws_error;
use super::lambda::LambdaAdapter;
use crate::ports::{AwsError, FunctionVersions, VersionDeletion};

impl FunctionVersions for LambdaAdapter {
    /// The SDK's paginator follows `NextMarker` to the last page (and stops on a repeated one).
    async fn list_versions(&self, function: &str) -> Result<Vec<String>, AwsError> {
        let versions = self
            .client
            .list_versions_by_function()
            .function_name(function)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| aws_error(format!("ListVersionsByFunction {function}"), &e))?;
        Ok(versions.into_iter().filter_map(|v| v.version).collect())
    }

    async fn alias_versions(&self, function: &str) -> Result<BTreeMap<String, Vec<String>>, AwsError> {
        let aliases = self
            .client
            .list_aliases()
            .function_name(function)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| aws_error(format!("ListAliases {function}"), &e))?;
        Ok(aliases
            .into_iter()
            .map(|a| {
                let mut versions: Vec<String> = a.function_version.clone().into_iter().collect();
                if let Some(weights) = a.routing_config.as_ref().and_then(|r| r.additional_version_weights()) {
                    versions.extend(weights.keys().cloned());
                }
                versions.sort();
                versions.dedup();
                (a.name.unwrap_or_default(), versions)
            })
            .collect())
    }

    /// "To delete a specific function version, use the `Qualifier` parameter" and "You can't
    /// delete a version that an alias references"
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html>).
    async fn delete_version(&self, function: &str, version: &str) -> Result<VersionDeletion, AwsError> {
        let deleted = self
            .client
            .delete_function()
            .function_name(function)
            .qualifier(version)
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(VersionDeletion::Deleted),
            Err(e) => match e.as_service_error() {
                Some(DeleteFunctionError::ResourceNotFoundException(_)) => Ok(VersionDeletion::AlreadyGone),
                Some(DeleteFunctionError::ResourceConflictException(c)) => Ok(VersionDeletion::LeftAlone(
                    c.message().unwrap_or("ResourceConflictException").to_string(),
                )),
                _ => Err(aws_error(format!("DeleteFunction {function}:{version}"), &e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::Client;
    use aws_sdk_lambda::operation::list_aliases::ListAliasesInput;
    use aws_sdk_lambda::operation::list_versions_by_function::ListVersionsByFunctionInput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;

    fn json(status: u16, body: String) -> Response {
        Response::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
    }

    /// A page of ListVersionsByFunction as the API reference shows it
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html>): the
    /// versions' `FunctionConfiguration`s (shortened) and `NextMarker`.
    fn versions_page(versions: &[&str], next: Option<&str>) -> Response {
        let versions: Vec<String> = versions
            .iter()
            .map(|v| {
                format!(
                    r#"{{"FunctionName":"orders","FunctionArn":"arn:aws:lambda:us-west-2:123456789012:function:orders:{v}","Runtime":"provided.al2023","Handler":"bootstrap","CodeSize":5797206,"Timeout":3,"MemorySize":128,"LastModified":"2019-09-23T18:32:33.857+0000","Version":"{v}","State":"Active"}}"#
                )
            })
            .collect();
        let next = next.map(|n| format!(r#","NextMarker":"{n}""#)).unwrap_or_default();
        json(200, format!(r#"{{"Versions":[{}]{next}}}"#, versions.join(",")))
    }

    /// A page of ListAliases as the API reference shows it
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html>).
    fn aliases_page(aliases: &[(&str, &str, &str)], next: Option<&str>) -> Response {
        let aliases: Vec<String> = aliases
            .iter()
            .map(|(name, version, weights)| {
                format!(
                    r#"{{"AliasArn":"arn:aws:lambda:us-west-2:123456789012:function:orders:{name}","Description":"","FunctionVersion":"{version}","Name":"{name}","RevisionId":"a410117f-ab16-494e-8035-7e204bb79d2b","RoutingConfig":{{"AdditionalVersionWeights":{{{weights}}}}}}}"#
                )
            })
            .collect();
        let next = next.map(|n| format!(r#","NextMarker":"{n}""#)).unwrap_or_default();
        json(200, format!(r#"{{"Aliases":[{}]{next}}}"#, aliases.join(",")))
    }

    #[tokio::test]
    async fn lists_every_page_of_versions() {
        let first = mock!(Client::list_versions_by_function)
            .match_requests(|r: &ListVersionsByFunctionInput| {
                r.function_name() == Some("orders") && r.marker().is_none()
            })
            .then_http_response(|| versions_page(&["$LATEST", "1", "2"], Some("page-2")));
        let second = mock!(Client::list_versions_by_function)
            .match_requests(|r: &ListVersionsByFunctionInput| r.marker() == Some("page-2"))
            .then_http_response(|| versions_page(&["10"], None));
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&first, &second]);
        let versions = LambdaAdapter::new(client).list_versions("orders").await.unwrap();
        assert_eq!(versions, vec!["$LATEST", "1", "2", "10"]);
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn an_alias_sends_traffic_to_its_version_and_its_weighted_ones() {
        let first = mock!(Client::list_aliases)
            .match_requests(|r: &ListAliasesInput| r.function_name() == Some("orders") && r.marker().is_none())
            .then_http_response(|| aliases_page(&[("live", "8", r#""7":0.1"#)], Some("page-2")));
        let second = mock!(Client::list_aliases)
            .match_requests(|r: &ListAliasesInput| r.marker() == Some("page-2"))
            .then_http_response(|| aliases_page(&[("beta", "9", "")], None));
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&first, &second]);
        let aliases = LambdaAdapter::new(client).alias_versions("orders").await.unwrap();
        assert_eq!(
            aliases,
            BTreeMap::from([
                ("beta".to_string(), vec!["9".to_string()]),
                ("live".to_string(), vec!["7".to_string(), "8".to_string()]),
            ])
        );
    }

    #[tokio::test]
    async fn deletes_a_version_by_its_qualifier() {
        let delete = mock!(Client::delete_function)
            .match_requests(|r| r.function_name() == Some("orders") && r.qualifier() == Some("3"))
            .then_http_response(|| json(204, String::new()));
        let client = mock_client!(aws_sdk_lambda, [&delete]);
        let out = LambdaAdapter::new(client).delete_version("orders", "3").await;
        assert_eq!(out, Ok(VersionDeletion::Deleted));
        assert_eq!(delete.num_calls(), 1);
    }

    /// Lambda's errors as restJson1 carries them: the status, `X-Amzn-ErrorType`, and a body with
    /// `Type` and `message` (<https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html#API_DeleteFunction_Errors>).
    fn lambda_error(status: u16, kind: &str, message: &str) -> Response {
        let mut r = json(status, format!(r#"{{"Type":"User","message":"{message}"}}"#));
        r.headers_mut().insert("X-Amzn-ErrorType", kind.to_string());
        r
    }

    #[tokio::test]
    async fn a_version_already_gone_is_fine_and_one_in_use_is_left_alone() {
        let gone = mock!(Client::delete_function)
            .match_requests(|r| r.qualifier() == Some("3"))
            .then_http_response(|| {
                lambda_error(
                    404,
                    "ResourceNotFoundException",
                    "Function not found: arn:aws:lambda:us-west-2:123456789012:function:orders:3",
                )
            });
        let in_use = mock!(Client::delete_function)
            .match_requests(|r| r.qualifier() == Some("4"))
            .then_error(|| {
                DeleteFunctionError::ResourceConflictException(
                    aws_sdk_lambda::types::error::ResourceConflictException::builder()
                        .message("Unable to delete version because the following aliases reference it: [live]")
                        .build(),
                )
            });
        let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&gone, &in_use]);
        let lambda = LambdaAdapter::new(client);
        assert_eq!(
            lambda.delete_version("orders", "3").await,
            Ok(VersionDeletion::AlreadyGone)
        );
        assert_eq!(
            lambda.delete_version("orders", "4").await,
            Ok(VersionDeletion::LeftAlone(
                "Unable to delete version because the following aliases reference it: [live]".into()
            ))
        );
    }

    #[tokio::test]
    async fn any_other_refusal_is_an_error_naming_the_version() {
        let denied = mock!(Client::delete_function).then_http_response(|| {
            lambda_error(
                403,
                "AccessDeniedException",
                "User is not authorized to perform: lambda:DeleteFunction",
            )
        });
        let client = mock_client!(aws_sdk_lambda, [&denied]);
        let e = LambdaAdapter::new(client)
            .delete_version("orders", "3")
            .await
            .unwrap_err();
        assert_eq!(e.operation, "DeleteFunction orders:3");
        assert!(!e.retryable, "{e:?}");
    }
}
