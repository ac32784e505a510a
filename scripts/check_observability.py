#!/usr/bin/env python3
"""After the end-to-end suite (`make test`): what an on-call engineer relies on, checked on the
real server's output.

  check_observability.py LOG_FILE[,LOG_FILE…] METRICS_URL DATABASE_URL SECRET...

1. The log (LOG_FORMAT=json): every line is JSON; one `http` line per request with method, route
   template, status, latency, request id and user id; job start/finish lines with a duration.
2. No secrets in it: none of the SECRET arguments (passwords, keys), none of the database's bank
   account numbers, API token digests or UTRs (read from DATABASE_URL with psql).
3. The metrics (METRICS_URL): every series deploy/prometheus/alerts.yml and the Grafana dashboard
   name is served.
"""
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
problems = []


def fail(msg):
    problems.append(msg)


def psql(url, sql):
    out = subprocess.run(["psql", url, "-qAt", "-c", sql], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def check_log(paths):
    lines = [line for path in paths.split(",") for line in Path(path).read_text(encoding="utf-8").splitlines()]
    records = []
    for n, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            fail(f"log line {n} is not JSON: {line[:200]}")
    requests = [r for r in records if r.get("target") == "http"]
    if len(requests) < 100:
        fail(f"only {len(requests)} request lines in the log")
    for r in requests:
        f = r.get("fields", {})
        missing = [k for k in ("method", "route", "status", "latency_ms", "request_id") if k not in f]
        if missing:
            fail(f"request line without {missing}: {r}")
            break
        if "?" in f["route"] or re.search(r"/[0-9a-f-]{36}|/\d{3,}", f["route"]):
            fail(f"a request line logs a raw path, not a template: {f['route']}")
            break
    signed_in = [r for r in requests if r["fields"].get("user_id")]
    if not signed_in:
        fail("no request line names its user")
    jobs = [r for r in records if r.get("fields", {}).get("message") in ("job started", "job finished")]
    finished = [r for r in jobs if r["fields"]["message"] == "job finished"]
    if not finished or any("duration_ms" not in r["fields"] for r in finished):
        fail(f"job finish lines missing or without a duration ({len(finished)} found)")
    return "\n".join(lines), len(requests), len(finished)


def check_secrets(text, db_url, secrets):
    for s in secrets:
        if s and s in text:
            fail(f"a secret given on the command line ({s[:3]}…) is in the log")
    # Every run of letters and digits, and each of its substrings of a secret's length, so that a
    # value inside a longer run is found too.
    runs = set(re.findall(r"[A-Za-z0-9]{6,}", text))

    def found(values):
        lengths = {len(v) for v in values}
        windows = {r[i:i + n] for r in runs for n in lengths if n <= len(r) for i in range(len(r) - n + 1)}
        return [v for v in values if v in windows]

    facts = {
        "bank account number": "SELECT DISTINCT account_number FROM merchant_bank_accounts WHERE account_number IS NOT NULL",
        "UTR": "SELECT DISTINCT utr FROM transactions WHERE utr IS NOT NULL UNION SELECT DISTINCT utr FROM bank_statement_lines WHERE utr IS NOT NULL",
        "API token digest": "SELECT token_hash FROM api_tokens",
    }
    counts = {}
    for what, sql in facts.items():
        values = [v for v in psql(db_url, sql) if len(v) >= 6]
        counts[what] = len(values)
        leaked = found(values)
        if leaked:
            fail(f"{len(leaked)} {what}(s) in the log, e.g. …{leaked[0][-4:]}")
    return counts


PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "irate", "delta", "deriv", "by", "without",
    "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless",
    "histogram_quantile", "time", "abs", "clamp_min", "clamp_max", "topk", "bottomk", "le",
}


def metric_names(expr):
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\boffset\s+\w+", "", expr)
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr)) - PROMQL_WORDS
    return {n for n in names if not re.fullmatch(r"\d+[smhdwy]?", n)}


def check_metrics(url):
    body = urllib.request.urlopen(url, timeout=10).read().decode()
    served = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line and not line.startswith("#")}
    served |= {"up"}  # Prometheus's own series of each scrape
    exprs = re.findall(r"expr:\s*\|?\s*\n?((?:.+\n?)+?)(?=\s+(?:for|labels):)", (ROOT / "deploy/prometheus/alerts.yml").read_text())
    dashboard = json.loads((ROOT / "deploy/grafana/settlepaisa-ops.json").read_text())
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    named = set().union(*(metric_names(e) for e in exprs))
    if len(exprs) < 20 or len(named) < 10:
        fail(f"read only {len(exprs)} expressions naming {sorted(named)}")
    missing = sorted(n for n in named if n not in served)
    if missing:
        fail(f"named by the alert rules or the dashboard but not served: {missing}")
    return len(exprs), len(named)


def main():
    log, metrics_url, db_url, *secrets = sys.argv[1:]
    text, n_requests, n_jobs = check_log(log)
    counts = check_secrets(text, db_url, secrets)
    n_exprs, n_named = check_metrics(metrics_url)
    if problems:
        for p in problems:
            print(f"observability: {p}", file=sys.stderr)
        sys.exit(1)
    print(
        f"observability: {n_requests} request lines and {n_jobs} finished jobs logged as JSON; no secret, "
        f"{', '.join(f'{v} {k}s' for k, v in counts.items())} checked against the log; "
        f"{n_named} series named by {n_exprs} alert and dashboard expressions all served"
    )


main()
