//! Times every AWS call of the clients built in [`super::sdk_config`] into
//! [`crate::call_time`]: the whole call, and of it the round trips on the wire.
//!
//! A call cut short by the hook's own deadline (its future dropped) ends no hook and is not
//! counted.

use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use crate::call_time;

/// The interceptor; every client of [`super::sdk_config`] carries one.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallTimer;

/// When the call began.
#[derive(Debug, Clone)]
struct CallStarted(Instant);

/// When the current attempt's request was handed to the HTTP client, until its answer's head.
#[derive(Debug, Clone)]
struct OnTheWire(Instant);

/// The round trips of the attempts so far.
#[derive(Debug, Clone, Default)]
struct RoundTrips(Duration);

impl Storable for CallStarted {
    type Storer = StoreReplace<Self>;
}
impl Storable for OnTheWire {
    type Storer = StoreReplace<Self>;
}
impl Storable for RoundTrips {
    type Storer = StoreReplace<Self>;
}

/// Ends the current attempt's round trip, if one is running.
fn end_round_trip(cfg: &mut ConfigBag) {
    if let Some(OnTheWire(since)) = cfg.load::<OnTheWire>().cloned() {
        let so_far = cfg.load::<RoundTrips>().cloned().unwrap_or_default().0;
        cfg.interceptor_state()
            .store_put(RoundTrips(so_far + since.elapsed()))
            .unset::<OnTheWire>();
    }
}

impl Intercept for CallTimer {
    fn name(&self) -> &'static str {
        "CallTimer"
    }

    fn read_before_execution(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(CallStarted(Instant::now()));
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(OnTheWire(Instant::now()));
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        end_round_trip(cfg);
        Ok(())
    }

    /// An attempt that failed on the wire (a timeout, a cut connection) never reached
    /// `read_after_transmit`: its round trip ends here.
    fn read_after_attempt(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        end_round_trip(cfg);
        Ok(())
    }

    fn read_after_execution(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(CallStarted(started)) = cfg.load::<CallStarted>() {
            let round_trips = cfg.load::<RoundTrips>().cloned().unwrap_or_default().0;
            call_time::add(started.elapsed(), round_trips);
        }
        Ok(())
    }
}
