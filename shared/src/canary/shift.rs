//! How the alias moves traffic to the new version: its share of the calls each minute until it has
//! all of them, and CodeDeploy's predefined Lambda deployment configurations by name, with the
//! shapes of <https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html>
//! (Canary: 10 % first, the other 90 % N minutes later; Linear: 10 % more every N minutes until
//! all; AllAtOnce: everything at once).

use std::fmt;
use std::str::FromStr;

use crate::canary::error::CanaryError;

/// The shape of a traffic shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    /// `percent` of the calls for `minutes` minutes, then all of them.
    Canary { percent: u32, minutes: usize },
    /// `percent` more of the calls every `every` minutes (`percent`, 2 × `percent`, … while below
    /// 100), then all of them.
    Linear { percent: u32, every: usize },
    /// All of the calls at once: no minute in which both versions serve.
    AllAtOnce,
}

impl Shift {
    /// The new version's share of the calls in each minute before it has them all, in order.
    pub fn shares(self) -> Vec<f64> {
        match self {
            Shift::Canary { percent, minutes } => vec![f64::from(percent) / 100.0; minutes],
            Shift::Linear { percent, every } if percent > 0 => (1..)
                .map(|step| step * percent)
                .take_while(|&p| p < 100)
                .flat_map(|p| std::iter::repeat_n(f64::from(p) / 100.0, every))
                .collect(),
            Shift::Linear { .. } | Shift::AllAtOnce => Vec::new(),
        }
    }

    /// The minutes in which both versions serve: the judge's minute-by-minute looks.
    pub fn minutes(self) -> usize {
        self.shares().len()
    }
}

impl fmt::Display for Shift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shift::Canary { percent, minutes } => {
                write!(f, "{percent} % of the calls for {minutes} minutes, then all of them")
            }
            Shift::Linear { percent, every } => write!(
                f,
                "{percent} % more of the calls every {} until all of them, after {} minutes",
                if every == 1 {
                    "minute".to_string()
                } else {
                    format!("{every} minutes")
                },
                self.minutes()
            ),
            Shift::AllAtOnce => f.write_str("all of the calls at once"),
        }
    }
}

/// CodeDeploy's predefined deployment configurations for Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaDeploymentConfig {
    Canary10Percent5Minutes,
    Canary10Percent10Minutes,
    Canary10Percent15Minutes,
    Canary10Percent30Minutes,
    Linear10PercentEvery1Minute,
    Linear10PercentEvery2Minutes,
    Linear10PercentEvery3Minutes,
    Linear10PercentEvery10Minutes,
    AllAtOnce,
}

const PREFIX: &str = "CodeDeployDefault.";

impl LambdaDeploymentConfig {
    pub const ALL: [LambdaDeploymentConfig; 9] = [
        LambdaDeploymentConfig::Canary10Percent5Minutes,
        LambdaDeploymentConfig::Canary10Percent10Minutes,
        LambdaDeploymentConfig::Canary10Percent15Minutes,
        LambdaDeploymentConfig::Canary10Percent30Minutes,
        LambdaDeploymentConfig::Linear10PercentEvery1Minute,
        LambdaDeploymentConfig::Linear10PercentEvery2Minutes,
        LambdaDeploymentConfig::Linear10PercentEvery3Minutes,
        LambdaDeploymentConfig::Linear10PercentEvery10Minutes,
        LambdaDeploymentConfig::AllAtOnce,
    ];

    /// CodeDeploy's name without its `CodeDeployDefault.` prefix, e.g. `LambdaCanary10Percent5Minutes`.
    pub fn short_name(self) -> &'static str {
        use LambdaDeploymentConfig::*;
        match self {
            Canary10Percent5Minutes => "LambdaCanary10Percent5Minutes",
            Canary10Percent10Minutes => "LambdaCanary10Percent10Minutes",
            Canary10Percent15Minutes => "LambdaCanary10Percent15Minutes",
            Canary10Percent30Minutes => "LambdaCanary10Percent30Minutes",
            Linear10PercentEvery1Minute => "LambdaLinear10PercentEvery1Minute",
            Linear10PercentEvery2Minutes => "LambdaLinear10PercentEvery2Minutes",
            Linear10PercentEvery3Minutes => "LambdaLinear10PercentEvery3Minutes",
            Linear10PercentEvery10Minutes => "LambdaLinear10PercentEvery10Minutes",
            AllAtOnce => "LambdaAllAtOnce",
        }
    }

    /// CodeDeploy's full name, e.g. `CodeDeployDefault.LambdaCanary10Percent5Minutes`.
    pub fn name(self) -> String {
        format!("{PREFIX}{}", self.short_name())
    }

    pub fn shift(self) -> Shift {
        use LambdaDeploymentConfig::*;
        let canary = |minutes| Shift::Canary { percent: 10, minutes };
        let linear = |every| Shift::Linear { percent: 10, every };
        match self {
            Canary10Percent5Minutes => canary(5),
            Canary10Percent10Minutes => canary(10),
            Canary10Percent15Minutes => canary(15),
            Canary10Percent30Minutes => canary(30),
            Linear10PercentEvery1Minute => linear(1),
            Linear10PercentEvery2Minutes => linear(2),
            Linear10PercentEvery3Minutes => linear(3),
            Linear10PercentEvery10Minutes => linear(10),
            AllAtOnce => Shift::AllAtOnce,
        }
    }

    /// Every short name, comma-separated, for an error.
    pub fn names() -> String {
        Self::ALL.map(Self::short_name).join(", ")
    }
}

