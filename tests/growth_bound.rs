//! The journal's growth is bounded: a machine stuck rebooting every five
//! minutes for a year (105,120 boots) must not fill `/boot`. The bound is
//! derived in `spec/STATES.md`, "Bounded growth".

mod common;

use common::Machine;
use provision_journal::{Event, Stage, Verdict};

const BOOTS_IN_A_YEAR: u32 = 365 * 24 * 12;
/// The documented bound for one attempt under the default policy: 11
/// boots of at most 16 records of 532 bytes and one failed call's record
/// of 137 bytes, and 8 recorded refusals.
const ATTEMPT_BOUND: usize = 11 * (16 * 532 + 137) + 8 * 532;

/// Runs `boot` on a fresh machine once per boot for a year and returns the
/// journal's final size and the number of boots that appended anything.
fn year_of(mut boot: impl FnMut(&mut Machine)) -> (usize, u32) {
    let mut machine = Machine::new();
    let mut growing_boots = 0;
    let mut size = 0;
    for _ in 0..BOOTS_IN_A_YEAR {
        // Boot IDs are 8-bit in the test machine; reuse is fine as long as
        // consecutive boots differ.
        if machine.boots == 250 {
            machine.boots = 0;
        }
        machine.boot();
        boot(&mut machine);
        let now = machine.storage.contents().map_or(0, |bytes| bytes.len());
        growing_boots += u32::from(now > size);
        size = now;
        // Keep the op log from growing in memory; the disk is unchanged.
        machine.storage = machine.storage.crash();
    }
    (size, growing_boots)
}

#[test]
fn a_year_of_power_cuts_during_fetch_stops_growing() {
    let (size, growing) = year_of(|machine| {
        machine.check();
    });
    println!("interrupted in fetch every boot for a year: {size} bytes, {growing} boots wrote");
    assert!(size <= ATTEMPT_BOUND);
    assert!(growing <= 1 + 5 + 1 + 8, "{growing} boots wrote");
}

#[test]
fn a_year_of_power_cuts_during_disks_stops_growing() {
    let (size, growing) = year_of(|machine| {
        if machine.decide().verdict.may_proceed() {
            machine.fetched().stage(Stage::Kargs).begin(Stage::Disks);
        }
    });
    println!("interrupted in disks every boot for a year: {size} bytes, {growing} boots wrote");
    assert!(size <= ATTEMPT_BOUND);
    assert!(growing <= 2 + 8, "{growing} boots wrote");
}

#[test]
fn a_year_of_kargs_reboot_loops_stops_growing() {
    let (size, growing) = year_of(|machine| {
        if machine.decide().verdict.may_proceed() {
            machine.fetched().stage(Stage::Kargs).reboot_for_kargs();
        }
    });
    println!("planned kargs reboot every boot for a year: {size} bytes, {growing} boots wrote");
    assert!(size <= ATTEMPT_BOUND);
    assert!(growing <= 1 + 4 + 1 + 8, "{growing} boots wrote");
}

#[test]
fn a_year_of_failures_before_the_red_line_stops_growing() {
    let (size, _) = year_of(|machine| {
        if machine.decide().verdict.may_proceed() {
            machine
                .fetched()
                .begin(Stage::Kargs)
                .hook(Event::StageFailed {
                    stage: Stage::Kargs,
                    reason: provision_journal::testing::clip_text(&"x".repeat(500)),
                });
        }
    });
    println!("kargs failing every boot for a year: {size} bytes");
    assert!(size <= ATTEMPT_BOUND);
}

#[test]
fn a_year_with_a_completed_attempt_and_a_leftover_stamp_stops_growing() {
    let (size, growing) = year_of(|machine| {
        machine.rerun_token = Some("left-on-the-command-line".into());
        let verdict = machine.decide().verdict;
        if matches!(
            verdict,
            Verdict::FirstRun { .. } | Verdict::ForcedRerun { .. }
        ) {
            machine.provision_all();
        }
    });
    println!(
        "completed, stamp and rerun token left behind, for a year: {size} bytes, {growing} boots wrote"
    );
    assert!(size <= 2 * ATTEMPT_BOUND);
    assert!(growing <= 2 + 8 + 8, "{growing} boots wrote");
}

#[test]
fn a_year_of_a_call_failing_after_check_stops_growing() {
    let (size, growing) = year_of(|machine| {
        if machine.decide().verdict.may_proceed() {
            // `check` refuses to restore the kept config, every boot, and
            // records why before it fails.
            machine.hook(provision_journal::fuzzing::largest_call_failure().event());
        }
    });
    println!("a failing call every boot for a year: {size} bytes, {growing} boots wrote");
    assert!(size <= ATTEMPT_BOUND);
    assert!(growing <= 1 + 5 + 1 + 8, "{growing} boots wrote");
}
