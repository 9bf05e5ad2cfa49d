//! Version pruning after a successful Lambda deployment: which published versions of the
//! deployed function to keep (the newest `VERSIONS_TO_KEEP`, every version an alias sends traffic
//! to, every version an in-flight deployment names, `$LATEST`) and which to delete. Pure: the
//! versions are read and deleted through [`crate::ports::FunctionVersions`] by deploy-events.
//!
//! May use: nothing else of this crate (plain version strings in, a plan out).

pub mod plan;