impl fmt::Display for LambdaDeploymentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

impl FromStr for LambdaDeploymentConfig {
    type Err = CanaryError;

    /// CodeDeploy's name, with or without `CodeDeployDefault.` and `Lambda` (`Canary10Percent5Minutes`
    /// will do), in any case.
    fn from_str(name: &str) -> Result<Self, CanaryError> {
        let trimmed = name.trim();
        let short = trimmed.strip_prefix(PREFIX).unwrap_or(trimmed);
        Self::ALL
            .into_iter()
            .find(|c| {
                let full = c.short_name();
                full.eq_ignore_ascii_case(short) || full["Lambda".len()..].eq_ignore_ascii_case(short)
            })
            .ok_or_else(|| CanaryError::UnknownDeploymentConfig { name: name.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canary_is_its_share_for_its_minutes() {
        let shares = LambdaDeploymentConfig::Canary10Percent5Minutes.shift().shares();
        assert_eq!(shares, vec![0.1; 5]);
        assert_eq!(LambdaDeploymentConfig::Canary10Percent30Minutes.shift().minutes(), 30);
    }

    #[test]
    fn a_linear_shift_climbs_by_its_step_until_all() {
        let one = LambdaDeploymentConfig::Linear10PercentEvery1Minute.shift().shares();
        let expected: Vec<f64> = (1..10).map(|i| i as f64 / 10.0).collect();
        assert_eq!(one, expected, "the same shares, bit for bit, as i / 10");
        let two = LambdaDeploymentConfig::Linear10PercentEvery2Minutes.shift().shares();
        assert_eq!(two.len(), 18);
        assert_eq!(&two[..4], &[0.1, 0.1, 0.2, 0.2]);
        assert_eq!(
            LambdaDeploymentConfig::Linear10PercentEvery10Minutes.shift().minutes(),
            90
        );
        assert_eq!(Shift::Linear { percent: 0, every: 1 }.minutes(), 0);
        assert_eq!(LambdaDeploymentConfig::AllAtOnce.shift().minutes(), 0);
    }

    #[test]
    fn names_read_with_or_without_their_prefixes() {
        for c in LambdaDeploymentConfig::ALL {
            assert_eq!(c.name().parse::<LambdaDeploymentConfig>(), Ok(c));
            assert_eq!(c.short_name().parse::<LambdaDeploymentConfig>(), Ok(c));
            assert_eq!(c.short_name()["Lambda".len()..].parse(), Ok(c));
        }
        assert_eq!(
            " canary10percent10minutes".parse(),
            Ok(LambdaDeploymentConfig::Canary10Percent10Minutes)
        );
        assert_eq!("AllAtOnce".parse(), Ok(LambdaDeploymentConfig::AllAtOnce));
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        for bad in [
            "Canary10Percent20Minutes",
            "CodeDeployDefault.AllAtOnce2",
            "ECSAllAtOnce",
            "",
        ] {
            let e = bad.parse::<LambdaDeploymentConfig>().unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
            assert!(
                e.contains("LambdaCanary10Percent5Minutes, LambdaCanary10Percent10Minutes")
                    && e.contains("LambdaAllAtOnce"),
                "{e}"
            );
        }
    }

    #[test]
    fn shapes_read_as_a_person_would_say_them() {
        let c = LambdaDeploymentConfig::Canary10Percent10Minutes.shift();
        assert_eq!(c.to_string(), "10 % of the calls for 10 minutes, then all of them");
        let l = LambdaDeploymentConfig::Linear10PercentEvery3Minutes.shift();
        assert_eq!(
            l.to_string(),
            "10 % more of the calls every 3 minutes until all of them, after 27 minutes"
        );
    }
}
