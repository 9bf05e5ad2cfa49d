//! The BeforeAllowTraffic handler: find the target, run the smoke probes, report once.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use shiftguard::hook::runner::{CheckContext, Evaluation, HookDeps, HookOutcome, HookSpec, hook_handler};
use shiftguard::ports::{
    DeploymentInfo, DeploymentReader, FunctionInvoker, FunctionTagReader, HookStatusReporter, HttpSender, SettingsStore,
};
use shiftguard::smoke::probes::{Probe, ProbeAction, default_lambda_probe};
use shiftguard::smoke::runner::run_smoke_tests;
use shiftguard::target::deployment_target::DeploymentTarget;
use shiftguard::target::guard::check_guarded;
use shiftguard::target::resolution::target_of;

use crate::config::PreTrafficConfig;

pub const SPEC: HookSpec = HookSpec {
    hook: "pre-traffic",
    lifecycle_event: "BeforeAllowTraffic",
};

/// Everything the handler talks to, built once in `main`.
pub struct Deps<R, D, S, I, H> {
    pub hook: HookDeps<R, D, S>,
    /// Lambda: invokes the probes' functions, after reading their tags.
    pub invoker: I,
    pub http: H,
}

pub async fn function_handler<R, D, S, I, H>(
    deps: &Deps<R, D, S, I, H>,
    event: LambdaEvent<Value>,
) -> Result<HookOutcome, Diagnostic>
where
    R: HookStatusReporter,
    D: DeploymentReader,
    S: SettingsStore,
    I: FunctionInvoker + FunctionTagReader,
    H: HttpSender,
{
    hook_handler(&deps.hook, SPEC, event, |config, deployment, ctx| {
        evaluate(deps, config, deployment, ctx)
    })
    .await
}

async fn evaluate<R, D, S, I, H>(
    deps: &Deps<R, D, S, I, H>,
    config: PreTrafficConfig,
    deployment: DeploymentInfo,
    ctx: CheckContext,
) -> Evaluation
where
    I: FunctionInvoker + FunctionTagReader,
    H: HttpSender,
{
    // Probes that name what they call (http probes, lambda probes with `function`) need nothing
    // from the AppSpec: they run even where it cannot be read, and the record says why it was not.
    let needs_target = config
        .probes
        .as_ref()
        .is_none_or(|probes| probes.iter().any(|p| p.action.needs_target()));
    let (target, inputs) = match target_of(&ctx.deployment_id, &deployment, &config.target) {
        Ok(t) => (Some(t), Value::Null),
        Err(e) if needs_target => return ctx.progress.failed(e.to_string()),
        Err(e) => (None, json!({ "target_unresolved": e.to_string() })),
    };
    ctx.progress.inputs(&inputs);
    if let Some(target) = &target {
        ctx.progress.target(target);
    }
    let probes = match (&config.probes, target.as_ref()) {
        (Some(p), _) => p.clone(),
        (None, Some(DeploymentTarget::Lambda(_))) => vec![default_lambda_probe()],
        (None, _) => {
            return ctx.progress.failed(
                "an ECS deployment has no default smoke test: set SMOKE_TESTS to http probes against the test listener"
                    .into(),
            );
        }
    };
    if let Err(e) = check_functions_guarded(&deps.invoker, target.as_ref(), &probes).await {
        return ctx.progress.failed(e);
    }
    let checks = run_smoke_tests(
        &deps.invoker,
        &deps.http,
        target.as_ref(),
        &probes,
        ctx.budget_end,
        SPEC.lifecycle_event,
    )
    .await;
    Evaluation {
        target,
        deployment: Some(deployment),
        checks,
        inputs,
        ..Evaluation::default()
    }
}

