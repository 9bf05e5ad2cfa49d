//! What the judge can see before a deployment starts: for a service's traffic, its error rate and
//! a deployment configuration, the smallest regression the judge catches with 80 % and 90 %
//! probability (stopped during the shift, or by the final look), and the median minute of the
//! rollback for a 2x and a 3x one; with a warning when the canary is too small to see anything
//! useful. By simulation (`simulation`), the judge as configured on drawn deployments,
//! reproducible from the seed.

use serde::Serialize;

use crate::canary::error::CanaryError;
use crate::canary::judge::Judge;
use crate::canary::minute::Minute;
use crate::canary::settings::JudgeSettings;
use crate::canary::shift::{LambdaDeploymentConfig, Shift};
use crate::canary::simulation::{Base, Scenario, Seeds, Tally};

/// The regressions tried: ρ, the new version's error rate over the old one's.
pub const RHO_GRID: [f64; 12] = [1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0];
pub const DEFAULT_SEED: u64 = 20_261_202;
pub const DEFAULT_RUNS: usize = 1000;
pub const MAX_RUNS: usize = 100_000;
/// Beyond this the counts are large enough that the judge's exact final look gets slow, and the
/// answer is "everything that matters is caught in the first minutes" anyway.
pub const MAX_CALLS_PER_MINUTE: f64 = 1_000_000.0;
/// The probabilities of detection the plan reports the smallest regression for.
pub const LEVELS: [f64; 2] = [0.8, 0.9];

/// What to plan for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanRequest {
    /// Calls a minute through the alias, both versions together.
    pub calls_per_minute: f64,
    /// The old version's error rate, percent (as `MAX_ERROR_RATE`).
    pub error_rate_pct: f64,
    pub config: LambdaDeploymentConfig,
    pub settings: JudgeSettings,
    pub seed: u64,
    /// Simulated deployments per regression size.
    pub runs: usize,
}

/// The judge against one regression size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Power {
    pub rho: f64,
    /// Stopped by a minute-by-minute look before the shift completes (minutes 1..T−1).
    pub stopped_during_shift: f64,
    /// Rolled back at all: a look's stop or a failed final look.
    pub caught: f64,
    /// The median minute of the rollback over all deployments (T for the final look), when at
    /// least half are caught.
    pub median_minute: Option<usize>,
}

/// The smallest ρ on [`RHO_GRID`] caught with each probability of [`LEVELS`], `None` when not
/// even the largest is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Smallest {
    pub probability: f64,
    pub stopped_during_shift: Option<f64>,
    pub by_final_look: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub deployment_config: String,
    pub shift: String,
    /// T: the minutes both versions serve; the final look comes after the last.
    pub shift_minutes: usize,
    pub calls_per_minute: f64,
    pub error_rate_pct: f64,
    pub confidence: f64,
    pub max_error_rate_pct: f64,
    pub seed: u64,
    pub runs: usize,
    /// The new version's expected calls over the shift, and its errors at the base rate.
    pub new_version_calls: f64,
    pub new_version_errors: f64,
    /// ρ = 1: healthy releases rolled back (at most α = 1 − `CONFIDENCE`, when the base rate is
    /// within `MAX_ERROR_RATE`).
    pub healthy: Power,
    pub regressions: Vec<Power>,
    pub smallest: Vec<Smallest>,
    pub median_minute_2x: Option<usize>,
    pub median_minute_3x: Option<usize>,
    pub warnings: Vec<String>,
}

impl PlanRequest {
    fn validate(&self) -> Result<(), CanaryError> {
        let calls = self.calls_per_minute;
        if !(calls > 0.0 && calls <= MAX_CALLS_PER_MINUTE) {
            return Err(CanaryError::CallsPerMinute {
                value: calls,
                max: MAX_CALLS_PER_MINUTE,
            });
        }
        if !(self.error_rate_pct > 0.0 && self.error_rate_pct <= 100.0) {
            return Err(CanaryError::BaseErrorRate {
                value: self.error_rate_pct,
            });
        }
        if !(1..=MAX_RUNS).contains(&self.runs) {
            return Err(CanaryError::Runs {
                value: self.runs,
                max: MAX_RUNS,
            });
        }
        Ok(())
    }
}

/// The judge's rollback minute for one deployment: a look's stop, the last minute when the final
/// look fails it, or `None`.
fn rollback_minute(judge: &Judge, minutes: &[Minute]) -> Option<usize> {
    let watch = judge.watch(minutes).expect("drawn minutes are valid");
    if let Some(stop) = watch.stop {
        return Some(stop.minute);
    }
    let verdict = judge.final_look(minutes).expect("drawn minutes are valid");
    verdict.failed.then_some(minutes.len())
}

