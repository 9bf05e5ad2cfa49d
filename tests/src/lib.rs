//! The harness of shiftguard's end-to-end tests and demo: the real hook binaries run under a
//! Lambda Runtime API stand-in ([`runtime_api`]) against a local AWS stand-in ([`local_aws`]).

pub mod binaries;
pub mod decision;
pub mod fault_proxy;
pub mod http_server;
pub mod local_aws;
pub mod rehearsal;
pub mod runtime_api;
pub mod scenario;
pub mod traffic_shift;
