//! The configuration: files in order, precedence of kernel arguments and
//! flags, every kind of bad input named by file, line and key, and the
//! first-boot and live signals of a Flatcar-style profile.

mod cli_common;

use std::path::{Path, PathBuf};

use camino::{Utf8Path, Utf8PathBuf};
use cli_common::{Boot, Run, Scratch};
use provision_journal::boot_context::BootInputs;
use provision_journal::config::{Config, ConfigError, KernelArgument, PolicySettings, Source};
use provision_journal::{BootId, Policy};

fn profile(name: &str) -> Utf8PathBuf {
    Utf8PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/dist/profiles"))
        .join(format!("{name}.conf"))
}

fn write(dir: &Path, name: &str, text: &str) -> Utf8PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    Utf8PathBuf::from_path_buf(path).unwrap()
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    config.apply_text(Utf8Path::new("test.conf"), text)?;
    Ok(config)
}

#[test]
fn the_fcos_profile_is_the_built_in_defaults_plus_the_device() {
    let config = Config::from_files(&[profile("fcos")], false).unwrap();
    let defaults = Config::default();
    assert_eq!(
        config.device.value.as_deref(),
        Some(Utf8Path::new("/dev/disk/by-label/boot"))
    );
    assert_eq!(
        config.signals.firstboot_arguments.value,
        defaults.signals.firstboot_arguments.value
    );
    assert_eq!(
        config.signals.firstboot_stamp.value,
        defaults.signals.firstboot_stamp.value
    );
    assert_eq!(
        config.signals.live_arguments.value,
        defaults.signals.live_arguments.value
    );
    assert_eq!(config.policy.policy(), Policy::default());
    assert_eq!(config.device_timeout_sec.value, 30);
}

#[test]
fn a_flatcar_style_profile_recognises_flatcar_first_boots_only() {
    let config = Config::from_files(&[profile("flatcar")], false).unwrap();
    assert_eq!(
        config.device.value.as_deref(),
        Some(Utf8Path::new("/dev/disk/by-label/EFI-SYSTEM"))
    );
    let signals = &config.signals;
    let inputs = BootInputs {
        boot_id: BootId([9; 16]),
        cmdline: "quiet".into(),
        firstboot_stamp: false,
        live_override: None,
        signals: signals.clone(),
        policy: config.policy.policy(),
    };
    // What the kernel command line alone says (no stamp, no override).
    let booted = |cmdline: &str| BootInputs {
        cmdline: cmdline.into(),
        ..inputs.clone()
    };
    assert!(
        booted("root=LABEL=ROOT flatcar.first_boot=detected")
            .context()
            .firstboot
    );
    assert!(booted("flatcar.first_boot").context().firstboot);
    assert!(!booted("ignition.firstboot").context().firstboot);
    assert!(!booted("flatcar.first_bootx=1").context().firstboot);
    assert!(!booted("coreos.liveiso=x flatcar.first_boot").is_live());
    assert!(!inputs.context().firstboot);
    let stamped = BootInputs {
        firstboot_stamp: true,
        ..inputs
    };
    assert!(stamped.context().firstboot);
    assert!(signals.describe_firstboot().contains("flatcar.first_boot"));
    assert!(signals.describe_firstboot().contains("flatcar/first_boot"));
}

#[test]
fn key_value_arguments_match_exactly_and_keys_match_any_value() {
    let key = KernelArgument::parse("flatcar.first_boot").unwrap();
    assert!(key.matches("flatcar.first_boot"));
    assert!(key.matches("flatcar.first_boot=detected"));
    assert!(!key.matches("flatcar.first_boots"));
    let exact = KernelArgument::parse("flatcar.first_boot=detected").unwrap();
    assert!(exact.matches("flatcar.first_boot=detected"));
    assert!(!exact.matches("flatcar.first_boot"));
    assert!(!exact.matches("flatcar.first_boot=1"));
    assert_eq!(KernelArgument::parse("=x"), None);
}

