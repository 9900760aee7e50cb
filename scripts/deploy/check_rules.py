"""Checks deploy/prometheus/sfgate-rules.yaml: `promtool check rules`, its unit tests
(`promtool test rules sfgate-rules.test.yaml`), the metric and label names of deploy/metrics.txt
only (and Prometheus's own `up`), a severity and a summary and description on every alert, a
firing test for every alert, and the same groups in the Prometheus Operator's PrometheusRule
(deploy/kubernetes/prometheusrule.yaml). Then that known breakages are each reported
(self-test): among them a changed threshold, which the unit tests must catch.

Usage: .venv/bin/python scripts/deploy/check_rules.py --promtool .venv/bin/promtool
"""

import argparse
import copy
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from promql import ROOT, check_expr, load_metrics

RULES_DIR = ROOT / "deploy" / "prometheus"
RULES = "sfgate-rules.yaml"
TESTS = "sfgate-rules.test.yaml"
OPERATOR_RULE = ROOT / "deploy" / "kubernetes" / "prometheusrule.yaml"
SEVERITIES = {"warning", "critical"}


def alerts(rules):
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            yield rule


def promtool(args, promtool_path, cwd):
    run = subprocess.run([promtool_path, *args], capture_output=True, text=True, cwd=cwd)
    if run.returncode == 0:
        return []
    lines = [l.strip() for l in (run.stdout + run.stderr).splitlines() if l.strip()]
    return [f"promtool {args[0]} {args[1]}: " + " | ".join(lines[:12])]


def check(rules, tests, operator_rule, metrics, promtool_path):
    problems = []
    say = problems.append
    for rule in alerts(rules):
        name = rule.get("alert") or rule.get("record")
        found, _ = check_expr(rule.get("expr", ""), metrics, f"{RULES}: {name}", allow_prometheus_series=True)
        problems += found
        if "alert" not in rule:
            continue
        if not name.startswith("Sfgate"):
            say(f"{RULES}: {name}: alert names start with Sfgate")
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            say(f"{RULES}: {name}: labels.severity must be one of {sorted(SEVERITIES)}")
        annotations = rule.get("annotations", {})
        if not annotations.get("summary") or not annotations.get("description"):
            say(f"{RULES}: {name}: annotations summary and description are required")

    fired = {
        case.get("alertname")
        for test in tests.get("tests", [])
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    for rule in alerts(rules):
        if "alert" in rule and rule["alert"] not in fired:
            say(f"{TESTS}: no test expects {rule['alert']} to fire")
    if tests.get("rule_files") != [RULES]:
        say(f"{TESTS}: rule_files must be [{RULES}]")

    if operator_rule is not None:
        if operator_rule.get("spec", {}).get("groups") != rules.get("groups"):
            say(f"{OPERATOR_RULE.relative_to(ROOT)}: spec.groups differ from {RULES}: copy them over")

    # promtool reads files: write what is being checked (the self-test checks copies).
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / RULES).write_text(yaml.safe_dump(rules, sort_keys=False))
        (Path(tmp) / TESTS).write_text(yaml.safe_dump(tests, sort_keys=False))
        problems += promtool(["check", "rules", RULES], promtool_path, tmp)
        problems += promtool(["test", "rules", TESTS], promtool_path, tmp)
    return problems


def mutations():
    """(what, change, a text the report must contain) triples."""
    def rule(rules, name):
        return next(r for r in alerts(rules) if r.get("alert") == name)

    def on_rules(change):
        # Both copies change, so the PrometheusRule comparison does not hide the real catch.
        def apply(r, t, o):
            change(r)
            if o is not None:
                o["spec"]["groups"] = copy.deepcopy(r["groups"])
        return apply

    lag = "SfgateTriggerLagHigh"
    return [
        ("a metric not in the list", on_rules(lambda r: rule(r, "SfgateConnectionDown").update({"expr": "min by (job, connection) (sfgate_connection_healthy) == 0"})), "not in deploy/metrics.txt"),
        ("an alert without severity", on_rules(lambda r: rule(r, lag)["labels"].pop("severity")), "labels.severity"),
        ("an alert without description", on_rules(lambda r: rule(r, "SfgateTokenFailures")["annotations"].pop("description")), "annotations"),
        ("a rule that is not PromQL", on_rules(lambda r: rule(r, "SfgateTargetDown").update({"expr": "up{job=\"sfgate\"} == == 0"})), "promtool check"),
        ("a threshold the tests do not expect (lag > 3000 s)", on_rules(lambda r: rule(r, lag).update({"expr": rule(r, lag)["expr"].replace("> 300", "> 3000")})), "promtool test"),
        ("a wrong aggregation (by connection only: the job label lost)", on_rules(lambda r: rule(r, "SfgateConnectionDown").update({"expr": "min by (connection) (sfgate_connection_up) == 0"})), "promtool test"),
        ("a summary the tests do not expect", on_rules(lambda r: rule(r, "SfgateApiBudgetLow")["annotations"].update({"summary": "API budget low"})), "promtool test"),
        ("an alert no test fires", lambda r, t, o: t.update({"tests": [x for x in t["tests"] if "SfgateRetryBudgetExhausted" not in str(x)]}), "no test expects"),
        ("a PrometheusRule out of step", lambda r, t, o: o and o["spec"]["groups"][0]["rules"].pop(), "differ"),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promtool", required=True)
    args = parser.parse_args()
    metrics = load_metrics()
    rules = yaml.safe_load((RULES_DIR / RULES).read_text())
    tests = yaml.safe_load((RULES_DIR / TESTS).read_text())
    operator_rule = yaml.safe_load(OPERATOR_RULE.read_text()) if OPERATOR_RULE.exists() else None
    problems = check(rules, tests, operator_rule, metrics, args.promtool)
    for p in problems:
        print(f"  {p}")
    if problems:
        print(f"rules: {len(problems)} problem(s)")
        return 1
    n = sum(1 for r in alerts(rules) if "alert" in r)
    print(f"rules: {n} alerts pass promtool check and their unit tests, names from deploy/metrics.txt"
          + (", PrometheusRule in step" if operator_rule is not None else ""))
    missed = []
    for what, change, expected in mutations():
        r, t, o = copy.deepcopy(rules), copy.deepcopy(tests), copy.deepcopy(operator_rule)
        change(r, t, o)
        found = [p for p in check(r, t, o, metrics, args.promtool) if expected in p]
        if found:
            print(f"  self-test: {what}: caught ({found[0][:160]})")
        else:
            missed.append(what)
    for what in missed:
        print(f"  self-test: NOT caught: {what}")
    if missed:
        return 1
    print(f"rules: self-test: all {len(mutations())} breakages caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
