//! CloudWatch embedded metric format: metrics as structured log lines, extracted by CloudWatch
//! Logs with no API call. Written by hand (no crate writes and validates it): one document per
//! line, and a validator for the rules of the specification.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use serde_json::{Map, Value, json};

use crate::config::env::{ConfigError, non_empty};

/// Where shiftguard's functions put their metrics unless `METRICS_NAMESPACE` says otherwise.
pub const DEFAULT_NAMESPACE: &str = "Shiftguard/Deployments";

/// `METRICS_NAMESPACE`: at most 255 characters, no `:`, not `AWS/…` ("you should not specify a
/// namespace that begins with AWS/", PutMetricData's `Namespace`:
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html>).
pub fn namespace(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let namespace = non_empty(get, "METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
    if namespace.len() > 255 || namespace.starts_with("AWS/") || namespace.contains(':') {
        return Err(ConfigError::Unusable {
            variable: "METRICS_NAMESPACE",
            problem: format!("{namespace:?} must be at most 255 characters, without `:`, and not start with AWS/"),
        });
    }
    Ok(namespace)
}

/// One metric value with its unit (`Count`, `Milliseconds`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct EmfMetric {
    pub name: String,
    pub unit: &'static str,
    pub value: f64,
}

const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// One EMF document: the dimensions and metrics as root members, described under `_aws`.
/// `properties` are extra root members (searchable in Logs Insights, not metrics).
pub fn emf_document(
    namespace: &str,
    dimensions: &[(&str, &str)],
    metrics: &[EmfMetric],
    properties: &[(&str, Value)],
    timestamp_ms: u64,
) -> Value {
    let mut root = Map::new();
    for (k, v) in properties {
        root.insert(k.to_string(), v.clone());
    }
    for (k, v) in dimensions {
        root.insert(k.to_string(), Value::from(*v));
    }
    for m in metrics {
        root.insert(m.name.clone(), json!(m.value));
    }
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|m| json!({"Name": m.name, "Unit": m.unit})).collect::<Vec<_>>(),
            }]
        }),
    );
    Value::Object(root)
}

/// Checks a document against the EMF specification; the error says which rule it breaks.
pub fn validate_emf(doc: &Value) -> Result<(), String> {
    let root = doc.as_object().ok_or("the root is not an object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("no `_aws` metadata object")?;
    aws.get("Timestamp")
        .and_then(Value::as_u64)
        .ok_or("`_aws.Timestamp` is not a non-negative integer (ms since the epoch)")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("`_aws.CloudWatchMetrics` is not an array")?;
    for d in directives {
        let ns = d
            .get("Namespace")
            .and_then(Value::as_str)
            .ok_or("a directive has no string `Namespace`")?;
        if ns.is_empty() || ns.len() > 1024 {
            return Err(format!("Namespace `{ns}` must be 1 to 1024 characters"));
        }
        let sets = d
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("`Dimensions` is not an array of dimension sets")?;
        for set in sets {
            let set = set.as_array().ok_or("a dimension set is not an array")?;
            if set.len() > 30 {
                return Err("a dimension set has more than 30 dimensions".into());
            }
            for key in set {
                let key = key.as_str().ok_or("a dimension key is not a string")?;
                match root.get(key) {
                    Some(Value::String(v)) if !v.is_empty() && v.len() <= 1024 => {}
                    _ => {
                        return Err(format!(
                            "dimension `{key}` has no string value of 1 to 1024 characters at the root"
                        ));
                    }
                }
            }
        }
        let metrics = d
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or("`Metrics` is not an array")?;
        if metrics.len() > 100 {
            return Err("a directive has more than 100 metrics".into());
        }
        for m in metrics {
            let name = m
                .get("Name")
                .and_then(Value::as_str)
                .ok_or("a metric has no string `Name`")?;
            if name.is_empty() || name.len() > 1024 {
                return Err(format!("metric name `{name}` must be 1 to 1024 characters"));
            }
            if let Some(unit) = m.get("Unit") {
                let unit = unit.as_str().ok_or("a `Unit` is not a string")?;
                if !UNITS.contains(&unit) {
                    return Err(format!("`{unit}` is not a CloudWatch unit"));
                }
            }
            match root.get(name) {
                Some(Value::Number(_)) => {}
                Some(Value::Array(values))
                    if !values.is_empty() && values.len() <= 100 && values.iter().all(Value::is_number) => {}
                _ => return Err(format!("metric `{name}` has no numeric value at the root")),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        emf_document(
            "Shiftguard/Deployments",
            &[("Application", "orders"), ("DeploymentGroup", "orders-live")],
            &[EmfMetric {
                name: "DeploymentSuccess".into(),
                unit: "Count",
                value: 1.0,
            }],
            &[("DeploymentId", Value::from("d-1"))],
            1_800_000_000_000,
        )
    }

    #[test]
    fn writes_a_valid_document() {
        let d = doc();
        validate_emf(&d).unwrap();
        assert_eq!(
            d["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Application", "DeploymentGroup"]])
        );
        assert_eq!(d["DeploymentSuccess"], 1.0);
        assert_eq!(d["DeploymentId"], "d-1");
    }

    #[test]
    fn the_validator_catches_each_rule() {
        let broken = [
            ("/_aws/Timestamp", json!("now"), "Timestamp"),
            ("/Application", json!(7), "dimension `Application`"),
            ("/DeploymentSuccess", json!("1"), "metric `DeploymentSuccess`"),
            ("/_aws/CloudWatchMetrics/0/Namespace", json!(""), "Namespace"),
            (
                "/_aws/CloudWatchMetrics/0/Metrics/0/Unit",
                json!("Furlongs"),
                "not a CloudWatch unit",
            ),
        ];
        for (pointer, value, expected) in broken {
            let mut d = doc();
            *d.pointer_mut(pointer).unwrap() = value;
            let err = validate_emf(&d).unwrap_err();
            assert!(err.contains(expected), "{pointer}: {err}");
        }
        assert!(validate_emf(&json!({"a": 1})).is_err());
    }
}
