"""Checks docs/operations.md against what it documents: a row per metric of deploy/metrics.txt
with its type and labels (and no other metric), a row per alert of
deploy/prometheus/sfgate-rules.yaml with its PromQL and `for`, the admin listener's endpoints,
`sfgate health`'s exit codes as src/health_probe.rs defines them, and the README's link. Then
that known breakages are each reported (self-test).

Usage: .venv/bin/python scripts/deploy/check_docs.py
"""

import re
import sys

import yaml

from promql import ROOT, load_metrics

DOC = ROOT / "docs" / "operations.md"
RULES = ROOT / "deploy" / "prometheus" / "sfgate-rules.yaml"
PROBE = ROOT / "src" / "health_probe.rs"
README = ROOT / "README.md"
ENDPOINTS = ["GET /metrics", "GET /healthz", "GET /readyz", "GET /"]


def cells(line):
    """A Markdown table row's cells; `\\|` inside a cell is a literal bar."""
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [p.strip().replace("\\|", "|") for p in parts]


def code(cell):
    m = re.fullmatch(r"`([^`]*)`(.*)", cell)
    return (m.group(1), m.group(2).strip()) if m else (None, cell)


def norm(expr):
    return " ".join(expr.split())


def check(doc, readme, metrics, rules, exit_codes):
    problems = []
    say = problems.append
    rows = [cells(l) for l in doc.splitlines() if l.startswith("| `")]

    documented = {}
    for row in rows:
        name, _ = code(row[0])
        if len(row) == 4 and name and re.fullmatch(r"(grpc|sfgate)_[a-z_]+", name):
            documented[name] = row
    for name, (kind, labels) in metrics.items():
        row = documented.get(name)
        if row is None:
            say(f"docs/operations.md: no row for metric {name}")
            continue
        if row[1] != kind:
            say(f"docs/operations.md: {name}: type {row[1]!r}, deploy/metrics.txt says {kind}")
        if row[2] != ", ".join(f"`{l}`" for l in labels):
            say(f"docs/operations.md: {name}: labels {row[2]!r}, deploy/metrics.txt says {labels}")
        if not row[3]:
            say(f"docs/operations.md: {name}: no meaning given")
    for name in sorted(set(documented) - set(metrics)):
        say(f"docs/operations.md: documents {name}, which deploy/metrics.txt does not list")

    alert_rows = {code(r[0])[0]: r for r in rows if len(r) == 4 and (code(r[0])[0] or "").startswith("Sfgate")}
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            if "alert" not in rule:
                continue
            name = rule["alert"]
            row = alert_rows.get(name)
            if row is None:
                say(f"docs/operations.md: no row for alert {name}")
                continue
            expr, after = code(row[2])
            if expr is None or norm(expr) != norm(rule["expr"]):
                say(f"docs/operations.md: {name}: the PromQL differs from {RULES.name}")
            want_for = f"({rule['for']})" if "for" in rule else "(at once)"
            if after != want_for:
                say(f"docs/operations.md: {name}: {after!r}, the rule fires after {want_for}")
            if row[1] != rule.get("labels", {}).get("severity"):
                say(f"docs/operations.md: {name}: severity {row[1]!r} differs from the rule's")
    for name in sorted(set(alert_rows) - {r.get("alert") for g in rules["groups"] for r in g["rules"]}):
        say(f"docs/operations.md: documents alert {name}, which the rules do not have")

    for endpoint in ENDPOINTS:
        if f"| `{endpoint}` |" not in doc:
            say(f"docs/operations.md: no row for the admin endpoint {endpoint}")

    codes = {int(r[0]) for r in (cells(l) for l in doc.splitlines() if re.match(r"\| \d \|", l))}
    if codes != set(exit_codes):
        say(f"docs/operations.md: exit codes {sorted(codes)}, src/health_probe.rs has {sorted(exit_codes)}")

    if "(docs/operations.md)" not in readme:
        say("README.md does not link docs/operations.md")
    return problems


def mutations():
    return [
        ("a metric's row removed", lambda d, r: (re.sub(r"\| `sfgate_trigger_sources` \|[^\n]*\n", "", d), r)),
        ("a metric's type changed", lambda d, r: (d.replace("| `sfgate_connection_up` | gauge |", "| `sfgate_connection_up` | counter |"), r)),
        ("a label missing", lambda d, r: (d.replace("| `connection`, `route`, `status` |", "| `connection`, `route` |"), r)),
        ("a metric the list lacks", lambda d, r: (d.replace("| `sfgate_build_info` |", "| `sfgate_build_version` | gauge | `version` | x |\n| `sfgate_build_info` |"), r)),
        ("an alert's PromQL changed", lambda d, r: (d.replace("(sfgate_trigger_lag_seconds) > 300`", "(sfgate_trigger_lag_seconds) > 600`"), r)),
        ("an alert's `for` changed", lambda d, r: (d.replace("(sfgate_connection_up) == 0` (2m)", "(sfgate_connection_up) == 0` (5m)"), r)),
        ("an endpoint missing", lambda d, r: (d.replace("| `GET /readyz` |", "| `GET /ready` |"), r)),
        ("an exit code undocumented", lambda d, r: (d.replace("| 4 | the gateway", "| 5 | the gateway"), r)),
        ("the README's link gone", lambda d, r: (d, r.replace("(docs/operations.md)", "(docs/ops.md)"))),
    ]


def main():
    metrics = load_metrics()
    rules = yaml.safe_load(RULES.read_text())
    doc = DOC.read_text()
    readme = README.read_text()
    exit_codes = [int(n) for n in re.findall(r"pub const EXIT_[A-Z_]+: u8 = (\d+);", PROBE.read_text())]
    problems = check(doc, readme, metrics, rules, exit_codes)
    for p in problems:
        print(f"  {p}")
    if problems:
        print(f"docs: {len(problems)} problem(s)")
        return 1
    print(f"docs: docs/operations.md documents all {len(metrics)} metrics, every alert with its PromQL, "
          f"the admin endpoints and the {len(exit_codes)} exit codes; the README links it")
    missed = []
    for what, change in mutations():
        d, r = change(doc, readme)
        found = check(d, r, metrics, rules, exit_codes)
        if found:
            print(f"  self-test: {what}: caught ({found[0]})")
        else:
            missed.append(what)
    for what in missed:
        print(f"  self-test: NOT caught: {what}")
    if missed:
        return 1
    print(f"docs: self-test: all {len(mutations())} breakages caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
