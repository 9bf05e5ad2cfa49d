//! The local AWS stand-in: `tests/aws/launcher.py` (moto's server plus what moto lacks),
//! started once per test process from the project's venv, and stopped when the process ends.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use serde_json::Value;

use crate::binaries::{binary, workspace_root};
use crate::runtime_api::{FunctionRun, Invoke, run_function};

pub const REGION: &str = "us-east-1";

pub struct LocalAws {
    pub endpoint: String,
    // Holding stdin open keeps the launcher alive; it exits when this process does.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

fn python() -> PathBuf {
    std::env::var_os("SHIFTGUARD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"))
}

impl LocalAws {
    /// The process-wide stand-in, started on first use.
    pub fn shared() -> &'static LocalAws {
        static SHARED: OnceLock<LocalAws> = OnceLock::new();
        SHARED.get_or_init(LocalAws::start)
    }

    /// Starts a new stand-in on a free port.
    pub fn start() -> LocalAws {
        let python = python();
        let launcher = workspace_root().join("tests/aws/launcher.py");
        let mut child = Command::new(&python)
            .arg(&launcher)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start {} {}: {e} (make test creates the venv)",
                    python.display(),
                    launcher.display()
                )
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the launcher's first line");
        let endpoint = line
            .strip_prefix("READY ")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| panic!("the launcher did not start: {line:?}"));
        let stdin = child.stdin.take().expect("piped stdin");
        LocalAws {
            endpoint,
            _stdin: Mutex::new(stdin),
            _child: Mutex::new(child),
        }
    }

    /// The environment a hook binary needs to run against this stand-in.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_LAMBDA_FUNCTION_NAME", "CodeDeployHook_shiftguard-test"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/CodeDeployHook_shiftguard-test",
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "test"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// SDK configuration for setting up scenarios in the stand-in.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(REGION))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "testing", "testing", None, None, "local",
            ))
            .load()
            .await
    }

    async fn view(&self, name: &str) -> Vec<Value> {
        reqwest::get(format!("{}/_shiftguard/{name}", self.endpoint))
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("reading /_shiftguard/{name}: {e}"))
            .json()
            .await
            .expect("a JSON list")
    }

    /// Hook statuses reported for one deployment, in order.
    pub async fn reports(&self, deployment_id: &str) -> Vec<Value> {
        self.view("reports")
            .await
            .into_iter()
            .filter(|r| r["deploymentId"] == deployment_id)
            .collect()
    }

    /// The statuses hooks reported for one deployment, in order.
    pub async fn statuses(&self, deployment_id: &str) -> Vec<String> {
        self.reports(deployment_id)
            .await
            .iter()
            .map(|r| r["status"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Runs the function binary `name` against this stand-in, handing it `events` one after
    /// another as a warm Lambda does. Its environment is the stand-in's with `env` on top: a
    /// variable of `env` replaces the stand-in's (`AWS_ENDPOINT_URL` through a proxy, say).
    pub async fn run(&self, name: &str, env: &[(&str, &str)], events: Vec<Invoke>) -> FunctionRun {
        let mut all = self.env();
        all.retain(|(k, _)| !env.iter().any(|(name, _)| name == k));
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let patience = events.iter().map(|e| e.timeout).sum::<Duration>() + Duration::from_secs(30);
        run_function(&binary(name), &all, events, patience).await
    }

    /// Lambda invocations of one function, in order.
    pub async fn invocations(&self, function: &str) -> Vec<Value> {
        self.view("invocations")
            .await
            .into_iter()
            .filter(|r| r["function"] == function)
            .collect()
    }

    /// Every AWS operation seen so far (service, operation).
    pub async fn calls(&self) -> Vec<Value> {
        self.view("calls").await
    }

    /// The operations whose request named this deployment (`deploymentId`), in order.
    pub async fn operations_on(&self, deployment_id: &str) -> Vec<String> {
        self.calls()
            .await
            .iter()
            .filter(|c| c["deploymentId"] == deployment_id)
            .map(|c| c["operation"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Deployments stopped through StopDeployment, in order.
    pub async fn stops(&self) -> Vec<Value> {
        self.view("stops").await
    }

    /// GetMetricData requests, decoded, in order.
    pub async fn metric_data_requests(&self) -> Vec<Value> {
        self.view("metric-data-requests").await
    }

    /// The id of the region's default VPC (moto makes one per region, as AWS does), where a test
    /// creates its target groups: `CreateTargetGroup` checks that the VPC exists.
    pub async fn default_vpc(&self) -> String {
        self.default_vpc_view().await["VpcId"]
            .as_str()
            .expect("a default VPC")
            .to_string()
    }

    /// The default VPC's subnets, where a test creates a load balancer.
    pub async fn default_subnets(&self) -> Vec<String> {
        self.default_vpc_view().await["SubnetIds"]
            .as_array()
            .expect("the default VPC's subnets")
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    }

    async fn default_vpc_view(&self) -> Value {
        reqwest::get(format!("{}/_shiftguard/default-vpc", self.endpoint))
            .await
            .and_then(|r| r.error_for_status())
            .expect("reading /_shiftguard/default-vpc")
            .json()
            .await
            .expect("a JSON object")
    }

    /// Plays CodeDeploy's progress: `{"status", "created_seconds_ago", "completed_seconds_ago",
    /// "creator", "rollbackInfo"}` (`creator` one of the API's `DeploymentCreator` values,
    /// `rollbackInfo` with `RollbackInfo`'s members).
    pub async fn set_deployment(&self, deployment_id: &str, change: Value) {
        reqwest::Client::new()
            .post(format!("{}/_shiftguard/deployments/{deployment_id}", self.endpoint))
            .json(&change)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("the launcher moves the deployment");
    }

    /// Makes the next `times` calls of `operation` fail as described (see launcher.py), or, with
    /// `{"operation": "GetMetricData", "metric_status": ...}`, answer with results whose
    /// `StatusCode` is not `Complete`.
    pub async fn inject_fault(&self, fault: Value) {
        reqwest::Client::new()
            .post(format!("{}/_shiftguard/faults", self.endpoint))
            .json(&fault)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("the launcher takes the fault");
    }
}
