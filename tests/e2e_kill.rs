//! SIGKILL at random points of the hook sequence, many times: once
//! `begin disks` has returned, the next `check` must never call a restart
//! safe, and no kill may leave a journal that reads as corrupt.
//!
//! A SIGKILL loses no page cache, so this tests the process side only
//! (power loss is the crash-exploration tests' job). Runs in a scratch
//! directory; no root needed.

mod cli_common;

use std::process::Stdio;
use std::time::Duration;

use cli_common::{Boot, FULL_SEQUENCE, Scratch};

const ITERATIONS: u32 = 200;

/// xorshift64*: deterministic, so a failure replays with the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

#[test]
fn a_killed_hook_never_makes_a_red_line_restart_look_safe() {
    let scratch = Scratch::new("kill");
    let mut steps: Vec<&[&str]> = vec![&["check"]];
    steps.extend_from_slice(FULL_SEQUENCE);
    let begin_disks = steps
        .iter()
        .position(|step| *step == ["begin", "disks"])
        .unwrap();
    let complete = steps.len() - 1;
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut killed_mid_call = 0;
    let mut fatal = 0;
    for iteration in 0..ITERATIONS {
        let dir = scratch.path.join(format!("run-{iteration}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("ignition.firstboot"), b"").unwrap();
        let journal = dir.join("provision-journal");
        let boot = Boot::with_cmdline(1, "quiet");
        let victim = rng.below(steps.len() as u64) as usize;
        for step in &steps[..victim] {
            boot.run(&journal, step).expect(0);
        }
        let mut child = boot
            .command(&journal, steps[victim])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(4000)));
        let returned = match child.try_wait().unwrap() {
            Some(status) => {
                assert!(
                    status.success(),
                    "iteration {iteration}: {:?} failed",
                    steps[victim]
                );
                true
            }
            None => {
                child.kill().unwrap();
                let status = child.wait().unwrap();
                // The child may have exited between the check and the kill.
                let exited = status.code() == Some(0);
                killed_mid_call += u32::from(!exited);
                exited
            }
        };
        let last_returned = if returned {
            Some(victim)
        } else {
            victim.checked_sub(1)
        };
        let crossed = last_returned.is_some_and(|last| last >= begin_disks);
        let completed = last_returned == Some(complete);

        let next = Boot::with_cmdline(2, "quiet").run(&journal, &["check"]);
        let context = format!(
            "iteration {iteration}: killed {:?} (returned: {returned}): {next:#?}",
            steps[victim]
        );
        assert!(
            [0, 10, 12].contains(&next.code),
            "the next check must decide, never find the journal damaged; {context}"
        );
        // A hook killed mid-call may or may not have made its record
        // durable, so its own record can go either way; records of hooks
        // that returned cannot.
        let killed_complete = victim == complete && !returned;
        if completed {
            assert_eq!(next.code, 12, "{context}");
        } else if crossed {
            assert!(
                next.code == 10 || (killed_complete && next.code == 12),
                "`begin disks` had returned, so the restart must not be safe; {context}"
            );
            fatal += u32::from(next.code == 10);
        } else if victim < begin_disks {
            assert_eq!(
                next.code, 0,
                "nothing past the red line had begun; {context}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
    println!(
        "{ITERATIONS} runs: {killed_mid_call} hooks killed mid-call, {fatal} restarts past the red line refused"
    );
    assert!(fatal > 0, "the seed never crossed the red line");
}