fn power(rho: f64, t: &Tally) -> Power {
    Power {
        rho,
        stopped_during_shift: t.share(t.during),
        caught: t.share(t.caught),
        median_minute: t.median,
    }
}

/// An expected count: one decimal, two below 1 (0.02 errors, not 0.0).
pub fn count(x: f64) -> String {
    if x >= 1.0 || x == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn pct(x: f64) -> String {
    format!("{:.0} %", 100.0 * x)
}

/// Runs the simulation: `runs` deployments for ρ = 1 and for every ρ of [`RHO_GRID`], on the
/// same traffic.
pub fn plan(request: &PlanRequest) -> Result<Plan, CanaryError> {
    request.validate()?;
    let shift = request.config.shift();
    let minutes = shift.minutes();
    let base = request.error_rate_pct / 100.0;
    let scenario = Scenario {
        calls_per_minute: request.calls_per_minute,
        shift,
        base: Base::Constant(base),
    };
    let seeds = Seeds {
        root: request.seed,
        scenario: 0,
    };
    let judge = Judge::new(request.settings);
    let tally = |rho: f64, stream: u64| {
        let results = scenario.simulate(seeds, request.runs, rho, stream, &|m: &[Minute]| {
            rollback_minute(&judge, m)
        });
        power(rho, &Tally::new(&results, minutes))
    };
    let healthy = tally(1.0, 0);
    let regressions: Vec<Power> = RHO_GRID
        .iter()
        .enumerate()
        .map(|(i, &rho)| tally(rho, 1 + i as u64))
        .collect();
    let first = |level: f64, of: &dyn Fn(&Power) -> f64| regressions.iter().find(|p| of(p) >= level).map(|p| p.rho);
    let smallest: Vec<Smallest> = LEVELS
        .iter()
        .map(|&level| Smallest {
            probability: level,
            stopped_during_shift: first(level, &|p| p.stopped_during_shift),
            by_final_look: first(level, &|p| p.caught),
        })
        .collect();
    let median_at = |rho: f64| regressions.iter().find(|p| p.rho == rho).and_then(|p| p.median_minute);
    // Rounded to 9 decimals: ten minutes of 0.1 make 1, not 0.9999999999999999.
    let new_version_calls = (request.calls_per_minute * shift.shares().iter().sum::<f64>() * 1e9).round() / 1e9;
    let mut plan = Plan {
        deployment_config: request.config.name(),
        shift: shift.to_string(),
        shift_minutes: minutes,
        calls_per_minute: request.calls_per_minute,
        error_rate_pct: request.error_rate_pct,
        confidence: request.settings.confidence,
        max_error_rate_pct: request.settings.max_error_rate_pct,
        seed: request.seed,
        runs: request.runs,
        new_version_calls,
        new_version_errors: (new_version_calls * base * 1e9).round() / 1e9,
        healthy,
        median_minute_2x: median_at(2.0),
        median_minute_3x: median_at(3.0),
        regressions,
        smallest,
        warnings: Vec::new(),
    };
    plan.warnings = warnings(&plan, shift);
    Ok(plan)
}

/// What the team should know before it deploys.
fn warnings(plan: &Plan, shift: Shift) -> Vec<String> {
    let mut out = Vec::new();
    let largest = RHO_GRID[RHO_GRID.len() - 1];
    if shift == Shift::AllAtOnce {
        out.push(format!(
            "{} moves every call at once: there is no minute in which both versions serve, so the \
             canary judge has nothing to compare, and the new version is judged only after it serves \
             everyone. Choose a canary or linear configuration (e.g. {}) to have it judged first.",
            plan.deployment_config,
            LambdaDeploymentConfig::Canary10Percent10Minutes.name()
        ));
    } else if plan.smallest[0].stopped_during_shift.is_none() {
        let by_final_look = plan.smallest[0].by_final_look.map_or(
            ", nor rolled back by the final look once every user is on the new version".to_string(),
            |rho| format!("; the final look, once every user is on the new version, rolls back a {rho}x one in 80 %"),
        );
        out.push(format!(
            "this canary is too small to see anything useful: over the {}-minute shift the new version \
             is expected to serve {:.0} calls and {} errors at the base rate, and not even a {largest}x \
             regression is stopped before the shift completes in 80 % of deployments{by_final_look}. More calls in the canary would see more: a longer canary ({}), a linear shift, or a \
             larger percentage (a custom configuration).",
            plan.shift_minutes,
            plan.new_version_calls,
            count(plan.new_version_errors),
            LambdaDeploymentConfig::Canary10Percent30Minutes.name()
        ));
    }
    if plan.error_rate_pct > plan.max_error_rate_pct {
        out.push(format!(
            "the base error rate {} % is above MAX_ERROR_RATE {} %: the ceiling rolls back healthy \
             releases ({} of them here, where at most {} would be promised); set MAX_ERROR_RATE above \
             the error rate the service has today.",
            plan.error_rate_pct,
            plan.max_error_rate_pct,
            pct(plan.healthy.caught),
            pct(1.0 - plan.confidence),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(calls: f64, error_rate_pct: f64, config: LambdaDeploymentConfig, runs: usize) -> PlanRequest {
        PlanRequest {
            calls_per_minute: calls,
            error_rate_pct,
            config,
            settings: JudgeSettings::default(),
            seed: DEFAULT_SEED,
            runs,
        }
    }

    #[test]
    fn a_busy_canary_sees_a_3x_regression_in_its_first_minutes() {
        let p = plan(&request(
            2000.0,
            1.0,
            LambdaDeploymentConfig::Canary10Percent10Minutes,
            100,
        ))
        .unwrap();
        assert_eq!(p.shift_minutes, 10);
        assert!(p.median_minute_3x.is_some_and(|m| m <= 3), "{p:?}");
        assert!(p.smallest[0].by_final_look.is_some_and(|rho| rho <= 2.5), "{p:?}");
        assert!(p.healthy.caught <= 0.15, "{p:?}");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!((p.new_version_calls, p.new_version_errors), (2000.0, 20.0));
        assert_eq!(p.regressions.len(), RHO_GRID.len());
    }

    #[test]
    fn a_tiny_service_is_warned_that_its_canary_is_blind() {
        let p = plan(&request(20.0, 0.1, LambdaDeploymentConfig::Canary10Percent5Minutes, 50)).unwrap();
        assert_eq!(p.smallest[0].stopped_during_shift, None);
        assert_eq!(p.warnings.len(), 1);
        assert!(
            p.warnings[0].starts_with("this canary is too small to see anything useful"),
            "{}",
            p.warnings[0]
        );
        assert!(
            p.warnings[0].contains("nor rolled back by the final look once every user is on the new version"),
            "{}",
            p.warnings[0]
        );
    }

    #[test]
    fn all_at_once_has_nothing_to_compare() {
        let p = plan(&request(2000.0, 1.0, LambdaDeploymentConfig::AllAtOnce, 10)).unwrap();
        assert_eq!(p.shift_minutes, 0);
        assert!(p.regressions.iter().all(|r| r.caught == 0.0));
        assert!(
            p.warnings[0].contains("no minute in which both versions serve"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn a_base_rate_above_the_ceiling_is_called_out() {
        let p = plan(&request(
            2000.0,
            3.0,
            LambdaDeploymentConfig::Canary10Percent5Minutes,
            50,
        ))
        .unwrap();
        let w = p
            .warnings
            .iter()
            .find(|w| w.contains("MAX_ERROR_RATE"))
            .expect("warned");
        assert!(
            w.starts_with("the base error rate 3 % is above MAX_ERROR_RATE 1 %"),
            "{w}"
        );
        assert!(p.healthy.caught > 0.5, "{p:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_plan() {
        let r = request(500.0, 1.0, LambdaDeploymentConfig::Linear10PercentEvery1Minute, 40);
        assert_eq!(plan(&r).unwrap(), plan(&r).unwrap());
    }

    #[test]
    fn bad_requests_say_what_to_give() {
        let ok = request(2000.0, 1.0, LambdaDeploymentConfig::Canary10Percent5Minutes, 10);
        for bad in [
            PlanRequest {
                calls_per_minute: 0.0,
                ..ok
            },
            PlanRequest {
                calls_per_minute: f64::NAN,
                ..ok
            },
            PlanRequest {
                calls_per_minute: 2e6,
                ..ok
            },
        ] {
            let e = plan(&bad).unwrap_err().to_string();
            assert!(e.starts_with("the calls per minute are"), "{e}");
        }
        for rate in [0.0, -1.0, 101.0] {
            let e = plan(&PlanRequest {
                error_rate_pct: rate,
                ..ok
            })
            .unwrap_err()
            .to_string();
            assert!(e.starts_with("the base error rate is"), "{e}");
        }
        let e = plan(&PlanRequest { runs: 0, ..ok }).unwrap_err().to_string();
        assert_eq!(e, "0 simulated deployments: give from 1 to 100000");
    }
}
