"""The local AWS stand-in for shiftguard's tests and demo, by service.

moto's server (pinned in tests/aws/requirements.txt), plus what moto 5.2.5 lacks or does
differently from AWS in the ways shiftguard depends on. Each module's docstring says which AWS
behaviour it adds and which AWS page or API model (botocore's service-2.json for the service) it
follows; error names are those the model lists for the operation.

Where to start: app.py routes every request; launcher.py (next to this package) serves it.

CodeDeploy
- codedeploy.py: what the CodeDeploy patches share (the model, errors, the backend), and
  GetDeployment/BatchGetDeployments returning rollbackInfo, which moto leaves empty.
- hook_statuses.py: PutLifecycleEventHookExecutionStatus, recorded; a second status for the same
  hook execution is LifecycleEventAlreadyCompletedException, as AWS does.
- revisions.py: GetApplicationRevision (AppSpecContent/String revisions with their content, S3
  revisions by location); GetDeployment returning only the sha256 of an AppSpecContent revision
  (as AWS may), so the hooks' fallback path is exercised; S3 revisions as given.
- stop_and_rollback.py: StopDeployment (DeploymentAlreadyCompletedException once a deployment
  ended); with autoRollbackEnabled, CodeDeploy's rollback deployment (creator codeDeployRollback,
  rollbackInfo both ways) in the same group.
- deployment_progress.py: a control moves a deployment to a status with create/complete times and
  sets its creator and rollbackInfo, playing the part of CodeDeploy's own progress.
- deployment_targets.py: ListDeploymentTargets and BatchGetDeploymentTargets for ECS deployments:
  the group's service as the one target, its Green and Blue task sets behind the group's two
  target groups, swapped after every Succeeded deployment of the group, as CodeDeploy does.

Lambda
- lambda_invoke.py: Invoke runs the function's real code, for the exact version asked for, with
  the function's timeout: a Python handler from its zip, in-process. moto's own invoke needs Docker.
- sandboxes.py: a `provided.al2023` function's `bootstrap` as a warm process under a Runtime API
  served here (one sandbox per version, one event at a time, as Lambda does).

CloudWatch
- cloudwatch.py: smithy-rpc-v2-cbor (the protocol of the Rust SDK), bridged to moto's JSON
  protocol with botocore's CBOR parser and serializer; every GetMetricData request recorded.
- cloudwatch_statistics.py: percentile statistics (p99) in GetMetricData, which moto leaves
  empty; dimension sets matched whatever their order (moto 5.2.5 sorts them wrongly).
- metric_statuses.py: GetMetricData results that are not Complete (Forbidden, InternalError,
  PartialData with a NextToken) under fault injection.

The stand-in's own
- faults.py: fault injection per operation, optionally only for one deploymentId (error status
  and code, delay, dropped connection, GetMetricData result status).
- control.py: /_shiftguard/, read-only views of what happened and the controls above.
- recorder.py: what happened (hook statuses, invocations, calls, stops, metric requests) and the
  one lock guarding the shared state.
- sigv4.py: a request's region and service, from its signature.
- app.py: the WSGI application routing between all of these and moto; serve().

Tests: tests/ (stdlib unittest against the stand-in served in-process; `make standin-test`).
"""
