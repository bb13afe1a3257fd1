"""What spec/STATES.md says the next provisioning boot's `check` decides,
worked out from the kinds and stages of the journal's records alone.

This is deliberately a second, much smaller reading of the spec than the
crate's classifier: the harness asserts that the real boot's verdict, exit
status and console agree with it. It covers the rows a real boot reaches
(4, 6, 7, 9, 12, 14 and the torn tail of row 10); budgets (rows 11, 13) are
the unit tests' job.
"""

RED_LINE_STAGES = ("disks", "mount", "files", "umount")

# verdict -> (check's exit status, may provisioning go on, words on the console)
VERDICTS = {
    "first_run": (0, True, "first run"),
    "forced_rerun": (0, True, "forced rerun"),
    "safe_retry": (0, True, "safe retry"),
    "resume_after_planned_reboot": (0, True, "resume"),
    "fatal_interruption": (10, False, "fatal"),
    "poisoned": (11, False, "poisoned"),
    "already_complete": (12, False, "already"),
}


def expected_verdict(dump, rerun_token=None):
    """The verdict for a new provisioning boot of the journal `dump`
    (the parsed `dump --json`), or None for no journal at all."""
    if dump is None:
        return "first_run"
    records = [r for r in dump["records"] if r["trusted"]]
    torn = dump["summary"].get("torn_tail") is not None
    # The records of the open attempt's last boot, after its last `check`.
    last_boot = []
    attempt_open = False
    outcome = None  # "complete", "poisoned" or None while open
    used_tokens = set()
    for r in records:
        kind = r["event"]["kind"]
        if kind == "attempt_started":
            attempt_open, outcome, last_boot = True, None, [r]
            if r["event"].get("token"):
                used_tokens.add(r["event"]["token"])
        elif kind == "restarted":
            last_boot = [r]
        elif kind == "completed":
            outcome, attempt_open = "complete", False
        elif kind == "poisoned":
            outcome, attempt_open = "poisoned", False
        elif kind == "stage_failed" and r["event"]["stage"] in RED_LINE_STAGES:
            outcome, attempt_open = "poisoned", False
        elif kind in ("config_fetched", "config_kept") and r["state_after"]["state"] == "poisoned":
            outcome, attempt_open = "poisoned", False
        elif kind == "reset":
            outcome, attempt_open, last_boot = None, False, []
        elif kind in ("boot_refused", "tail_repaired", "config_restored", "kept_config_removed",
                      "call_failed"):
            pass
        else:
            last_boot.append(r)
    if outcome == "poisoned":
        return "poisoned"
    if outcome == "complete":
        if rerun_token and rerun_token not in used_tokens:
            return "forced_rerun"
        return "already_complete"
    if not attempt_open:
        return "first_run"
    kinds = [(r["event"]["kind"], r["event"].get("stage")) for r in last_boot]
    began = [stage for kind, stage in kinds if kind == "stage_began"]
    if any(stage in RED_LINE_STAGES for stage in began):
        return "fatal_interruption"
    if torn:
        # Row 10 depends on the torn length against the shortest crossing,
        # which the crate's own tests pin; here either verdict is allowed
        # (a real cut of a QEMU guest rarely tears an append at all).
        return None
    if kinds and kinds[-1][0] == "reboot_planned":
        return "resume_after_planned_reboot"
    return "safe_retry"