#[test]
fn later_files_win_key_by_key_and_every_value_knows_its_line() {
    let dir = tempdir();
    let first = write(
        &dir,
        "a.conf",
        "[Policy]\nMaxRetries=3\nMaxPlannedReboots=2\n",
    );
    let second = write(
        &dir,
        "b.conf",
        "# site\n[Policy]\n\nMaxRetries = 7   # inline comment\n",
    );
    let config = Config::from_files(&[first.clone(), second.clone()], false).unwrap();
    assert_eq!(config.policy.max_retries.value, 7);
    assert_eq!(
        config.policy.max_retries.source,
        Source::File {
            path: second,
            line: 4
        }
    );
    assert_eq!(config.policy.max_planned_reboots.value, 2);
    assert_eq!(
        config.policy.max_planned_reboots.source,
        Source::File {
            path: first.clone(),
            line: 3
        }
    );
    assert_eq!(config.device.source, Source::Default);
    assert_eq!(config.files.len(), 2);

    let missing = dir.join("missing.conf");
    let missing = Utf8PathBuf::from_path_buf(missing).unwrap();
    assert_eq!(
        Config::from_files(&[first.clone(), missing.clone()], true)
            .unwrap()
            .files,
        vec![first]
    );
    let error = Config::from_files(std::slice::from_ref(&missing), false).unwrap_err();
    assert!(
        matches!(error, ConfigError::Read { ref path, .. } if *path == missing),
        "{error}"
    );
}

