//! Golden outputs of `dump` and `dump --json`, for the golden journals and
//! for journals generated here. `UPDATE_GOLDEN=1 cargo test --test
//! dump_golden` rewrites them after an intended change.

mod common;
mod dump_common;

use dump_common::{
    RawJournal, Writer, all_stages, check_golden, config, first_check, golden_dir, hostile_journal,
    render, stamp,
};
use provision_journal::report::Outcome;
use provision_journal::{Event, PoisonReason, RebootReason, Sha256, Stage, Trigger};

fn pin(name: &str, bytes: &[u8]) -> Outcome {
    let (human, json, outcome) = render(bytes);
    in_offset_order(name, &human, &json);
    check_golden(&format!("{name}.dump.txt"), &human);
    check_golden(&format!("{name}.dump.json"), &json);
    outcome
}

/// Records, `!!` lines and anomalies come in file order.
fn in_offset_order(name: &str, human: &str, json: &str) {
    let document: serde_json::Value = serde_json::from_str(json).unwrap();
    let offsets: Vec<u64> = document["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|anomaly| anomaly["offset"].as_u64().unwrap())
        .collect();
    assert!(offsets.is_sorted(), "{name}: anomalies at {offsets:?}");
    let records = human
        .split_once("\nRECORDS\n")
        .and_then(|(_, rest)| rest.split_once("\n\nTIMELINE"))
        .map(|(records, _)| records)
        .unwrap_or_default();
    let rows: Vec<u64> = records
        .lines()
        .filter_map(|line| line.split_whitespace().next()?.parse().ok())
        .collect();
    assert!(rows.is_sorted(), "{name}: RECORDS lines at {rows:?}");
    let numbered: Vec<u64> = human
        .lines()
        .filter_map(|line| {
            let (_, rest) = line.trim_start().split_once(". [")?;
            rest.split_once(']')?.0.parse().ok()
        })
        .collect();
    assert_eq!(numbered, offsets, "{name}: ANOMALIES and JSON differ");
}

#[test]
fn every_golden_journal_has_pinned_reports() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(golden_dir()).expect("tests/golden") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "journal") {
            names.push(path);
        }
    }
    names.sort();
    assert!(!names.is_empty(), "no golden journals found");
    for path in names {
        let bytes = std::fs::read(&path).expect("read golden journal");
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        pin(&stem, &bytes);
    }
}

#[test]
fn generated_clean_run() {
    let mut writer = Writer::new();
    all_stages(first_check(&mut writer));
    assert_eq!(pin("generated-clean-run", &writer.bytes()), Outcome::Clean);
}

#[test]
fn generated_interrupted_before_red_line() {
    let mut writer = Writer::new();
    first_check(&mut writer).add(Event::StageBegan {
        stage: Stage::Kargs,
    });
    assert_eq!(
        pin("generated-interrupted-before-red-line", &writer.bytes()),
        Outcome::Clean
    );
}

#[test]
fn generated_interrupted_after_red_line() {
    let mut writer = Writer::new();
    first_check(&mut writer)
        .stage(Stage::Kargs, 80)
        .add(Event::StageBegan {
            stage: Stage::Disks,
        });
    assert_eq!(
        pin("generated-interrupted-after-red-line", &writer.bytes()),
        Outcome::Clean
    );
}

#[test]
fn generated_planned_reboot() {
    let mut writer = Writer::new();
    first_check(&mut writer)
        .stage(Stage::Kargs, 80)
        .add(Event::RebootPlanned {
            reason: RebootReason::Kargs,
        })
        .boot()
        .add(Event::Restarted {
            planned: Some(RebootReason::Kargs),
        })
        .wait(900)
        .add(Event::ConfigFetched { sha256: config() })
        .stage(Stage::Disks, 3000)
        .stage(Stage::Mount, 200)
        .stage(Stage::Files, 700)
        .stage(Stage::Umount, 100)
        .add(Event::Completed);
    assert_eq!(
        pin("generated-planned-reboot", &writer.bytes()),
        Outcome::Clean
    );
}

