//! The sample application: answers API Gateway (HTTP API) requests; `/health` reports UP.
//! `FAULT_EVERY=N` makes about one in N other requests fail, so a bad release shows only under
//! real traffic, never in a health check.

mod handler;

use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = handler::Settings::from_env()?;
    run(service_fn(|event| handler::function_handler(&settings, event))).await
}
