//! How long `shiftguard validate` may take: `--deadline`, or a little less than the AppSpec
//! hook's `timeout`, so that the verdict and its reasons are written before the CodeDeploy agent
//! kills the script for running out of time.

use std::time::Duration;

/// The agent's timeout when an AppSpec hook gives none: `@timeout = opts[:timeout] || 3600`
/// (aws/aws-codedeploy-agent, `lib/instance_agent/plugins/codedeploy/application_specification/script_info.rb`;
/// the AppSpec 'hooks' section, <https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html>).
pub const DEFAULT_HOOK_TIMEOUT_S: u64 = 3600;

/// Kept back from the hook's timeout: a tenth, at least this much.
pub const MIN_MARGIN: Duration = Duration::from_secs(5);

/// `--deadline` where given, else the hook's timeout (`--hook-timeout`, or the agent's default)
/// less a tenth of it and at least [`MIN_MARGIN`], never under one second.
pub fn deadline(deadline_s: Option<u64>, hook_timeout_s: Option<u64>) -> Duration {
    if let Some(s) = deadline_s {
        return Duration::from_secs(s);
    }
    let timeout = Duration::from_secs(hook_timeout_s.unwrap_or(DEFAULT_HOOK_TIMEOUT_S));
    let margin = (timeout / 10).max(MIN_MARGIN);
    timeout.saturating_sub(margin).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_deadline_wins_else_a_little_less_than_the_hooks_timeout() {
        assert_eq!(deadline(Some(42), Some(300)), Duration::from_secs(42));
        assert_eq!(deadline(None, Some(300)), Duration::from_secs(270));
        assert_eq!(
            deadline(None, Some(30)),
            Duration::from_secs(25),
            "at least 5 s kept back"
        );
        assert_eq!(deadline(None, Some(3)), Duration::from_secs(1));
        assert_eq!(
            deadline(None, None),
            Duration::from_secs(3240),
            "the agent's 3600 s default"
        );
    }
}
