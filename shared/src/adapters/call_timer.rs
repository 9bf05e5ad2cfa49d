//! Times every AWS call of the clients built in [`super::sdk_config`] into
//! [`crate::call_time`]: the whole call, and of it the round trips on the wire. A call is counted
//! when it ends, or when its future is dropped (a probe's `timeout_ms` or the hook's deadline cut
//! it short): what it had taken by then.

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

/// One call in flight, kept in the operation's configuration, which lives as long as the call.
/// What it took goes into the tally when it is dropped: at the call's end, or with the call's
/// future when that is dropped before.
#[derive(Debug)]
struct CallInFlight {
    started: Instant,
    /// When the current attempt's request was handed to the HTTP client, until its answer's head.
    on_the_wire_since: Option<Instant>,
    /// The round trips of the attempts so far.
    round_trips: Duration,
}

impl CallInFlight {
    fn end_round_trip(&mut self) {
        if let Some(since) = self.on_the_wire_since.take() {
            self.round_trips += since.elapsed();
        }
    }
}

impl Drop for CallInFlight {
    fn drop(&mut self) {
        self.end_round_trip();
        call_time::add(self.started.elapsed(), self.round_trips);
    }
}

impl Storable for CallInFlight {
    type Storer = StoreReplace<Self>;
}

fn call(cfg: &mut ConfigBag) -> Option<&mut CallInFlight> {
    cfg.get_mut_from_interceptor_state::<CallInFlight>()
}

/// Ends the current attempt's round trip, if one is running.
fn end_round_trip(cfg: &mut ConfigBag) {
    if let Some(call) = call(cfg) {
        call.end_round_trip();
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
        cfg.interceptor_state().store_put(CallInFlight {
            started: Instant::now(),
            on_the_wire_since: None,
            round_trips: Duration::ZERO,
        });
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(call) = call(cfg) {
            call.on_the_wire_since = Some(Instant::now());
        }
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
}
