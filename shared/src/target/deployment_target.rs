//! What a deployment shifts traffic to: the thing the hooks check.

use serde::Serialize;

/// The resource a deployment moves traffic to, read from its AppSpec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "platform", rename_all = "lowercase")]
pub enum DeploymentTarget {
    Lambda(LambdaTarget),
    Ecs(EcsTarget),
}

/// A Lambda alias moving from `current_version` to `target_version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LambdaTarget {
    pub function_name: String,
    pub alias: Option<String>,
    pub current_version: Option<String>,
    /// A plain version number (`"7"`), never an alias or an ARN.
    pub target_version: String,
}

/// An ECS service moving to a new task set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcsTarget {
    pub task_definition: String,
    pub container_name: String,
    pub container_port: u16,
}

impl DeploymentTarget {
    /// A short human label, e.g. `my-fn:7` or `ecs web:8080`.
    pub fn label(&self) -> String {
        match self {
            DeploymentTarget::Lambda(t) => format!("{}:{}", t.function_name, t.target_version),
            DeploymentTarget::Ecs(t) => {
                format!("ecs {} {}:{}", t.task_definition, t.container_name, t.container_port)
            }
        }
    }
}

/// Reduces a Lambda version given as a number or as a version ARN
/// (`arn:aws:lambda:eu-west-1:123456789012:function:my-fn:7`) to the number.
/// Returns `None` for anything that is not a published version (`$LATEST`, an alias name, empty).
pub fn plain_version(version_or_arn: &str) -> Option<String> {
    let v = version_or_arn.trim();
    let candidate = if v.starts_with("arn:") {
        // arn:partition:lambda:region:account:function:name:qualifier
        let parts: Vec<&str> = v.split(':').collect();
        if parts.len() != 8 || parts[2] != "lambda" || parts[5] != "function" {
            return None;
        }
        parts[7]
    } else {
        v
    };
    if !candidate.is_empty() && candidate.bytes().all(|b| b.is_ascii_digit()) {
        Some(candidate.to_string())
    } else {
        None
    }
}

/// The function name from a name, a partial ARN or a full (possibly qualified) ARN.
pub fn function_name_of(name_or_arn: &str) -> String {
    let v = name_or_arn.trim();
    if v.starts_with("arn:") {
        v.split(':').nth(6).unwrap_or(v).to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_version_accepts_numbers_and_version_arns() {
        assert_eq!(plain_version("7").as_deref(), Some("7"));
        assert_eq!(
            plain_version("arn:aws:lambda:eu-west-1:123456789012:function:my-fn:12").as_deref(),
            Some("12")
        );
    }

    #[test]
    fn plain_version_rejects_aliases_latest_and_unqualified_arns() {
        assert_eq!(plain_version("live"), None);
        assert_eq!(plain_version("$LATEST"), None);
        assert_eq!(plain_version(""), None);
        assert_eq!(
            plain_version("arn:aws:lambda:eu-west-1:123456789012:function:my-fn"),
            None
        );
        assert_eq!(
            plain_version("arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live"),
            None
        );
        assert_eq!(plain_version("arn:aws:s3:::bucket:x:y:1"), None);
    }

    #[test]
    fn function_name_of_strips_arn_parts() {
        assert_eq!(function_name_of("my-fn"), "my-fn");
        assert_eq!(
            function_name_of("arn:aws:lambda:eu-west-1:123456789012:function:my-fn:3"),
            "my-fn"
        );
        assert_eq!(
            function_name_of("arn:aws:lambda:eu-west-1:123456789012:function:my-fn"),
            "my-fn"
        );
    }
}