#[test]
fn kernel_arguments_override_files_and_the_last_one_wins() {
    let mut policy = PolicySettings::default();
    policy.max_retries.set(
        3,
        Source::File {
            path: "x.conf".into(),
            line: 2,
        },
    );
    policy
        .apply_cmdline("quiet provision_journal.max_retries=9 provision_journal.max_retries=1 provision_journal.max_planned_reboots=0")
        .unwrap();
    assert_eq!(
        policy.policy(),
        Policy {
            max_retries: 1,
            max_planned_reboots: 0
        }
    );
    assert_eq!(
        policy.max_retries.source,
        Source::KernelArgument("provision_journal.max_retries=1".into())
    );
    for bad in ["-1", "abc", "51", "", "4294967296"] {
        let mut policy = PolicySettings::default();
        let error = policy
            .apply_cmdline(&format!("provision_journal.max_planned_reboots={bad}"))
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("provision_journal.max_planned_reboots"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn every_kind_of_bad_line_names_the_file_the_line_and_the_key() {
    let cases: [(&str, usize, Option<&str>, &str); 14] = [
        (
            "[Boot]\nDevise=/dev/sda1\n",
            2,
            Some("Boot.Devise"),
            "unknown key",
        ),
        (
            "[Policy]\nMaxRetrys=3\n",
            2,
            Some("Policy.MaxRetrys"),
            "unknown key",
        ),
        ("[Network]\n", 1, None, "unknown section"),
        ("[Boot\n", 1, None, "malformed section"),
        ("[Policy]\nMaxRetries\n", 2, None, "malformed line"),
        (
            "MaxRetries=3\n",
            1,
            Some("MaxRetries"),
            "before any section",
        ),
        (
            "[Policy]\nMaxRetries=three\n",
            2,
            Some("Policy.MaxRetries"),
            "whole number",
        ),
        (
            "[Policy]\nMaxRetries=-1\n",
            2,
            Some("Policy.MaxRetries"),
            "whole number",
        ),
        (
            "[Policy]\n\nMaxPlannedReboots=1000\n",
            3,
            Some("Policy.MaxPlannedReboots"),
            "0 to 50",
        ),
        (
            "[Policy]\nMaxRetries=\n",
            2,
            Some("Policy.MaxRetries"),
            "whole number",
        ),
        (
            "[Boot]\nDeviceTimeoutSec=1e3\n",
            2,
            Some("Boot.DeviceTimeoutSec"),
            "seconds",
        ),
        (
            "[Boot]\nDevice=sda1\n",
            2,
            Some("Boot.Device"),
            "absolute path",
        ),
        (
            "[Boot]\nFirstbootStamp=../escape\n",
            2,
            Some("Boot.FirstbootStamp"),
            "relative",
        ),
        (
            "[Boot]\nFirstbootStamp=/boot/x\n",
            2,
            Some("Boot.FirstbootStamp"),
            "relative",
        ),
    ];
    for (text, line, key, words) in cases {
        let error = parse(text).expect_err(text);
        match &error {
            ConfigError::Line {
                path,
                line: found,
                key: found_key,
                problem,
            } => {
                assert_eq!(path, "test.conf", "{text}");
                assert_eq!(*found, line, "{text}: {error}");
                assert_eq!(found_key.as_deref(), key, "{text}: {error}");
                assert!(problem.contains(words), "{text}: {error}");
            }
            other => panic!("{text}: {other}"),
        }
        let shown = error.to_string();
        assert!(
            shown.contains("test.conf") && shown.contains(&format!("line {line}")),
            "{shown}"
        );
    }
}

#[test]
fn no_first_boot_signal_at_all_is_refused() {
    let dir = tempdir();
    let path = write(
        &dir,
        "none.conf",
        "[Boot]\nFirstbootArguments=\nFirstbootStamp=\n",
    );
    let error = Config::from_files(&[path], false).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no boot would ever be a provisioning boot"),
        "{error}"
    );
}

#[test]
fn empty_values_mean_none_where_none_makes_sense() {
    let config = parse("[Boot]\nDevice=\nLiveArguments=\nFirstbootStamp=\n").unwrap();
    assert_eq!(config.device.value, None);
    assert!(config.signals.live_arguments.value.is_empty());
    assert_eq!(config.signals.firstboot_stamp.value, None);
}

// -- through the binary: exit statuses, precedence of flags, nothing written --

fn run(boot: &Boot, journal: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = boot.command(journal, args);
    for (name, value) in env {
        command.env(name, value);
    }
    Run::from(cli_common::json_samples::output(&mut command))
}

#[test]
fn a_bad_file_is_a_usage_error_and_writes_nothing() {
    let scratch = Scratch::new("config-bad");
    let journal = scratch.path.join("provision-journal");
    let conf = write(&scratch.path, "bad.conf", "[Policy]\nMaxRetrys=3\n");
    let boot = Boot::first(1);
    for args in [
        &["check"][..],
        &["begin", "kargs"],
        &["status"],
        &["reset", "--reason", "x"],
        &["dump"],
    ] {
        let output = run(
            &boot,
            &journal,
            args,
            &[("PROVISION_JOURNAL_CONF", conf.as_str())],
        );
        assert_eq!(output.code, 2, "{args:?}: {output:#?}");
        assert!(
            output.stderr.contains("bad.conf")
                && output.stderr.contains("line 2")
                && output.stderr.contains("MaxRetrys"),
            "{}",
            output.stderr
        );
        assert!(!journal.exists(), "{args:?} wrote a journal");
    }
    let missing = scratch.path.join("missing.conf");
    let output = run(
        &boot,
        &journal,
        &["check"],
        &[("PROVISION_JOURNAL_CONF", missing.to_str().unwrap())],
    );
    assert_eq!(output.code, 2, "{output:#?}");
    assert!(output.stderr.contains("missing.conf"), "{}", output.stderr);
    assert!(!journal.exists());
    let output = run(
        &boot,
        &journal,
        &["check"],
        &[(
            "PROVISION_JOURNAL_CMDLINE",
            "ignition.firstboot provision_journal.max_retries=many",
        )],
    );
    assert_eq!(output.code, 50, "{output:#?}");
    assert!(
        output.stderr.contains("provision_journal.max_retries=many"),
        "{}",
        output.stderr
    );
    assert!(!journal.exists());
}

#[test]
fn flags_beat_kernel_arguments_beat_files_beat_defaults() {
    let scratch = Scratch::new("config-precedence");
    let journal = scratch.path.join("provision-journal");
    let conf = write(
        &scratch.path,
        "p.conf",
        "[Policy]\nMaxRetries=3\nMaxPlannedReboots=3\n",
    );
    let env = [
        ("PROVISION_JOURNAL_CONF", conf.as_str()),
        (
            "PROVISION_JOURNAL_CMDLINE",
            "provision_journal.max_retries=2 provision_journal.max_planned_reboots=1",
        ),
    ];
    let boot = Boot::first(1);
    let get = |args: &[&str]| {
        run(&boot, &journal, args, &env)
            .expect(0)
            .stdout
            .trim()
            .to_owned()
    };
    assert_eq!(get(&["config", "--get", "Policy.MaxRetries"]), "2");
    assert_eq!(
        get(&["--max-retries", "8", "config", "--get", "Policy.MaxRetries"]),
        "8"
    );
    assert_eq!(get(&["config", "--get", "Policy.MaxPlannedReboots"]), "1");
    assert_eq!(get(&["config", "--get", "Boot.DeviceTimeoutSec"]), "30");
    // --journal was typed: no device is mounted, whatever the file says.
    assert_eq!(get(&["config", "--get", "Boot.Device"]), "");

    let output = run(&boot, &journal, &["status", "--json"], &env).expect(0);
    let status: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(status["policy"]["max_retries"]["value"], 2);
    assert_eq!(
        status["policy"]["max_retries"]["source"],
        "kernel argument provision_journal.max_retries=2"
    );
    let output = run(
        &boot,
        &journal,
        &["--max-planned-reboots", "0", "status"],
        &env,
    )
    .expect(0);
    assert!(
        output
            .stdout
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("0 planned reboots (flag --max-planned-reboots 0)"),
        "{}",
        output.stdout
    );
    let shown = run(&boot, &journal, &["config"], &env).expect(0).stdout;
    assert!(
        shown.contains("MaxRetries=2  # kernel argument provision_journal.max_retries=2"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("Read, in order: {conf}")),
        "{shown}"
    );
    run(&boot, &journal, &["--max-retries", "51", "status"], &env).expect(2);
}

#[test]
fn config_json_names_its_schema_and_every_setting_with_its_source() {
    let scratch = Scratch::new("config-json");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    let fcos = profile("fcos");
    let flatcar = profile("flatcar");
    let runs = [
        (vec![("PROVISION_JOURNAL_CONF", "/dev/null")], vec![]),
        (vec![("PROVISION_JOURNAL_CONF", fcos.as_str())], vec![]),
        (
            vec![
                ("PROVISION_JOURNAL_CONF", flatcar.as_str()),
                (
                    "PROVISION_JOURNAL_CMDLINE",
                    "provision_journal.max_retries=2",
                ),
            ],
            vec!["--max-planned-reboots", "0", "--lock-timeout", "9"],
        ),
    ];
    for (env, flags) in runs {
        let mut args = flags.clone();
        args.extend(["config", "--json"]);
        let output = run(&boot, &journal, &args, &env).expect(0);
        let config: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
        assert_eq!(config["schema"], "provision-journal/config/1", "{config}");
        for key in ["max_retries", "max_planned_reboots"] {
            let source = config["policy"][key]["source"].as_str().unwrap();
            assert!(!source.is_empty(), "{config}");
        }
        if !flags.is_empty() {
            assert_eq!(
                config["policy"]["max_planned_reboots"]["source"],
                "flag --max-planned-reboots 0"
            );
            assert_eq!(config["lock_timeout_sec"]["value"], 9);
        }
    }
}

#[test]
fn the_budget_from_the_configuration_is_the_one_check_enforces() {
    let scratch = Scratch::new("config-budget");
    let journal = scratch.path.join("provision-journal");
    let conf = write(&scratch.path, "p.conf", "[Policy]\nMaxRetries=0\n");
    let env = [("PROVISION_JOURNAL_CONF", conf.as_str())];
    run(&Boot::first(1), &journal, &["check"], &env).expect(0);
    // A new boot, interrupted before the red line: the budget is spent.
    let next = run(&Boot::first(2), &journal, &["check"], &env).expect(10);
    assert!(
        next.stdout.contains("more than the 0 allowed"),
        "{}",
        next.stdout
    );
}

#[test]
fn the_configured_stamp_marks_a_provisioning_boot() {
    let scratch = Scratch::new("config-stamp");
    let journal = scratch.path.join("provision-journal");
    let conf = profile("flatcar");
    let env = [("PROVISION_JOURNAL_CONF", conf.as_str())];
    let plain = Boot::with_cmdline(1, "quiet");
    let output = run(&plain, &journal, &["check"], &env).expect(0);
    assert!(
        output.stdout.contains("not a provisioning boot"),
        "{}",
        output.stdout
    );
    assert!(!journal.exists());
    std::fs::create_dir(scratch.path.join("flatcar")).unwrap();
    std::fs::write(scratch.path.join("flatcar/first_boot"), b"").unwrap();
    let output = run(&plain, &journal, &["check"], &env).expect(0);
    assert!(output.stdout.contains("first run"), "{}", output.stdout);
    let status = run(&plain, &journal, &["status"], &env).expect(0);
    assert!(
        status.stdout.contains("flatcar.first_boot"),
        "{}",
        status.stdout
    );
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "provision-journal-config-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// -- the list of keys: `config`, `config --get`, completion and the manual --

/// `value` without the `source` of each setting and the files read.
fn values_only(mut value: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("source");
        map.remove("files");
        for field in map.values_mut() {
            *field = values_only(field.take());
        }
    }
    value
}

#[test]
fn every_listed_key_is_one_the_files_take_and_its_default_is_built_in() {
    use provision_journal::config::KEYS;
    let defaults = values_only(serde_json::to_value(Config::default()).unwrap());
    for key in KEYS {
        let text = format!("[{}]\n{}={}\n", key.section(), key.key(), key.default);
        let config = parse(&text).unwrap_or_else(|error| panic!("{}: {error}", key.name));
        assert_eq!(
            values_only(serde_json::to_value(&config).unwrap()),
            defaults,
            "{} = {:?} is not the built-in default",
            key.name,
            key.default
        );
    }
    let mut names: Vec<&str> = KEYS.iter().map(|key| key.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), KEYS.len(), "a key is listed twice");
}

#[test]
fn config_prints_every_key_and_gets_each_one() {
    use provision_journal::config::KEYS;
    let scratch = Scratch::new("config-keys");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    let env = [("PROVISION_JOURNAL_CONF", "/dev/null")];
    let shown = run(&boot, &journal, &["config"], &env).expect(0).stdout;
    let mut section = "";
    let mut printed = Vec::new();
    for line in shown.lines() {
        if let Some(name) = line.strip_prefix('[') {
            section = name.trim_end_matches(']');
        } else if let Some((key, rest)) = line.split_once('=') {
            let value = rest.split("  # ").next().unwrap();
            printed.push((format!("{section}.{key}"), value.to_owned()));
        }
    }
    let listed: Vec<(String, String)> = KEYS
        .iter()
        .map(|key| (key.name.to_owned(), key.default.to_owned()))
        .collect();
    assert_eq!(
        printed, listed,
        "`config` does not print every key:\n{shown}"
    );
    for key in KEYS {
        let got = run(&boot, &journal, &["config", "--get", key.name], &env).expect(0);
        assert_eq!(got.stdout, format!("{}\n", key.default), "{}", key.name);
    }
    let got = run(
        &boot,
        &journal,
        &[
            "--lock-timeout",
            "9",
            "config",
            "--get",
            "boot.locktimeoutsec",
        ],
        &env,
    )
    .expect(0);
    assert_eq!(got.stdout, "9\n");
    let unknown = run(&boot, &journal, &["config", "--get", "Boot.Lock"], &env).expect(2);
    assert!(
        unknown.stderr.contains("Boot.LockTimeoutSec"),
        "{}",
        unknown.stderr
    );
}