#[test]
fn generated_poisoned_then_reset() {
    let mut writer = Writer::new();
    first_check(&mut writer)
        .stage(Stage::Kargs, 80)
        .add(Event::StageBegan {
            stage: Stage::Disks,
        })
        .boot()
        .add(Event::Poisoned {
            reason: PoisonReason::Interrupted {
                stage: Stage::Disks,
                stage_running: true,
                boot: dump_common::boot_id(1),
                last_seq: 3,
                last_wall_ms: dump_common::START_MS + 1450,
            },
        })
        .boot()
        .add(Event::BootRefused)
        .boot()
        .add(Event::Reset {
            reason: "disks wiped by hand, ticket 4711".into(),
        })
        .boot()
        .add(Event::AttemptStarted {
            epoch: 2,
            trigger: Trigger::Firstboot,
        })
        .wait(1000)
        .add(Event::ConfigFetched { sha256: config() });
    all_stages(&mut writer);
    assert_eq!(
        pin("generated-poisoned-then-reset", &writer.bytes()),
        Outcome::Clean
    );
}

#[test]
fn generated_stopped_between_stages() {
    let mut writer = Writer::new();
    first_check(&mut writer)
        .stage(Stage::Kargs, 100)
        .stage(Stage::Disks, 4200)
        .boot()
        .add(Event::Poisoned {
            reason: PoisonReason::Interrupted {
                stage: Stage::Disks,
                stage_running: false,
                boot: dump_common::boot_id(1),
                last_seq: 5,
                last_wall_ms: dump_common::START_MS + 5500,
            },
        })
        .boot()
        .add(Event::Reset {
            reason: "disks wiped".into(),
        })
        .boot()
        .add(Event::AttemptStarted {
            epoch: 2,
            trigger: Trigger::Firstboot,
        })
        .add(Event::ConfigFetched { sha256: config() })
        .stage(Stage::Kargs, 100)
        .stage(Stage::Disks, 3000)
        .stage(Stage::Mount, 200)
        .stage(Stage::Files, 600);
    let bytes = writer.bytes();
    assert_eq!(
        pin("generated-stopped-between-stages", &bytes),
        Outcome::Clean
    );
    // Both boots that stop after a stage past the red line are named: the
    // first was interrupted (a later boot came), the last may still run.
    let (human, json, _) = render(&bytes);
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let stopped: Vec<_> = document["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|anomaly| anomaly["kind"] == "stopped_after_stage")
        .map(|anomaly| (anomaly["stage"].clone(), anomaly["at_end"].clone()))
        .collect();
    assert_eq!(
        stopped,
        [
            (serde_json::json!("disks"), serde_json::json!(false)),
            (serde_json::json!("files"), serde_json::json!(true)),
        ]
    );
    assert_eq!(document["boots"][0]["stopped_after_stage"], "disks");
    assert!(
        human.contains("Either that boot is still running, or it was interrupted"),
        "{human}"
    );
    assert!(human.contains("STOPPED BETWEEN STAGES"), "{human}");
    assert!(!human.contains("ANOMALIES\nNone."), "{human}");
}

#[test]
fn generated_config_changed() {
    let (second, third) = (Sha256([0x4c; 32]), Sha256([0x5d; 32]));
    let mut writer = Writer::new();
    first_check(&mut writer)
        .boot()
        .add(Event::Restarted { planned: None })
        .wait(300)
        .add(Event::ConfigFetched { sha256: second })
        .stage(Stage::Kargs, 100)
        .add(Event::RebootPlanned {
            reason: RebootReason::Kargs,
        })
        .boot()
        .add(Event::Restarted {
            planned: Some(RebootReason::Kargs),
        })
        .wait(300)
        .add(Event::ConfigFetched { sha256: third })
        .boot()
        .add(Event::BootRefused);
    let bytes = writer.bytes();
    assert_eq!(pin("generated-config-changed", &bytes), Outcome::Clean);
    let (human, json, _) = render(&bytes);
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let changes: Vec<_> = document["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|anomaly| anomaly["kind"] == "config_changed")
        .collect();
    assert_eq!(changes.len(), 2, "{json}");
    assert_eq!(changes[0]["old_sha256"], config().to_hex());
    assert_eq!(changes[0]["new_sha256"], second.to_hex());
    assert_eq!(changes[0]["poisoned"], false);
    assert_eq!(changes[1]["old_sha256"], second.to_hex());
    assert_eq!(changes[1]["new_sha256"], third.to_hex());
    assert_eq!(changes[1]["poisoned"], true);
    assert_eq!(changes[1]["after_stage"], "kargs");
    assert!(
        human.contains("fetched 4c4c4c4c4c4c: CONFIG CHANGED from 3b3b3b3b3b3b"),
        "{human}"
    );
    let poisoned_by = document["state"]["poisoned_by"]["description"]
        .as_str()
        .unwrap();
    assert!(
        poisoned_by.contains("after stage kargs had changed the machine under config 4c4c4c4c4c4c"),
        "{poisoned_by}"
    );
}

#[test]
fn generated_tail_repaired() {
    let mut writer = Writer::new();
    first_check(&mut writer).add(Event::StageBegan {
        stage: Stage::Kargs,
    });
    let mut torn = writer.bytes();
    torn.extend_from_slice(&[0x5a; 23]);
    let mut journal =
        provision_journal::Journal::open(provision_journal::MemStorage::with_bytes(&torn))
            .expect("a torn tail opens");
    let stamp = provision_journal::Stamp {
        boot_id: dump_common::boot_id(1),
        wall_ms: dump_common::START_MS + 5_000,
        mono_ns: 6_000_000_000,
    };
    journal
        .append(
            Event::StageEnded {
                stage: Stage::Kargs,
            },
            stamp,
        )
        .expect("the append repairs the tail");
    let bytes = journal.into_storage().contents().expect("written");
    assert_eq!(pin("generated-tail-repaired", &bytes), Outcome::Clean);
}

#[test]
fn hostile_strings_in_every_field() {
    assert_eq!(pin("hostile-escapes", &hostile_journal()), Outcome::Clean);
}

#[test]
fn salvage_damage_in_the_middle() {
    let mut writer = Writer::new();
    all_stages(first_check(&mut writer));
    let mut bytes = writer.bytes();
    // Overwrite the middle of the disks stage's `end` record and a little
    // of the next one.
    for byte in &mut bytes[420..470] {
        *byte = 0xee;
    }
    assert_eq!(
        pin("salvage-damage-in-the-middle", &bytes),
        Outcome::Corrupt
    );
}

#[test]
fn salvage_unknown_record_kind() {
    let mut raw = RawJournal::new();
    raw.record(
        stamp(1, 1000),
        &Event::AttemptStarted {
            epoch: 1,
            trigger: Trigger::Firstboot,
        },
    );
    raw.record(stamp(1, 1250), &Event::ConfigFetched { sha256: config() });
    let mut payload =
        provision_journal::testing::encode_payload(&stamp(1, 1500), &Event::Completed).unwrap();
    payload[32] = 42;
    payload.extend_from_slice(b"future fields");
    raw.frame(&payload);
    raw.record(
        stamp(1, 1750),
        &Event::StageBegan {
            stage: Stage::Kargs,
        },
    );
    assert_eq!(pin("salvage-unknown-kind", &raw.bytes), Outcome::Corrupt);
}

#[test]
fn readme_example_is_the_real_output() {
    let journal = golden_dir().join("interrupted-after-red-line.journal");
    let (human, _, _) = render(&std::fs::read(journal).expect("golden journal"));
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    // Everything but the first line, which names the file.
    let body = human.split_once('\n').expect("a heading").1;
    assert!(
        readme.contains(body),
        "README's \"Reading a journal\" example is out of date; paste:\n{body}"
    );
}

#[test]
fn every_unplanned_restart_is_an_anomaly_wherever_the_boot_stopped() {
    let mut machine = common::Machine::new();
    machine.boot().check();
    for _ in 0..5 {
        machine.fetched();
        machine.boot().check();
    }
    machine
        .fetched()
        .begin(Stage::Kargs)
        .hook(Event::StageEnded {
            stage: Stage::Kargs,
        });
    machine.boot().check();
    let (human, json, _) = render(&machine.bytes());
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let restarts: Vec<&serde_json::Value> = document["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|anomaly| anomaly["kind"] == "unplanned_restart")
        .collect();
    assert_eq!(restarts.len(), 6, "{json}");
    assert!(
        restarts[..5]
            .iter()
            .all(|anomaly| anomaly["after"] == "fetched")
    );
    assert_eq!(restarts[5]["after"], "end kargs");
    assert_eq!(
        document["next_check"]["verdict"], "poisoned",
        "the sixth restart spent the budget"
    );
    assert!(!human.contains("ANOMALIES\nNone"), "{human}");
    assert_eq!(
        human.matches("unplanned restart (power cut").count(),
        6,
        "{human}"
    );
}

#[test]
fn a_stage_whose_end_record_is_lost_still_appears_in_the_timeline() {
    let mut writer = Writer::new();
    first_check(&mut writer).stage(Stage::Kargs, 300);
    writer.add(Event::StageBegan {
        stage: Stage::Disks,
    });
    let end_disks_at = writer.bytes().len();
    writer.wait(4000).add(Event::StageEnded {
        stage: Stage::Disks,
    });
    let end_disks_len = writer.bytes().len() - end_disks_at;
    writer.stage(Stage::Mount, 200).stage(Stage::Files, 500);
    let mut bytes = writer.bytes();
    for byte in &mut bytes[end_disks_at + 8..end_disks_at + end_disks_len] {
        *byte = 0xee;
    }
    let (human, json, outcome) = render(&bytes);
    assert_eq!(outcome, Outcome::Corrupt);
    let timeline = human
        .split_once("TIMELINE")
        .and_then(|(_, rest)| rest.split_once("ANOMALIES"))
        .map(|(timeline, _)| timeline)
        .expect("a timeline");
    let order: Vec<&str> = ["kargs:", "disks:", "mount:", "files:"]
        .into_iter()
        .filter(|stage| timeline.contains(stage))
        .collect();
    assert_eq!(
        order,
        ["kargs:", "disks:", "mount:", "files:"],
        "{timeline}"
    );
    let disks = timeline
        .lines()
        .find(|line| line.contains("disks:"))
        .unwrap();
    assert!(
        disks.contains("began") && disks.contains("not among the records read"),
        "{disks}"
    );
    assert!(
        timeline.find("disks:").unwrap() < timeline.find("mount:").unwrap(),
        "{timeline}"
    );
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let stages = &document["boots"][0]["stages"];
    assert_eq!(stages[1]["stage"], "disks", "{json}");
    assert_eq!(stages[1]["result"], "running", "{json}");
}

/// The kept copy of the config: kept on the first boot, restored after the
/// planned kargs reboot, kept again (the same digest), removed before
/// completion. The reports show digests, sizes and causes only.
#[test]
fn generated_kept_config() {
    use provision_journal::event::RemovalCause;
    let mut writer = Writer::new();
    writer
        .boot()
        .add(Event::AttemptStarted {
            epoch: 1,
            trigger: Trigger::Firstboot,
        })
        .wait(1200)
        .add(Event::ConfigKept {
            sha256: config(),
            size: 2911,
        })
        .stage(Stage::Kargs, 80)
        .add(Event::RebootPlanned {
            reason: RebootReason::Kargs,
        })
        .boot()
        .add(Event::Restarted {
            planned: Some(RebootReason::Kargs),
        })
        .add(Event::ConfigRestored { sha256: config() })
        .wait(900)
        .add(Event::ConfigKept {
            sha256: config(),
            size: 2911,
        })
        .stage(Stage::Disks, 3000)
        .stage(Stage::Mount, 200)
        .stage(Stage::Files, 700)
        .stage(Stage::Umount, 100)
        .add(Event::KeptConfigRemoved {
            sha256: config(),
            cause: RemovalCause::Completed,
        })
        .add(Event::Completed);
    assert_eq!(
        pin("generated-kept-config", &writer.bytes()),
        Outcome::Clean
    );
}

/// Ten boots of every kind against the red line: a failed fetch, a failed
/// kargs, a planned reboot, a call that failed, a cut past the red line,
/// the poisoning and a refused boot, an operator's reset, a completed
/// attempt and a boot refused after it. The overview at the top of the
/// report gives each its line.
#[test]
fn generated_overview() {
    use provision_journal::event::CallName;
    let mut writer = Writer::new();
    writer
        .boot()
        .add(Event::AttemptStarted {
            epoch: 1,
            trigger: Trigger::Firstboot,
        })
        .wait(2000)
        .add(Event::StageFailed {
            stage: Stage::FetchOffline,
            reason: "exit status 1".into(),
        });
    writer
        .boot()
        .add(Event::Restarted { planned: None })
        .wait(900)
        .add(Event::ConfigFetched { sha256: config() })
        .add(Event::StageBegan {
            stage: Stage::Kargs,
        })
        .wait(300)
        .add(Event::StageFailed {
            stage: Stage::Kargs,
            reason: "exit status 1".into(),
        });
    writer
        .boot()
        .add(Event::Restarted { planned: None })
        .wait(900)
        .add(Event::ConfigFetched { sha256: config() })
        .stage(Stage::Kargs, 200)
        .add(Event::RebootPlanned {
            reason: RebootReason::Kargs,
        });
    writer
        .boot()
        .add(Event::Restarted {
            planned: Some(RebootReason::Kargs),
        })
        .wait(900)
        .add(Event::ConfigFetched { sha256: config() })
        .add(Event::CallFailed {
            call: CallName::Begin(Stage::Umount),
            status: 30,
            reason: "the previous stage has not ended".into(),
        });
    writer
        .boot()
        .add(Event::Restarted { planned: None })
        .wait(900)
        .add(Event::ConfigFetched { sha256: config() })
        .stage(Stage::Kargs, 200)
        .stage(Stage::Disks, 3000)
        .add(Event::StageBegan {
            stage: Stage::Mount,
        });
    writer.boot().add(Event::Poisoned {
        reason: PoisonReason::Interrupted {
            stage: Stage::Mount,
            stage_running: true,
            boot: dump_common::boot_id(5),
            last_seq: 19,
            last_wall_ms: dump_common::START_MS + 4 * 60_000 + 4100,
        },
    });
    writer.boot().add(Event::BootRefused);
    writer.boot().add(Event::Reset {
        reason: "disks wiped by hand".into(),
    });
    writer
        .boot()
        .add(Event::AttemptStarted {
            epoch: 2,
            trigger: Trigger::Firstboot,
        })
        .wait(1000)
        .add(Event::ConfigFetched { sha256: config() });
    all_stages(&mut writer);
    writer.boot().add(Event::BootRefused);
    let bytes = writer.bytes();
    assert_eq!(pin("generated-overview", &bytes), Outcome::Clean);
}

/// The columns of an overview line, by the header's names: each boot's
/// cell under each name (the last, `end`, to the end of the line).
fn overview_cells<'a>(header: &str, line: &'a str) -> Vec<(String, &'a str)> {
    let names: Vec<&str> = header
        .split_whitespace()
        .filter(|name| *name != "|")
        .collect();
    let starts: Vec<usize> = names
        .iter()
        .map(|name| {
            header
                .find(&format!("{name} "))
                .unwrap_or_else(|| header.len() - name.len())
        })
        .collect();
    names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let start = starts[index].min(line.len());
            let end = starts
                .get(index + 1)
                .map_or(line.len(), |&end| end.min(line.len()));
            (
                (*name).to_owned(),
                line[start..end].trim_matches(|c| c == ' ' || c == '|'),
            )
        })
        .collect()
}