/// Every function a lambda probe would invoke carries the guard tag (one `GetFunction` each).
async fn check_functions_guarded(
    tags: &impl FunctionTagReader,
    target: Option<&DeploymentTarget>,
    probes: &[Probe],
) -> Result<(), String> {
    let mut functions: Vec<&str> = probes
        .iter()
        .filter_map(|p| match (&p.action, target) {
            (ProbeAction::Lambda { function: Some(f), .. }, _) => Some(f.as_str()),
            (ProbeAction::Lambda { function: None, .. }, Some(DeploymentTarget::Lambda(t))) => {
                Some(t.function_name.as_str())
            }
            _ => None,
        })
        .collect();
    functions.sort_unstable();
    functions.dedup();
    for function in functions {
        let found = tags
            .function_tags(function)
            .await
            .map_err(|e| format!("could not read the tags of function {function}: {e}"))?;
        check_guarded(function, &found)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;
    use serde_json::json;
    use shiftguard::fakes::{self, FixedDeployment, RecordingReporter, StoredDocuments, UNKNOWN_DEPLOYMENT};
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

    /// Every function is tagged `shiftguard:guarded = true` unless its name starts with `untagged`.
    impl FunctionTagReader for Answers {
        async fn function_tags(&self, f: &str) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
            Ok(guard_tags(f))
        }
    }

    fn guard_tags(function: &str) -> std::collections::BTreeMap<String, String> {
        let mut tags = std::collections::BTreeMap::new();
        if !function.starts_with("untagged") {
            tags.insert("shiftguard:guarded".to_string(), "true".to_string());
        }
        tags
    }

    struct NoHttp;

    impl HttpSender for NoHttp {
        async fn send(&self, r: &HttpRequest) -> Result<HttpReply, String> {
            Err(format!("connection refused: {}", r.url))
        }
    }

    const LAMBDA: &str = include_str!("../../../shared/tests/fixtures/appspec-lambda.yaml");
    const ECS: &str = include_str!("../../../shared/tests/fixtures/appspec-ecs.yaml");

    type TestDeps<I = Answers> = Deps<RecordingReporter, FixedDeployment, StoredDocuments, I, NoHttp>;

    fn deps(appspec: &'static str, answer: Answers, env: &[(&str, &str)]) -> TestDeps {
        with_documents(appspec, answer, env, &[])
    }

    fn with_documents(
        appspec: &'static str,
        answer: Answers,
        env: &[(&str, &str)],
        documents: &[(&str, &str)],
    ) -> TestDeps {
        Deps {
            hook: HookDeps {
                reporter: RecordingReporter::default(),
                deployments: FixedDeployment::new(appspec),
                store: StoredDocuments::new(documents),
                environment: Box::new(fakes::env(env)),
            },
            invoker: answer,
            http: NoHttp,
        }
    }

    async fn run(d: &TestDeps, id: &str) -> (Status, Vec<Status>) {
        let out = function_handler(d, fakes::hook_event(id)).await.unwrap();
        (out.verdict, d.hook.reporter.statuses())
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
            (out.verdict, d.hook.reporter.statuses()),
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

    impl FunctionTagReader for Panics {
        async fn function_tags(&self, f: &str) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
            Ok(guard_tags(f))
        }
    }

    #[tokio::test]
    async fn when_a_probe_names_an_untagged_function_should_report_failed_naming_the_tag() {
        let named = r#"[{"name":"p","lambda":{"function":"untagged-billing"}}]"#;
        let d = deps(
            LAMBDA,
            Answers(r#"{"statusCode":200}"#, None),
            &[("SMOKE_TESTS", named)],
        );
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
        let probes = shiftguard::smoke::probes::parse_smoke_tests(named).unwrap();
        let e = check_functions_guarded(&d.invoker, None, &probes).await.unwrap_err();
        assert!(
            e.contains("function untagged-billing does not carry the tag shiftguard:guarded = true"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn when_a_check_panics_should_report_failed() {
        let base = deps(LAMBDA, Answers("{}", None), &[]);
        let d = Deps {
            hook: base.hook,
            invoker: Panics,
            http: NoHttp,
        };
        let out = function_handler(&d, fakes::hook_event("d-1")).await.unwrap();
        assert_eq!(
            (out.verdict, d.hook.reporter.statuses()),
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
        assert!(d.hook.reporter.statuses().is_empty());
    }

    #[tokio::test]
    async fn the_deployment_groups_document_sets_the_probes_over_the_environment() {
        // FixedDeployment is application `orders`, group `orders-dg`.
        let failing_probe = r#"[{"name":"health","lambda":{"payload":{"path":"/health"}},"expect":{"status":204}}]"#;
        assert!(shiftguard::smoke::probes::parse_smoke_tests(failing_probe).is_ok());
        let group_probe = r#"SMOKE_TESTS: '[{"name":"health","lambda":{"payload":{"path":"/health"}}}]'"#;
        let d = with_documents(
            LAMBDA,
            Answers(r#"{"statusCode":200}"#, None),
            &[("SMOKE_TESTS", failing_probe)],
            &[("/shiftguard/orders/orders-dg", group_probe)],
        );
        assert_eq!(run(&d, "d-1").await, (Status::Succeeded, vec![Status::Succeeded]));
        assert_eq!(d.hook.store.calls(), 1, "one GetParameters per invocation");
        let d = deps(
            LAMBDA,
            Answers(r#"{"statusCode":200}"#, None),
            &[("SMOKE_TESTS", failing_probe)],
        );
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn a_broken_document_fails_the_hook_and_a_dry_run_in_it_is_not_applied() {
        let d = with_documents(
            LAMBDA,
            Answers(r#"{"statusCode":200}"#, None),
            &[],
            &[("/shiftguard/orders", "DRY_RUN: true\nMAX_ERROR_RATES: 2\n")],
        );
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
    }

    #[tokio::test]
    async fn a_dry_run_set_by_the_document_reports_succeeded() {
        let d = with_documents(
            LAMBDA,
            Answers(r#"{"statusCode":500}"#, None),
            &[],
            &[("/shiftguard/orders", "DRY_RUN: true")],
        );
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Succeeded]));
    }

    #[tokio::test]
    async fn settings_that_cannot_be_read_fail_the_hook() {
        let mut d = deps(LAMBDA, Answers(r#"{"statusCode":200}"#, None), &[]);
        d.hook.store = StoredDocuments::failing("AccessDeniedException");
        assert_eq!(run(&d, "d-1").await, (Status::Failed, vec![Status::Failed]));
    }
}
