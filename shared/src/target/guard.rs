//! The tag that lets shiftguard act on a function: `shiftguard:guarded = true`. The stack's IAM
//! policies allow invoking, pruning and moving aliases only on functions carrying it
//! (`aws:ResourceTag/shiftguard:guarded`); pre-traffic checks it as well before it invokes
//! anything, so that a wrong function named in an AppSpec or a probe is refused with a reason
//! instead of an AccessDenied, and where IAM is not enforced.

use std::collections::BTreeMap;

pub const GUARD_TAG: &str = "shiftguard:guarded";
/// Tag values are case-sensitive, as IAM's `StringEquals` compares them.
pub const GUARD_VALUE: &str = "true";

/// `Ok` when `tags` (of `function`) carry the guard tag; else why shiftguard will not invoke it.
pub fn check_guarded(function: &str, tags: &BTreeMap<String, String>) -> Result<(), String> {
    match tags.get(GUARD_TAG) {
        Some(v) if v == GUARD_VALUE => Ok(()),
        Some(v) => Err(format!(
            "function {function} has the tag {GUARD_TAG} = {v:?}, not {GUARD_VALUE:?}: shiftguard invokes only functions tagged {GUARD_TAG} = {GUARD_VALUE}"
        )),
        None => Err(format!(
            "function {function} does not carry the tag {GUARD_TAG} = {GUARD_VALUE}: shiftguard invokes only functions tagged so; tag the function to wire it"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn only_the_exact_tag_and_value_pass() {
        assert!(check_guarded("orders", &tags(&[("shiftguard:guarded", "true")])).is_ok());
        let e = check_guarded("orders", &tags(&[("team", "orders")])).unwrap_err();
        assert!(e.contains("does not carry the tag shiftguard:guarded = true"), "{e}");
        let e = check_guarded("orders", &tags(&[("shiftguard:guarded", "True")])).unwrap_err();
        assert!(e.contains("has the tag shiftguard:guarded = \"True\""), "{e}");
    }
}
