"""What the hooks cost inside a real boot, read off its console.

Every line the guest prints through the kernel log carries the guest's
monotonic time (`[   17.314995]`). A hook's cost is the time from the line
that starts it to the line it prints once its record is durable:

- `check`: systemd's `Starting provision-journal-check.service` to its
  verdict line (this includes any wait for the boot device);
- `fetched`: `Starting provision-journal-fetched.service` to `recorded`;
- `begin S`: `Starting ignition-S.service` to `recorded \\`begin S\\``
  (the `ExecStartPre=` runs first); for `begin disks`, from `Starting
  provision-journal-disks.service`;
- `end S`: Ignition's `Ignition finished successfully` for the stage to
  `recorded \\`end S\\`` (the `ExecStartPost=` runs next);
- `begin umount`, `end umount`, `complete`: from the previous line of the
  bracket (systemd's `Stopping` of the bracket unit, Ignition's last umount
  line) to `recorded`.

Provisioning time is `check`'s start to `recorded \\`complete\\``.

Usage: python3 figures.py CONSOLE_LOG...
"""

import re
import sys

STAMP = re.compile(r"\[\s*(\d+\.\d+)\]")


HOST_PREFIX = re.compile(r"^\[\s*\d+\.\d+\] ")


def guest_time(line):
    """The guest's kernel time stamp of a console line (as the harness
    holds it, without the host time a saved log puts first)."""
    m = STAMP.search(line)
    return float(m.group(1)) if m else None


def hook_costs(lines):
    """[(hook, seconds)] in boot order, and the provisioning span."""
    timed = [(guest_time(line), line) for line in lines]
    timed = [(t, line) for t, line in timed if t is not None]
    costs = []
    last_start = {}
    last_ignition_end = None
    check_start = None
    complete_at = None
    previous = None
    for t, line in timed:
        m = re.search(r"systemd\[1\]: (Starting|Stopping) (\S+)\.service", line)
        if m:
            last_start[m.group(2)] = t
            if m.group(2) == "provision-journal-check" and m.group(1) == "Starting":
                check_start = t
            continue
        if "Ignition finished successfully" in line or re.search(r"ignition\[\d+\]: .*umount: umount passed", line):
            last_ignition_end = t
            continue
        if re.search(r"provision-journal\[\d+\]: (first run|safe retry|resume|forced rerun)", line):
            if check_start is not None:
                costs.append(("check", t - check_start))
            continue
        m = re.search(r"recorded `(fetched|begin|end|complete|reboot)( \S+?)?`", line)
        if not m:
            continue
        what = m.group(1) + (m.group(2) or "").rstrip("`")
        if what.startswith("fetched"):
            what = "fetched"
            start = last_start.get("provision-journal-fetched")
        elif what.startswith("begin umount"):
            start = last_start.get("provision-journal-umount")
        elif what == "begin disks":
            start = last_start.get("provision-journal-disks")
        elif what.startswith("begin"):
            start = last_start.get(f"ignition-{what.split()[1]}")
        elif what.startswith("end"):
            start = last_ignition_end
        elif what == "complete":
            complete_at = t
            start = previous
        else:
            start = previous
        if start is not None:
            costs.append((what, t - start))
        previous = t
    span = complete_at - check_start if complete_at is not None and check_start is not None else None
    return costs, span


def summary(lines):
    costs, span = hook_costs(lines)
    if not costs:
        return "no hook figures"
    total = sum(c for _, c in costs)
    hooks = sum(c for name, c in costs if name != "check")
    parts = ", ".join(f"{name} {c * 1000:.0f}ms" for name, c in costs)
    share = f"; hooks {hooks:.2f}s + check {total - hooks:.2f}s of {span:.1f}s provisioning ({100 * total / span:.1f}%)" if span else ""
    return parts + share


if __name__ == "__main__":
    for path in sys.argv[1:]:
        with open(path, errors="replace") as f:
            lines = [HOST_PREFIX.sub("", line, count=1) for line in f.read().splitlines()]
        print(f"{path}: {summary(lines)}")
