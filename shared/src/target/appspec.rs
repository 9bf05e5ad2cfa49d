//! Reading the deployment target out of a CodeDeploy AppSpec (JSON or YAML).
//!
//! Lambda resources give `Name`, `Alias`, `CurrentVersion`, `TargetVersion`;
//! ECS resources give `TaskDefinition` and `LoadBalancerInfo.ContainerName/ContainerPort`.
//!
//! Keys are matched whatever their case, because AWS documents both spellings (it states no rule
//! on case either way): the CodeDeploy user guide's AppSpec structure for Lambda uses `resources`, `properties`, `currentversion`,
//! `targetversion` (<https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html>),
//! its examples `Resources`, `Properties`, `CurrentVersion`, `TargetVersion`
//! (<https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-example.html>).
//! Two keys of one map that differ only in case are refused as ambiguous.

use serde_json::Value;
use thiserror::Error;

use crate::target::deployment_target::{DeploymentTarget, EcsTarget, LambdaTarget, function_name_of, plain_version};

/// AppSpecs are small (CodeDeploy caps inline content far below this); anything larger is refused unread.
pub const MAX_APPSPEC_BYTES: usize = 256 * 1024;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AppSpecError {
    #[error("the AppSpec is empty")]
    Empty,
    #[error("the AppSpec is {0} bytes, more than the {MAX_APPSPEC_BYTES} bytes shiftguard reads")]
    TooLarge(usize),
    #[error("the AppSpec is neither valid JSON nor valid YAML: {0}")]
    Syntax(String),
    #[error("the AppSpec has both `{0}` and `{1}`; keys are matched whatever their case, so one of them must go")]
    AmbiguousKey(String, String),
    #[error("the AppSpec has no `Resources` list")]
    NoResources,
    #[error("the AppSpec lists {0} resources; a Lambda or ECS deployment has exactly one")]
    SeveralResources(usize),
    #[error(
        "the AppSpec resource `{resource}` has Type `{kind}`; shiftguard checks AWS::Lambda::Function and AWS::ECS::Service"
    )]
    UnsupportedType { resource: String, kind: String },
    #[error("the AppSpec resource `{resource}` lacks `{field}`")]
    MissingField { resource: String, field: &'static str },
    #[error("the AppSpec resource `{resource}` has an invalid `{field}`: {problem}")]
    InvalidField {
        resource: String,
        field: &'static str,
        problem: String,
    },
}

/// Parses AppSpec content, JSON or YAML, into the one target it deploys.
pub fn parse_appspec(content: &str) -> Result<DeploymentTarget, AppSpecError> {
    if content.len() > MAX_APPSPEC_BYTES {
        return Err(AppSpecError::TooLarge(content.len()));
    }
    if content.trim().is_empty() {
        return Err(AppSpecError::Empty);
    }
    let doc = parse_document(content)?;
    if let Some((a, b)) = case_clash(&doc) {
        return Err(AppSpecError::AmbiguousKey(a, b));
    }
    let resources = key(&doc, "Resources")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty())
        .ok_or(AppSpecError::NoResources)?;
    if resources.len() > 1 {
        return Err(AppSpecError::SeveralResources(resources.len()));
    }
    // Each list entry is a one-key map: { <logical name>: { Type, Properties } }.
    let (resource, body) = resources[0]
        .as_object()
        .and_then(|m| m.iter().next())
        .ok_or(AppSpecError::NoResources)?;
    let kind = key(body, "Type").and_then(Value::as_str).unwrap_or_default();
    let props = key(body, "Properties").unwrap_or(&Value::Null);
    match kind {
        "AWS::Lambda::Function" => lambda_target(resource, props).map(DeploymentTarget::Lambda),
        "AWS::ECS::Service" => ecs_target(resource, props).map(DeploymentTarget::Ecs),
        "" => Err(AppSpecError::MissingField {
            resource: resource.clone(),
            field: "Type",
        }),
        other => Err(AppSpecError::UnsupportedType {
            resource: resource.clone(),
            kind: other.to_string(),
        }),
    }
}

/// The value of `name` in a map, whatever the case of the key.
fn key<'a>(map: &'a Value, name: &str) -> Option<&'a Value> {
    map.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Two keys of one map, anywhere in the document, that differ only in case.
fn case_clash(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Object(m) => {
            let keys: Vec<&String> = m.keys().collect();
            for (i, a) in keys.iter().enumerate() {
                if let Some(b) = keys[i + 1..].iter().find(|b| b.eq_ignore_ascii_case(a)) {
                    return Some((a.to_string(), b.to_string()));
                }
            }
            m.values().find_map(case_clash)
        }
        Value::Array(items) => items.iter().find_map(case_clash),
        _ => None,
    }
}

