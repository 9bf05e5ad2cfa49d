//! The exit codes, the same for every command (each command's --help lists its own).

/// Every input read and every answer written.
pub const OK: u8 = 0;
/// `judge`: at least one line could not be judged (each named on stderr); the others were.
pub const BAD_INPUT: u8 = 1;
/// A bad option or option value (clap's own code for a usage error, kept for ours).
pub const USAGE: u8 = 2;
/// Reading stdin or a file, or writing stdout, failed.
pub const IO: u8 = 3;
/// `settings show`: Parameter Store could not be read (credentials, permissions, region).
pub const AWS: u8 = 4;
/// `validate`: a probe failed, or the deadline ran out before it passed.
pub const FAILED: u8 = 5;
