//! shiftguard's core, shared by every function. A folder per concern; each folder's `mod.rs`
//! says what it holds and what it may use, and is the index.
//!
//! The pure core knows nothing of AWS: [`hook`], [`target`], [`smoke`], [`gate`], [`canary`], [`rollback`],
//! [`delivery`], [`pruning`], [`config`], [`settings`] (an application's settings documents over the
//! environment), [`deployment`] (AWS's deployment enums as plain types), and
//! [`eventbridge`] (what the two EventBridge functions share), and [`replay`] (what shiftguard
//! would have decided on past deployments; its `history` reads through the ports).
//! [`ports`] names the capabilities the functions need from outside; [`adapters`] implements
//! them; [`fakes`] are in-memory ports and test helpers, for the functions' tests and any
//! folder's own.

pub mod adapters;
pub mod canary;
pub mod config;
pub mod delivery;
pub mod deployment;
pub mod eventbridge;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod gate;
pub mod hook;
pub mod ports;
pub mod pruning;
pub mod replay;
pub mod rollback;
pub mod settings;
pub mod smoke;
pub mod target;
