//! The one conversion of an SDK error into the ports' [`AwsError`].

use std::error::Error;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::ProvideErrorKind;

use crate::ports::AwsError;

/// Error codes AWS documents as throttling or transient, the same lists the SDK's own retry
/// classifier uses (`aws-runtime`, `retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS}`).
fn retryable_code(code: &str) -> bool {
    aws_runtime::retries::classifiers::THROTTLING_ERRORS.contains(&code)
        || aws_runtime::retries::classifiers::TRANSIENT_ERRORS.contains(&code)
}

/// `operation` failed with `error`. Retryable: no answer at all (timeout, connection), a 5xx,
/// a throttling or transient code, or an error AWS's model marks retryable.
pub fn aws_error<E>(operation: impl Into<String>, error: &SdkError<E, HttpResponse>) -> AwsError
where
    E: Error + ProvideErrorMetadata + ProvideErrorKind + Send + Sync + 'static,
{
    let retryable = match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(e) => {
            e.raw().status().as_u16() >= 500
                || ProvideErrorMetadata::code(e.err()).is_some_and(retryable_code)
                || ProvideErrorKind::retryable_error_kind(e.err()).is_some()
        }
        _ => false,
    };
    AwsError {
        operation: operation.into(),
        message: aws_smithy_types::error::display::DisplayErrorContext(error).to_string(),
        retryable,
    }
}
