//! The floor of `make bench`: an empty `lambda_runtime` function (it answers the event back),
//! built with the same profile as the hooks and on the same current-thread runtime.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