fn parse_document(content: &str) -> Result<Value, AppSpecError> {
    let trimmed = content.trim_start();
    if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).map_err(|e| AppSpecError::Syntax(format!("JSON: {e}")))
    } else {
        serde_norway::from_str(content).map_err(|e| AppSpecError::Syntax(format!("YAML: {e}")))
    }
}

/// A scalar as text: YAML writes versions as numbers (`TargetVersion: 2`) as often as strings.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn required(resource: &str, props: &Value, field: &'static str) -> Result<String, AppSpecError> {
    key(props, field)
        .and_then(scalar)
        .ok_or_else(|| AppSpecError::MissingField {
            resource: resource.to_string(),
            field,
        })
}

fn lambda_target(resource: &str, props: &Value) -> Result<LambdaTarget, AppSpecError> {
    let name = required(resource, props, "Name")?;
    let target = required(resource, props, "TargetVersion")?;
    let target_version = plain_version(&target).ok_or_else(|| AppSpecError::InvalidField {
        resource: resource.to_string(),
        field: "TargetVersion",
        problem: format!("`{target}` is not a published version number or version ARN"),
    })?;
    let current_version = match key(props, "CurrentVersion").and_then(scalar) {
        None => None,
        Some(v) => Some(plain_version(&v).ok_or_else(|| AppSpecError::InvalidField {
            resource: resource.to_string(),
            field: "CurrentVersion",
            problem: format!("`{v}` is not a published version number or version ARN"),
        })?),
    };
    Ok(LambdaTarget {
        function_name: function_name_of(&name),
        alias: key(props, "Alias").and_then(scalar),
        current_version,
        target_version,
    })
}

