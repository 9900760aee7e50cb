"""The metric list (deploy/metrics.txt) and the metric and label names a PromQL expression uses.

Names are found by a small lexer, not a full parser (promtool checks the syntax): string
literals and durations are dropped, label names are read from `{...}` matchers and from
`by`/`without`/`on`/`ignoring`/`group_left`/`group_right` lists, and every other identifier
that is not a function call, a keyword or a number is a metric name.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METRICS_FILE = ROOT / "deploy" / "metrics.txt"

# Series Prometheus makes itself, which an alert may use.
PROMETHEUS_SERIES = {"up"}
# Labels Prometheus adds to every scraped series, and the histogram bucket label.
TARGET_LABELS = {"job", "instance", "le"}

KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
    "and", "or", "unless", "atan2", "inf", "nan", "start", "end",
    # Aggregation operators, which a `by (...)` list may separate from their parenthesis.
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}
STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
RANGE = re.compile(r"\[[^\]]*\]")
MATCHERS = re.compile(r"\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
IDENT = re.compile(r"(?<![\w.$])([A-Za-z_:][A-Za-z0-9_:]*)")


def load_metrics(path=METRICS_FILE):
    """{name: (type, [labels])} from the metric list, in file order."""
    metrics = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or parts[1] not in {"counter", "gauge", "histogram"}:
            raise SystemExit(f"{path}:{number}: expected `name type label,label`: {line!r}")
        name, kind, labels = parts
        if name in metrics:
            raise SystemExit(f"{path}:{number}: {name} listed twice")
        metrics[name] = (kind, labels.split(","))
    return metrics


def series_names(metrics):
    """Every series name the list exports: a histogram's _bucket, _sum and _count."""
    names = {}
    for name, (kind, labels) in metrics.items():
        if kind == "histogram":
            names[f"{name}_bucket"] = name
            names[f"{name}_sum"] = name
            names[f"{name}_count"] = name
        else:
            names[name] = name
    return names


def names_in(expr):
    """(metric names, label names) an expression uses."""
    text = STRING.sub('""', expr)
    text = RANGE.sub(" ", text)
    labels = set()
    for body in MATCHERS.findall(text):
        labels.update(MATCHER_LABEL.findall(body))
    text = MATCHERS.sub(" ", text)
    for _, body in GROUPING.findall(text):
        labels.update(l.strip() for l in body.split(",") if l.strip())
    text = GROUPING.sub(r" \1 ", text)
    metrics = set()
    for match in IDENT.finditer(text):
        name = match.group(1)
        rest = text[match.end():].lstrip()
        if name in KEYWORDS or rest.startswith("("):
            continue
        # A number's exponent (1e3) or a hex digit run never reaches here: IDENT needs a
        # non-word character before the name.
        metrics.add(name)
    return metrics, labels


def check_expr(expr, metrics, where, allow_prometheus_series=False):
    """Problems (strings) with the names `expr` uses; and the list's metrics it uses."""
    problems = []
    series = series_names(metrics)
    known_labels = set(TARGET_LABELS)
    for _, labels in metrics.values():
        known_labels.update(labels)
    used_metrics, used_labels = names_in(expr)
    used = set()
    for name in sorted(used_metrics):
        if name in series:
            used.add(series[name])
        elif not (allow_prometheus_series and name in PROMETHEUS_SERIES):
            problems.append(f"{where}: {name} is not in deploy/metrics.txt")
    for label in sorted(used_labels - known_labels):
        problems.append(f"{where}: label {label} is on no metric of deploy/metrics.txt")
    return problems, used
