//! The closing parts: ANOMALIES, numbered and in words, and NEXT CHECK,
//! what the next `check` will decide and what to do.

use crate::host::config::PolicySettings;
use crate::storage::Storage;

use super::super::failure::FailureLogView;
use super::super::verdict::{next_check, next_provisioning_boot, policy_words};
use super::super::walk::{Item, ReportError, Summary, walk};
use super::anomaly_words::{anomaly_excerpt, describe_anomaly, outcome_words};
use super::lines::Lines;
use super::words::count;

/// Writes the ANOMALIES part, from one pass, and returns what the pass
/// learned.
pub(super) fn anomalies<S: Storage + ?Sized>(
    storage: &mut S,
    lines: &mut Lines<'_>,
) -> Result<Summary, ReportError> {
    lines.line("ANOMALIES")?;
    let mut numbered = 0;
    let summary = walk(storage, &mut |item| {
        let Item::Anomaly(anomaly) = item else {
            return Ok(());
        };
        numbered += 1;
        let number = format!("{numbered:>2}. ");
        lines.wrapped(
            &format!("{number}[{}] ", anomaly.offset()),
            &describe_anomaly(&anomaly),
        )?;
        if let Some(excerpt) = anomaly_excerpt(&anomaly) {
            lines.line(&format!("    {excerpt}"))?;
        }
        Ok(())
    })?;
    if numbered == 0 {
        lines.line("None.")?;
    }
    Ok(summary)
}

/// Writes the NEXT CHECK part from what the passes learned.
pub(super) fn next_check_part(
    lines: &mut Lines<'_>,
    summary: &Summary,
    policy: &PolicySettings,
    failure_log: Option<&FailureLogView>,
) -> Result<(), ReportError> {
    let context = &next_provisioning_boot(policy.policy());
    lines.line("NEXT CHECK")?;
    let salvaged = match summary.salvaged_records {
        0 => String::new(),
        n => format!(", {n} salvaged"),
    };
    lines.wrapped(
        "Journal: ",
        &format!(
            "{}; {}, {}{salvaged}.",
            outcome_words(summary.outcome),
            count(summary.file_len, "byte"),
            count(summary.trusted_records, "trusted record")
        ),
    )?;
    let next = next_check(
        summary,
        context,
        failure_log.and_then(FailureLogView::bound_record),
    );
    lines.wrapped("Decision: ", &format!("{}.", next.explanation))?;
    lines.wrapped("Policy: ", &format!("{}.", policy_words(policy)))?;
    lines.wrapped("To do: ", &next.advice)?;
    Ok(())
}
