//! `shiftguard replay`: what shiftguard would have decided on past deployments, from the
//! per-minute metrics CloudWatch still holds (`shiftguard::replay`), as a table or JSON.

mod table;

use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use shiftguard::adapters::{
    CloudWatchAdapter, CodeDeployAdapter, DeploymentLookup, EcsTargetGroups, SsmAdapter, cloudwatch_client,
    codedeploy_client, elb_client, load_sdk_config, s3_client, ssm_client,
};
use shiftguard::replay::history::{Readers, SettingsSource, last, replay_ids, replay_summaries};
use shiftguard::replay::outcome::{Replayed, Would};
use shiftguard::rollback::deployment_group::GroupRef;

use crate::exit;

const ABOUT: &str = "What shiftguard would have decided on past deployments, from CloudWatch's per-minute metrics";

const LONG_ABOUT: &str = "\
Replays completed CodeDeploy deployments (Lambda and ECS) through shiftguard's judgement: the
canary judge's looks, minute by minute, on both versions' calls and errors, then post-traffic's
verdict after the shift (the canary judge's final look, MIN_INVOCATIONS, MAX_P99_MS,
MAX_THROTTLES, METRIC_CHECKS). It uses the metrics CloudWatch still holds and the functions' own
code, and prints what CodeDeploy did beside what shiftguard would have done, with the evidence
of every minute.

Which deployments: `--deployment d-...` (repeatable), or the last N completed deployments of a
group created in the last 63 days, CloudWatch's retention of 5-minute data (`--application A
--deployment-group G --last N`; CodeDeploy's own rollbacks are not counted). Each is judged on its whole minutes, from the minute it was created in to the minute it
completed in. That is the span post-traffic judges when it runs just before the end.

Settings: `--settings FILE`, one settings document (JSON or YAML, as `shiftguard settings check`
reads it) for every deployment. Without it, each group's own documents in Parameter Store
(/shiftguard/<application>/<deployment-group>, then /shiftguard/<application>). Either way they
apply over the defaults: the functions' environment is not known here, and DRY_RUN is ignored.

Limits:
  CloudWatch keeps one-minute datapoints for 15 days. An older deployment is listed as not
  judged, never judged on coarser data.
  A deployment that completed less than SETTLE_SECONDS ago waits for its last minute.
  Rollbacks and EC2/on-premises deployments are listed as not judged.
AWS access: the normal credential chain (AWS_PROFILE, AWS_REGION, ...). It needs
codedeploy:ListDeployments, BatchGetDeployments, GetDeployment, GetApplicationRevision (an
AppSpecContent revision), s3:GetObject and s3:GetObjectVersion (an AppSpec in S3, read at its
version), cloudwatch:GetMetricData, ssm:GetParameters and, for ECS,
codedeploy:ListDeploymentTargets, BatchGetDeploymentTargets and
elasticloadbalancing:DescribeTargetGroups.";

const AFTER_LONG_HELP: &str = "\
OUTPUT (stdout): a block per deployment: what CodeDeploy did, what shiftguard would have done and
at which minute, post-traffic's checks, and each minute's counts with the evidence (an e-value
at or over the threshold stops the deployment). Then one line of totals. With --json: one JSON
array, an object per deployment, the same fields (`shiftguard.decision` is stop,
fail_after_shift, pass, skipped or problem; `agrees` says whether CodeDeploy ended the same way).

EXIT CODES:
  0  every deployment was judged, or said why it cannot be (too old, in progress, ...)
  1  at least one deployment could not be judged: its block says why (a metric or a deployment
     that could not be read, a broken settings document); or --settings FILE is not valid
  2  bad usage
  3  reading FILE or writing stdout failed
  4  the deployments could not be listed or read (credentials, permissions, region)

EXAMPLE:
  $ shiftguard replay --application orders --deployment-group orders-live --last 20
  $ shiftguard replay --deployment d-4Q2ZT1X8E --deployment d-7HJ3K2L0F --json
  $ shiftguard replay --deployment d-4Q2ZT1X8E --settings stricter.yaml";

#[derive(Debug, clap::Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["deployments", "application"])))]
pub struct Args {
    /// A deployment to replay (repeatable), e.g. d-4Q2ZT1X8E.
    #[arg(long = "deployment", value_name = "ID", conflicts_with = "application")]
    pub deployments: Vec<String>,
    /// The application whose last deployments to replay (with --deployment-group).
    #[arg(long, requires = "deployment_group")]
    pub application: Option<String>,
    /// The deployment group whose last deployments to replay (with --application).
    #[arg(long, requires = "application")]
    pub deployment_group: Option<String>,
    /// How many of the group's last completed deployments to replay.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=200))]
    pub last: u16,
    /// A settings document (JSON or YAML) to judge every deployment with, instead of each
    /// group's documents in Parameter Store.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// One JSON array instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args, out: &mut impl Write, err: &mut impl Write) -> u8 {
    let source = match &args.settings {
        None => SettingsSource::Documents,
        Some(file) => match crate::settings::check(file) {
            Ok(applied) => SettingsSource::Given(Box::new((applied.effective, applied.record))),
            Err((code, message)) => {
                let _ = writeln!(err, "shiftguard replay: {message}");
                return code;
            }
        },
    };
    let replayed = match replay(args, &source) {
        Ok(r) => r,
        Err((code, message)) => {
            let _ = writeln!(err, "shiftguard replay: {message}");
            return code;
        }
    };
    let text = if args.json {
        serde_json::to_string_pretty(&replayed).expect("a replay serialises") + "\n"
    } else {
        table::render(&replayed)
    };
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        let _ = writeln!(err, "shiftguard replay: writing stdout: {e}");
        return exit::IO;
    }
    if replayed.iter().any(|r| matches!(r.shiftguard, Would::Problem { .. })) {
        exit::BAD_INPUT
    } else {
        exit::OK
    }
}

fn replay(args: &Args, source: &SettingsSource) -> Result<Vec<Replayed>, (u8, String)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| (exit::IO, format!("starting the runtime: {e}")))?;
    runtime.block_on(async {
        let sdk = load_sdk_config().await;
        let codedeploy = codedeploy_client(&sdk);
        let history = CodeDeployAdapter::new(codedeploy.clone());
        let deployments = DeploymentLookup::new(codedeploy.clone(), s3_client(&sdk));
        let metrics = CloudWatchAdapter::new(cloudwatch_client(&sdk));
        let target_groups = EcsTargetGroups::new(codedeploy, elb_client(&sdk));
        let store = SsmAdapter::new(ssm_client(&sdk));
        let readers = Readers {
            history: &history,
            deployments: &deployments,
            metrics: &metrics,
            target_groups: &target_groups,
            store: &store,
        };
        let now = SystemTime::now();
        let aws = |e: shiftguard::ports::AwsError| (exit::AWS, e.to_string());
        match (&args.application, &args.deployment_group) {
            (Some(application), Some(group)) => {
                let group = GroupRef {
                    application: application.clone(),
                    group: group.clone(),
                };
                let found = last(&history, &group, usize::from(args.last), now).await.map_err(aws)?;
                Ok(replay_summaries(&readers, &found, source, now).await)
            }
            _ => replay_ids(&readers, &args.deployments, source, now).await.map_err(aws),
        }
    })
}
