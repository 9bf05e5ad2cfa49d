//! The BeforeAllowTraffic handler: find the target, run the smoke probes, report once.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use shiftguard::config::env::{ConfigError, HookSettings};
use shiftguard::hook::runner::{CheckContext, Evaluation, HookOutcome, HookSpec, hook_handler};
use shiftguard::ports::{DeploymentReader, FunctionInvoker, HookStatusReporter, HttpSender};
use shiftguard::smoke::probes::default_lambda_probe;
use shiftguard::target::deployment_target::DeploymentTarget;
use shiftguard::target::resolution::resolve_target;

use crate::config::PreTrafficConfig;
use crate::smoke_test_runner::run_smoke_tests;

pub const SPEC: HookSpec = HookSpec {
    hook: "pre-traffic",
    lifecycle_event: "BeforeAllowTraffic",
};

/// Everything the handler talks to, built once in `main`.
pub struct Deps<R, D, I, H> {
    pub reporter: R,
    pub deployments: D,
    pub invoker: I,
    pub http: H,
    /// Read apart from the rest, so a bad `SMOKE_TESTS` or threshold still honours `DRY_RUN`.
    pub settings: HookSettings,
    pub config: Result<PreTrafficConfig, ConfigError>,
}

pub async fn function_handler<R, D, I, H>(
    deps: &Deps<R, D, I, H>,
    event: LambdaEvent<Value>,
) -> Result<HookOutcome, Diagnostic>
where
    R: HookStatusReporter,
    D: DeploymentReader,
    I: FunctionInvoker,
    H: HttpSender,
{
    hook_handler(
        &deps.reporter,
        SPEC,
        &deps.settings,
        &deps.config,
        event,
        |config, ctx| evaluate(deps, config, ctx),
    )
    .await
}

