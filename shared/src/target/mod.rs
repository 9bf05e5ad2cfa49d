//! What a deployment shifts traffic to: the target types, reading them from an AppSpec (JSON or
//! YAML, inline or from S3 through the adapters), resolving them for a deployment, and the
//! `TARGET_FUNCTION`/`TARGET_VERSION` override, and the tag a function must carry for shiftguard to
//! act on it (`guard`). Used by pre-traffic, post-traffic and
//! alarm-rollback.
//!
//! May use: `ports` (to read a deployment), `config` (the environment helpers), `deployment`.

pub mod appspec;
pub mod deployment_target;
pub mod guard;
pub mod overrides;
pub mod resolution;
