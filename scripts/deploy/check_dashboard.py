"""Checks deploy/grafana/sfgate.json: it parses, it is a Grafana dashboard of schemaVersion 39
or later with a Prometheus `datasource` variable and a `connection` variable from
label_values, its panels are well placed and use that data source, every query is valid
PromQL (promtool, with Grafana's variables filled in) and uses only the metric and label
names of deploy/metrics.txt — and together the panels show every metric of that list. Then
that known breakages are each reported (self-test).

Usage: .venv/bin/python scripts/deploy/check_dashboard.py --promtool .venv/bin/promtool
"""

import argparse
import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from promql import ROOT, check_expr, load_metrics

DASHBOARD = ROOT / "deploy" / "grafana" / "sfgate.json"
PANEL_TYPES = {"row", "timeseries", "stat", "bargauge", "state-timeline", "table", "gauge", "text"}
# Grafana's variables, filled in so promtool can parse the query.
VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
    "$job": ".*",
    "$connection": ".*",
}


def panels_of(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def filled(expr):
    for name, value in sorted(VARIABLES.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace(name, value)
    return expr


def structure_problems(d):
    problems = []
    say = problems.append
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 39:
        say(f"schemaVersion {d.get('schemaVersion')!r}: expected 39 or later")
    for key in ("title", "uid"):
        if not d.get(key):
            say(f"no {key}")
    variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        say("templating: expected a `datasource` variable of type datasource, query prometheus")
    conn = variables.get("connection")
    if not conn or conn.get("type") != "query" or "label_values(" not in json.dumps(conn.get("query")):
        say("templating: expected a `connection` query variable from label_values(...)")
    for name, var in variables.items():
        if var.get("type") == "query" and var.get("datasource", {}).get("uid") != "${datasource}":
            say(f"templating: variable {name} does not query ${{datasource}}")

    ids = set()
    cells = {}
    for panel in panels_of(d):
        pid = panel.get("id")
        where = f"panel {pid} {panel.get('title')!r}"
        if not isinstance(pid, int) or pid in ids:
            say(f"{where}: ids must be unique integers")
        ids.add(pid)
        if panel.get("type") not in PANEL_TYPES:
            say(f"{where}: unknown panel type {panel.get('type')!r}")
        pos = panel.get("gridPos", {})
        if not all(isinstance(pos.get(k), int) for k in "xywh") or pos["x"] + pos["w"] > 24 or pos["w"] < 1 or pos["h"] < 1:
            say(f"{where}: gridPos {pos}: x, y, w, h integers within 24 columns")
            continue
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                if (x, y) in cells:
                    say(f"{where}: overlaps panel {cells[(x, y)]}")
                    break
                cells[(x, y)] = pid
            else:
                continue
            break
        if panel.get("type") == "row":
            continue
        if not panel.get("title") or not panel.get("description"):
            say(f"{where}: every panel has a title and a description")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            say(f"{where}: datasource must be ${{datasource}}")
        if not panel.get("targets"):
            say(f"{where}: no query")
        for target in panel.get("targets", []):
            if target.get("datasource", {}).get("uid") != "${datasource}":
                say(f"{where} query {target.get('refId')}: datasource must be ${{datasource}}")
            if not target.get("expr"):
                say(f"{where} query {target.get('refId')}: no expr")
    return problems


def queries(d):
    """(where, expr) of every panel query and query variable."""
    for panel in panels_of(d):
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield f"panel {panel.get('id')} {panel.get('title')!r} query {target.get('refId')}", target["expr"]
    for var in d.get("templating", {}).get("list", []):
        query = var.get("query")
        if var.get("type") == "query" and isinstance(query, dict):
            # label_values(SELECTOR, label): the selector is PromQL.
            text = query.get("query", "")
            if text.startswith("label_values(") and text.endswith(")"):
                selector = text[len("label_values("):-1].rsplit(",", 1)[0]
                yield f"variable {var.get('name')}", selector


def name_problems(d, metrics):
    problems, used = [], set()
    for where, expr in queries(d):
        found, names = check_expr(expr, metrics, where)
        problems += found
        if where.startswith("panel "):
            used |= names
    for name in metrics:
        if name not in used:
            problems.append(f"no panel shows {name} (every metric of deploy/metrics.txt has one)")
    return problems


def promql_problems(d, promtool):
    rules = [
        {"record": f"dashboard:query_{i}", "expr": filled(expr)}
        for i, (_, expr) in enumerate(queries(d))
    ]
    wheres = [where for where, _ in queries(d)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dashboard-queries.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
        run = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    if run.returncode == 0:
        return []
    out = (run.stdout + run.stderr).strip()
    # promtool names the failing rule by its index ("group "dashboard", rule N").
    problems = []
    for line in out.splitlines():
        for i, where in enumerate(wheres):
            if f"rule {i + 1}," in line:
                line = f"{where}: {line.strip()}"
        problems.append(line.strip())
    return [p for p in problems if p and not p.startswith(("Checking ", "FAILED:"))] or [out]


def check(d, metrics, promtool):
    return structure_problems(d) + name_problems(d, metrics) + promql_problems(d, promtool)


def mutations():
    def first_query(d):
        return next(t for p in panels_of(d) for t in p.get("targets", []))

    def variable(d, name):
        return next(v for v in d["templating"]["list"] if v["name"] == name)

    return [
        ("a metric not in the list", lambda d: first_query(d).update({"expr": "sum(rate(grpc_server_handled{job=~\"$job\"}[$__rate_interval]))"})),
        ("a label on no metric", lambda d: first_query(d).update({"expr": "sum by (method) (rate(grpc_server_handled_total[$__rate_interval]))"})),
        ("a query that is not PromQL", lambda d: first_query(d).update({"expr": "sum(rate(grpc_server_handled_total[$__rate_interval])"})),
        ("schemaVersion 38", lambda d: d.update({"schemaVersion": 38})),
        ("no datasource variable", lambda d: d["templating"]["list"].remove(variable(d, "datasource"))),
        ("a connection variable without label_values", lambda d: variable(d, "connection").update({"query": {"query": "sfgate_connection_up"}})),
        ("a panel on a fixed data source", lambda d: next(p for p in panels_of(d) if p["type"] != "row").update({"datasource": {"type": "prometheus", "uid": "prom-1"}})),
        ("overlapping panels", lambda d: d["panels"][2].update({"gridPos": dict(d["panels"][1]["gridPos"])})),
        ("a metric no panel shows", lambda d: d.update({"panels": [p for p in d["panels"] if "sfgate_build_info" not in json.dumps(p)]})),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promtool", required=True)
    args = parser.parse_args()
    metrics = load_metrics()
    try:
        dashboard = json.loads(DASHBOARD.read_text())
    except json.JSONDecodeError as e:
        print(f"dashboard: {DASHBOARD.relative_to(ROOT)} is not JSON: {e}")
        return 1
    problems = check(dashboard, metrics, args.promtool)
    for p in problems:
        print(f"  {p}")
    if problems:
        print(f"dashboard: {len(problems)} problem(s)")
        return 1
    n = sum(1 for _ in queries(dashboard))
    print(f"dashboard: schemaVersion {dashboard['schemaVersion']}, {n} queries valid PromQL, "
          f"all {len(metrics)} metrics of deploy/metrics.txt shown, no other names")
    missed = []
    for what, change in mutations():
        broken = copy.deepcopy(dashboard)
        change(broken)
        found = check(broken, metrics, args.promtool)
        if found:
            print(f"  self-test: {what}: caught ({found[0]})")
        else:
            missed.append(what)
    for what in missed:
        print(f"  self-test: NOT caught: {what}")
    if missed:
        return 1
    print(f"dashboard: self-test: all {len(mutations())} breakages caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