async fn evaluate<R, D, I, H>(deps: &Deps<R, D, I, H>, config: &PreTrafficConfig, ctx: CheckContext) -> Evaluation
where
    D: DeploymentReader,
    I: FunctionInvoker,
    H: HttpSender,
{
    // Probes that name what they call (http probes, lambda probes with `function`) need nothing
    // from the AppSpec: they run even where it cannot be read, and the record says why it was not.
    let needs_target = config
        .probes
        .as_ref()
        .is_none_or(|probes| probes.iter().any(|p| p.action.needs_target()));
    let (resolved, inputs) = match resolve_target(&deps.deployments, &ctx.deployment_id, &config.target).await {
        Ok(r) => (Some(r), Value::Null),
        Err(e) if needs_target => return Evaluation::failed(e.to_string()),
        Err(e) => (None, json!({ "target_unresolved": e.to_string() })),
    };
    ctx.progress.inputs(&inputs);
    if let Some(resolved) = &resolved {
        ctx.progress.target(&resolved.target);
        if let Some(deployment) = &resolved.deployment {
            ctx.progress.deployment(deployment);
        }
    }
    let target = resolved.as_ref().map(|r| &r.target);
    let probes = match (&config.probes, target) {
        (Some(p), _) => p.clone(),
        (None, Some(DeploymentTarget::Lambda(_))) => vec![default_lambda_probe()],
        (None, _) => {
            return ctx.progress.failed(
                "an ECS deployment has no default smoke test: set SMOKE_TESTS to http probes against the test listener"
                    .into(),
            );
        }
    };
    let checks = run_smoke_tests(&deps.invoker, &deps.http, target, &probes, ctx.budget_end).await;
    let (target, deployment) = match resolved {
        Some(r) => (Some(r.target), r.deployment),
        None => (None, None),
    };
    Evaluation {
        target,
        deployment,
        checks,
        inputs,
        ..Evaluation::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;
    use serde_json::json;
    use shiftguard::config::env::FromEnv;
    use shiftguard::fakes::{self, FixedDeployment, RecordingReporter, UNKNOWN_DEPLOYMENT};
    use shiftguard::hook::verdict::Status;
    use shiftguard::ports::{AwsError, HttpReply, HttpRequest, Invocation};

    struct Answers(&'static str, Option<&'static str>);

    impl FunctionInvoker for Answers {
        async fn invoke(&self, _f: &str, _q: Option<&str>, _p: Vec<u8>) -> Result<Invocation, AwsError> {
            Ok(Invocation {
                function_error: self.1.map(Into::into),
                payload: self.0.as_bytes().to_vec(),
            })
        }
    }

    struct NoHttp;

    impl HttpSender for NoHttp {
        async fn send(&self, r: &HttpRequest) -> Result<HttpReply, String> {
            Err(format!("connection refused: {}", r.url))
        }
    }

    const LAMBDA: &str = include_str!("../../../shared/tests/fixtures/appspec-lambda.yaml");
    const ECS: &str = include_str!("../../../shared/tests/fixtures/appspec-ecs.yaml");

    fn deps(
        appspec: &'static str,
        answer: Answers,
        env: &[(&str, &str)],
    ) -> Deps<RecordingReporter, FixedDeployment, Answers, NoHttp> {
        let env = fakes::env(env);
        Deps {
            reporter: RecordingReporter::default(),
            deployments: FixedDeployment::new(appspec),
            invoker: answer,
            http: NoHttp,
            settings: HookSettings::from_lookup(&env).unwrap_or_default(),
            config: PreTrafficConfig::from_lookup(&env),
        }
    }

    async fn run(d: &Deps<RecordingReporter, FixedDeployment, Answers, NoHttp>, id: &str) -> (Status, Vec<Status>) {
        let out = function_handler(d, fakes::hook_event(id)).await.unwrap();
        (out.verdict, d.reporter.statuses())
    }

    #[tokio::test]
    async fn when_the_new_version_answers_2xx_should_report_succeeded() {
        let d = deps(LAMBDA, Answers(r#"{"statusCode":200}"#, None), &[]);
        assert_eq!(run(&d, "d-1").await, (Status::Succeeded, vec![Status::Succeeded]));
    }

    #[tokio::test]
    async fn when_the_new_version_throws_should_report_failed() {
        let d = deps(
            LAMBDA,
            Answers(r#"{"errorType":"Boom","errorMessage":"x"}"#, Some("Unhandled")),
            &[],
        );
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn when_the_deployment_is_unknown_should_report_failed() {
        let d = deps(LAMBDA, Answers("{}", None), &[]);
        assert_eq!(
            run(&d, UNKNOWN_DEPLOYMENT).await,
            (Status::Failed, vec![Status::Failed])
        );
    }

    #[tokio::test]
    async fn when_no_probe_needs_the_appspec_an_unreadable_one_should_not_fail_the_hook() {
        let named = r#"[{"name":"p","lambda":{"function":"orders-api:live"}}]"#;
        let d = deps("", Answers(r#"{"statusCode":200}"#, None), &[("SMOKE_TESTS", named)]);
        let out = function_handler(&d, fakes::hook_event("d-1")).await.unwrap();
        assert_eq!(
            (out.verdict, d.reporter.statuses()),
            (Status::Succeeded, vec![Status::Succeeded])
        );

        let unnamed = r#"[{"name":"p","lambda":{}}]"#;
        let d = deps("", Answers(r#"{"statusCode":200}"#, None), &[("SMOKE_TESTS", unnamed)]);
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn when_ecs_has_no_probes_should_report_failed() {
        let d = deps(ECS, Answers("{}", None), &[]);
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn when_smoke_tests_are_bad_json_should_report_failed_not_crash() {
        let d = deps(LAMBDA, Answers("{}", None), &[("SMOKE_TESTS", "[{oops")]);
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn when_an_http_probe_cannot_connect_should_report_failed() {
        let d = deps(
            ECS,
            Answers("{}", None),
            &[("SMOKE_TESTS", r#"[{"name":"tl","http":{"url":"http://127.0.0.1:9/"}}]"#)],
        );
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn when_dry_run_should_report_succeeded_with_the_real_verdict_failed() {
        let d = deps(LAMBDA, Answers(r#"{"statusCode":500}"#, None), &[("DRY_RUN", "true")]);
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Succeeded]));
    }

    struct Panics;

    impl FunctionInvoker for Panics {
        async fn invoke(&self, _f: &str, _q: Option<&str>, _p: Vec<u8>) -> Result<Invocation, AwsError> {
            panic!("index out of bounds: the len is 0 but the index is 3")
        }
    }

    #[tokio::test]
    async fn when_a_check_panics_should_report_failed() {
        let base = deps(LAMBDA, Answers("{}", None), &[]);
        let d = Deps {
            reporter: RecordingReporter::default(),
            deployments: base.deployments,
            invoker: Panics,
            http: NoHttp,
            settings: base.settings,
            config: base.config,
        };
        let out = function_handler(&d, fakes::hook_event("d-1")).await.unwrap();
        assert_eq!(
            (out.verdict, d.reporter.statuses()),
            (Status::Failed, vec![Status::Failed])
        );
    }

    #[tokio::test]
    async fn when_dry_run_and_smoke_tests_are_bad_should_still_report_succeeded() {
        let d = deps(
            LAMBDA,
            Answers("{}", None),
            &[("DRY_RUN", "true"), ("SMOKE_TESTS", "[{oops")],
        );
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Succeeded]));
    }

    #[tokio::test]
    async fn when_the_event_has_no_ids_should_error_naming_the_field_and_report_nothing() {
        let d = deps(LAMBDA, Answers("{}", None), &[]);
        let err = function_handler(&d, LambdaEvent::new(json!({"DeploymentId": "d-1"}), Context::default()))
            .await
            .unwrap_err();
        assert_eq!(err.error_type, "Shiftguard.InvalidEvent");
        assert!(
            err.error_message.contains("LifecycleEventHookExecutionId"),
            "{}",
            err.error_message
        );
        assert!(d.reporter.statuses().is_empty());
    }
}