fn ecs_target(resource: &str, props: &Value) -> Result<EcsTarget, AppSpecError> {
    let task_definition = required(resource, props, "TaskDefinition")?;
    let lb = key(props, "LoadBalancerInfo").unwrap_or(&Value::Null);
    let container_name = required(resource, lb, "ContainerName")?;
    let port = required(resource, lb, "ContainerPort")?;
    let container_port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| AppSpecError::InvalidField {
            resource: resource.to_string(),
            field: "ContainerPort",
            problem: format!("`{port}` is not a port number (1-65535)"),
        })?;
    Ok(EcsTarget {
        task_definition,
        container_name,
        container_port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LAMBDA_YAML: &str = include_str!("../../tests/fixtures/appspec-lambda.yaml");
    const LAMBDA_JSON: &str = include_str!("../../tests/fixtures/appspec-lambda.json");
    const ECS_YAML: &str = include_str!("../../tests/fixtures/appspec-ecs.yaml");

    fn lambda(t: DeploymentTarget) -> LambdaTarget {
        match t {
            DeploymentTarget::Lambda(l) => l,
            other => panic!("expected a Lambda target, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_lambda_appspec_in_yaml() {
        let t = lambda(parse_appspec(LAMBDA_YAML).unwrap());
        assert_eq!(t.function_name, "orders-api");
        assert_eq!(t.alias.as_deref(), Some("live"));
        assert_eq!(t.current_version.as_deref(), Some("6"));
        assert_eq!(t.target_version, "7");
    }

    #[test]
    fn reads_a_lambda_appspec_in_json_with_version_arns() {
        let t = lambda(parse_appspec(LAMBDA_JSON).unwrap());
        assert_eq!(t.function_name, "orders-api");
        assert_eq!(t.current_version.as_deref(), Some("11"));
        assert_eq!(t.target_version, "12");
    }

    #[test]
    fn reads_an_ecs_appspec() {
        let t = parse_appspec(ECS_YAML).unwrap();
        assert_eq!(
            t,
            DeploymentTarget::Ecs(EcsTarget {
                task_definition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42".into(),
                container_name: "web".into(),
                container_port: 8080,
            })
        );
    }

    /// The Lambda AppSpec as the CodeDeploy user guide's structure page writes it, lower case.
    #[test]
    fn reads_the_lowercase_keys_of_aws_own_lambda_template() {
        let spec = include_str!("../../tests/fixtures/appspec-lambda-lowercase.yaml");
        let t = lambda(parse_appspec(spec).unwrap());
        assert_eq!(t.function_name, "myLambdaFunction");
        assert_eq!(t.alias.as_deref(), Some("myLambdaFunctionAlias"));
        assert_eq!(t.current_version.as_deref(), Some("1"));
        assert_eq!(t.target_version, "2");
    }

    #[test]
    fn keys_that_differ_only_in_case_are_ambiguous() {
        let spec = r#"{"Resources":[{"fn":{"Type":"AWS::Lambda::Function","Properties":{"Name":"a","name":"b","TargetVersion":"2"}}}]}"#;
        let err = parse_appspec(spec).unwrap_err();
        assert!(matches!(err, AppSpecError::AmbiguousKey(..)), "{err}");
        assert!(
            err.to_string().contains("`Name`") && err.to_string().contains("`name`"),
            "{err}"
        );
    }

    #[test]
    fn numeric_versions_in_yaml_are_accepted() {
        let spec = "version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: f\n        Alias: live\n        CurrentVersion: 1\n        TargetVersion: 2\n";
        let t = lambda(parse_appspec(spec).unwrap());
        assert_eq!(
            (t.current_version.as_deref(), t.target_version.as_str()),
            (Some("1"), "2")
        );
    }

    #[test]
    fn a_missing_target_version_is_named() {
        let spec = r#"{"Resources":[{"fn":{"Type":"AWS::Lambda::Function","Properties":{"Name":"f"}}}]}"#;
        assert_eq!(
            parse_appspec(spec),
            Err(AppSpecError::MissingField {
                resource: "fn".into(),
                field: "TargetVersion"
            })
        );
    }

    #[test]
    fn an_alias_as_target_version_is_rejected() {
        let spec = r#"{"Resources":[{"fn":{"Type":"AWS::Lambda::Function","Properties":{"Name":"f","TargetVersion":"live"}}}]}"#;
        let err = parse_appspec(spec).unwrap_err();
        assert!(err.to_string().contains("TargetVersion"), "{err}");
        assert!(err.to_string().contains("`live`"), "{err}");
    }

    #[test]
    fn unsupported_types_and_shapes_are_explained() {
        let ec2 = r#"{"Resources":[{"x":{"Type":"AWS::EC2::Instance"}}]}"#;
        assert!(matches!(parse_appspec(ec2), Err(AppSpecError::UnsupportedType { .. })));
        assert_eq!(parse_appspec("version: 0.0\n"), Err(AppSpecError::NoResources));
        assert_eq!(parse_appspec("   "), Err(AppSpecError::Empty));
        assert!(matches!(parse_appspec("{not json"), Err(AppSpecError::Syntax(_))));
        let two = r#"{"Resources":[{"a":{}},{"b":{}}]}"#;
        assert_eq!(parse_appspec(two), Err(AppSpecError::SeveralResources(2)));
    }

    #[test]
    fn ecs_port_must_be_a_port() {
        let spec = r#"{"Resources":[{"s":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"td","LoadBalancerInfo":{"ContainerName":"c","ContainerPort":70000}}}}]}"#;
        let err = parse_appspec(spec).unwrap_err();
        assert!(err.to_string().contains("ContainerPort"), "{err}");
    }

    #[test]
    fn oversized_content_is_refused_unread() {
        let huge = "a".repeat(MAX_APPSPEC_BYTES + 1);
        assert_eq!(parse_appspec(&huge), Err(AppSpecError::TooLarge(MAX_APPSPEC_BYTES + 1)));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC{0,400}") {
            let _ = parse_appspec(&s);
        }

        #[test]
        fn never_panics_on_arbitrary_json_shapes(
            name in "[a-zA-Z0-9:._-]{0,20}",
            version in prop_oneof![Just(serde_json::json!(null)), any::<i64>().prop_map(|n| serde_json::json!(n)), "[a-z0-9:$]{0,12}".prop_map(|s| serde_json::json!(s))],
            kind in prop_oneof![Just("AWS::Lambda::Function"), Just("AWS::ECS::Service"), Just("Other")],
        ) {
            let spec = serde_json::json!({"Resources":[{"r":{"Type":kind,"Properties":{
                "Name":name,"TargetVersion":version,"CurrentVersion":version,"TaskDefinition":name,
                "LoadBalancerInfo":{"ContainerName":name,"ContainerPort":version}}}}]});
            match parse_appspec(&spec.to_string()) {
                Ok(DeploymentTarget::Lambda(t)) => prop_assert!(t.target_version.bytes().all(|b| b.is_ascii_digit())),
                Ok(DeploymentTarget::Ecs(t)) => prop_assert!(t.container_port > 0),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}
