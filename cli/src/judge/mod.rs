//! `shiftguard judge`: deployments' per-minute counts from stdin, one JSON line each; the canary
//! judge's answer for each on stdout, one JSON line each, written whole. A bad line is named on
//! stderr and skipped; the lines after it are still judged, and the exit code says one was bad.

mod line;
mod output;

use crate::exit;
use std::io::{BufRead, Write};

const ABOUT: &str = "Judge deployments' per-minute counts (JSON Lines on stdin) as the canary judge does";

const LONG_ABOUT: &str = "\
Judge deployments' per-minute counts (JSON Lines on stdin) as the canary judge does.

Reads one deployment a line and writes one JSON line a deployment on stdout: the minute at which
the judge's minute-by-minute looks stop it, and the AfterAllowTraffic verdict after its last
minute, with the evidence of every minute and the reasons. It runs the functions' own code
(shared/src/canary), so its answer is theirs.";

const AFTER_LONG_HELP: &str = r#"INPUT (stdin), one deployment a line:
  {"settings": {"CONFIDENCE": "0.95", "MAX_ERROR_RATE": "5.0"},
   "minutes": [{"new": {"invocations": 200, "errors": 3}, "old": {"invocations": 1800, "errors": 17}}, ...]}

  settings  Optional. CONFIDENCE (default 0.95) and MAX_ERROR_RATE (percent, default 1), each
            optional, strings as in the functions' environment and read by the same parsers.
            Any other key is an error.
  minutes   Complete minutes, oldest first: each version's Invocations and Errors through the
            alias, whole numbers up to 1000000000. "new" is the version being deployed, "old"
            the one serving before it.
  Blank lines are skipped.

OUTPUT (stdout), one line per judged deployment, in input order:
  line         the input line it answers
  rollback_at  the 1-based minute at which a look stops the deployment, or null
  final        "Succeeded" or "Failed": the AfterAllowTraffic verdict after the last minute
               ("Failed" whenever rolled back)
  stopped_by   "relative" (against the old version), "ceiling" (against MAX_ERROR_RATE), or null
  reasons      why, in words
  settings, alpha, thresholds
               what the judge ran with: the looks stop when an e-value reaches its threshold
  evidence     after each minute: the e-values (relative, ceiling), rate_ratio, new_error_rate
  final_look   the exact tests after the last minute: count, critical, p_value, spent_by_looks

BAD INPUT: a line that cannot be judged writes nothing on stdout, and stderr names the line and
the field, e.g.
  line 3: minutes[2].new.errors: 5 errors in 3 invocations; a minute cannot have more errors ...
The lines after it are still judged. Each output line is written whole, then flushed.

EXIT CODES:
  0  every line judged, whatever the verdicts
  1  at least one line could not be judged (each named on stderr); the others were written
  2  bad usage
  3  reading stdin or writing stdout failed

EXAMPLE:
  $ m='{"new": {"invocations": 200, "errors": 6}, "old": {"invocations": 1800, "errors": 18}}'
  $ echo "{\"minutes\": [$m, $m, $m]}" | shiftguard judge
  {"line":1,"rollback_at":2,"final":"Failed","stopped_by":"relative","reasons":["minute 2: ..."],...}"#;

/// `shiftguard judge` takes no options: everything is on stdin.
#[derive(Debug, clap::Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
pub struct Args {}

/// Judges every line of `input`, answers on `out`, names bad lines on `err`; the exit code.
pub fn run(mut input: impl BufRead, out: &mut impl Write, err: &mut impl Write) -> u8 {
    let (mut number, mut judged, mut bad) = (0usize, 0usize, 0usize);
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match input.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => number += 1,
            Err(e) => {
                let _ = writeln!(err, "shiftguard judge: reading stdin after line {number}: {e}");
                return exit::IO;
            }
        }
        let answer = std::str::from_utf8(&bytes)
            .map_err(|_| line::LineError::NotUtf8)
            .and_then(|text| line::judge_line(number, text));
        match answer {
            Ok(None) => {}
            Ok(Some(mut json)) => {
                json.push('\n');
                if let Err(e) = out.write_all(json.as_bytes()).and_then(|()| out.flush()) {
                    let _ = writeln!(err, "shiftguard judge: writing the answer to line {number}: {e}");
                    return exit::IO;
                }
                judged += 1;
            }
            Err(e) => {
                let _ = writeln!(err, "line {number}: {e}");
                bad += 1;
            }
        }
    }
    if bad > 0 {
        let _ = writeln!(
            err,
            "shiftguard judge: {bad} of {} deployments could not be judged (named above); the other {judged} \
             were written",
            bad + judged
        );
        return exit::BAD_INPUT;
    }
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(input: &str) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(input.as_bytes(), &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    const GOOD: &str =
        r#"{"minutes": [{"new": {"invocations": 200, "errors": 2}, "old": {"invocations": 1800, "errors": 18}}]}"#;

    #[test]
    fn every_good_line_is_answered_and_blank_ones_skipped() {
        let (code, out, err) = run_on(&format!("{GOOD}\n\n   \n{GOOD}"));
        assert_eq!(code, exit::OK);
        assert_eq!(err, "");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with(r#"{"line":1,"rollback_at":null,"final":"Succeeded""#),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with(r#"{"line":4,"#), "{}", lines[1]);
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn a_bad_line_is_named_and_the_rest_still_judged() {
        let (code, out, err) = run_on(&format!("{GOOD}\n{{\"minutes\": 3}}\n{GOOD}\n"));
        assert_eq!(code, exit::BAD_INPUT);
        assert_eq!(out.lines().count(), 2);
        let err_lines: Vec<&str> = err.lines().collect();
        assert!(
            err_lines[0].starts_with("line 2: minutes: invalid type: integer `3`"),
            "{err}"
        );
        assert_eq!(
            err_lines[1],
            "shiftguard judge: 1 of 3 deployments could not be judged (named above); the other 2 were written"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_a_bad_line() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let input = [GOOD.as_bytes(), b"\n\xff\xfe\n"].concat();
        let code = run(&input[..], &mut out, &mut err);
        assert_eq!(code, exit::BAD_INPUT);
        assert!(String::from_utf8(err).unwrap().starts_with("line 2: not UTF-8 text"));
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
    }

    /// A writer that fails: stdout closed.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stdout_stops_with_its_own_code() {
        let mut err = Vec::new();
        let code = run(GOOD.as_bytes(), &mut Closed, &mut err);
        assert_eq!(code, exit::IO);
        assert!(
            String::from_utf8(err)
                .unwrap()
                .starts_with("shiftguard judge: writing the answer to line 1")
        );
    }
}