/// Every mark the overview of a pinned report prints in a fetch or stage
/// column (`ok`, `FAIL`, `>>`, `NEW`), and `cut` in its end column, is
/// explained by the legend above it.
#[test]
fn the_overview_legend_explains_every_mark_it_prints() {
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".dump.txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let overview = text
            .split_once("\nOVERVIEW")
            .and_then(|(_, rest)| rest.split_once("\n\n"))
            .map(|(overview, _)| overview)
            .unwrap_or_else(|| panic!("{}: no OVERVIEW", path.display()));
        let (legend, rest) = overview
            .split_once("\nboot ")
            .unwrap_or_else(|| panic!("{}: no overview header", path.display()));
        let (header, boots) = rest.split_once('\n').unwrap_or((rest, ""));
        let header = format!("boot {header}");
        let legend = format!(
            " {} ",
            legend.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        for line in boots.lines().filter(|line| line.starts_with('#')) {
            for (column, cell) in overview_cells(&header, line) {
                let mark = match column.as_str() {
                    "boot" | "time" => continue,
                    "end" if cell != "cut" => continue,
                    _ if cell.is_empty() => continue,
                    _ => cell,
                };
                seen.insert(mark.to_owned());
                assert!(
                    legend.contains(&format!(" {mark} ")),
                    "{}: the legend does not explain `{mark}` (column {column}) in {line:?}:\n{legend}",
                    path.display()
                );
            }
        }
    }
    for mark in ["ok", "FAIL", ">>", "NEW", "cut"] {
        assert!(
            seen.contains(mark),
            "no pinned overview prints `{mark}`: {seen:?}"
        );
    }
}
