//! CodeDeploy's Lambda deployment configurations as steps of traffic to the new version.

use std::time::Duration;

/// One step: this share of traffic (percent) goes to the new version for this long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub percent: f64,
    pub hold: Duration,
}

/// The steps of `CodeDeployDefault.Lambda…` configurations and of SAM's `DeploymentPreference`
/// types: `Canary{P}Percent{N}Minute(s)`, `Linear{P}PercentEvery{N}Minute(s)`, `AllAtOnce`.
pub fn steps(config: &str) -> Result<Vec<Step>, String> {
    let name = config
        .trim_start_matches("CodeDeployDefault.")
        .trim_start_matches("Lambda");
    let minutes = |n: &str| {
        n.parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Duration::from_secs(n * 60))
    };
    let percent = |p: &str| p.parse::<f64>().ok().filter(|p| *p > 0.0 && *p < 100.0);
    let bad = || {
        format!("`{config}` is not a Canary…Percent…Minutes, Linear…PercentEvery…Minutes or AllAtOnce configuration")
    };
    if name == "AllAtOnce" {
        return Ok(vec![Step {
            percent: 100.0,
            hold: Duration::ZERO,
        }]);
    }
    let unit = |rest: &str| {
        rest.strip_suffix("Minutes")
            .or_else(|| rest.strip_suffix("Minute"))
            .map(str::to_string)
    };
    if let Some(rest) = name.strip_prefix("Canary") {
        let (p, rest) = rest.split_once("Percent").ok_or_else(bad)?;
        let (p, hold) = (
            percent(p).ok_or_else(bad)?,
            minutes(&unit(rest).ok_or_else(bad)?).ok_or_else(bad)?,
        );
        return Ok(vec![
            Step { percent: p, hold },
            Step {
                percent: 100.0,
                hold: Duration::ZERO,
            },
        ]);
    }
    if let Some(rest) = name.strip_prefix("Linear") {
        let (p, rest) = rest.split_once("PercentEvery").ok_or_else(bad)?;
        let (p, hold) = (
            percent(p).ok_or_else(bad)?,
            minutes(&unit(rest).ok_or_else(bad)?).ok_or_else(bad)?,
        );
        let mut out = Vec::new();
        let mut share = p;
        while share < 100.0 {
            out.push(Step { percent: share, hold });
            share += p;
        }
        out.push(Step {
            percent: 100.0,
            hold: Duration::ZERO,
        });
        return Ok(out);
    }
    Err(bad())
}

/// Whether request `i` goes to the new version at `percent`: a fixed, even spread.
pub fn to_new_version(i: usize, percent: f64) -> bool {
    ((i * 37) % 100) as f64 + 0.5 < percent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canary_linear_and_all_at_once() {
        assert_eq!(
            steps("Canary10Percent5Minutes").unwrap(),
            vec![
                Step {
                    percent: 10.0,
                    hold: Duration::from_secs(300)
                },
                Step {
                    percent: 100.0,
                    hold: Duration::ZERO
                }
            ]
        );
        let linear = steps("CodeDeployDefault.LambdaLinear10PercentEvery1Minute").unwrap();
        assert_eq!(linear.len(), 10);
        assert_eq!(linear[8].percent, 90.0);
        assert_eq!(steps("AllAtOnce").unwrap().len(), 1);
        assert!(steps("Canary10Percent").is_err());
        assert!(steps("Fast").is_err());
    }

    #[test]
    fn the_spread_matches_the_weight() {
        for percent in [10.0, 25.0, 50.0, 100.0] {
            let n = (0..1000).filter(|i| to_new_version(*i, percent)).count();
            assert_eq!(n as f64, percent * 10.0, "{percent}");
        }
    }
}
