"""Measure pages of running web servers over HTTP, interleaved, and compare them.

    .venv/bin/python scripts/bench_http.py CONFIG.json [--rounds 200] [--warmup 10] [--json OUT]

It knows nothing of the servers behind the URLs: CONFIG names the targets (a base URL, the
cookies and headers of a signed-in user) and the pages to compare, each page a list of requests
per target that together make what the user waits for (an HTML page, or an HTML page and the data
request its script makes), timed as one sample:

    {
      "targets": {
        "a": {"base": "http://127.0.0.1:8102", "cookies": {"sessionid": "..."},
              "headers": {"X-Forwarded-Proto": "https"}},
        "b": {"base": "http://127.0.0.1:8101", "cookies": {"sessionid": "..."}}
      },
      "pages": {
        "list": {
          "a": [{"path": "/inbox/?per_page=50", "expect": ["Inbox"]}],
          "b": [{"path": "/tickets/", "expect": ["<table"]},
                {"path": "/tickets.json?length=50", "expect_count": {"\\"id\\":": 50}}]
        }
      },
      "ratios": [{"page": "list", "target": "a", "baseline": "b", "max": 0.15}]
    }

Every round requests every page of every target once, the targets alternating (a, b, then b, a
in the next round), so whatever else loads the machine weighs on all of them alike. Each request
opens its own connection (as a sync worker closes it anyway) and reads the whole body; a sample
is void, and the run stops, unless every response is 200 and holds its expected strings. After
`--warmup` unmeasured rounds it prints, per page and target, the median, p95, minimum and maximum
in milliseconds and the response size, then each ratio of medians (and of p95) against its
maximum, and the load average before and after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Request:
    path: str
    expect: list[str] = field(default_factory=list)
    # A string that must occur at least so many times (the rows of a list page).
    expect_count: dict[str, int] = field(default_factory=dict)


@dataclass
class Target:
    name: str
    host: str
    port: int
    https: bool
    prefix: str
    headers: dict[str, str]


@dataclass
class Sample:
    ms: float
    size: int


def load_target(name: str, raw: dict[str, Any]) -> Target:
    url = urlsplit(raw["base"])
    https = url.scheme == "https"
    headers = {"User-Agent": "tsumugi-bench-http", "Accept": "text/html,application/json"}
    headers.update(raw.get("headers", {}))
    cookies = raw.get("cookies", {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return Target(
        name=name,
        host=url.hostname or "127.0.0.1",
        port=url.port or (443 if https else 80),
        https=https,
        prefix=url.path.rstrip("/"),
        headers=headers,
    )


def fetch(target: Target, request: Request) -> tuple[int, bytes]:
    conn_class = http.client.HTTPSConnection if target.https else http.client.HTTPConnection
    conn = conn_class(target.host, target.port, timeout=60)
    try:
        conn.request("GET", target.prefix + request.path, headers=target.headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def one_sample(target: Target, requests: list[Request], page: str) -> Sample:
    """Time the page's requests one after the other, as the user waits for all of them."""
    size = 0
    started = time.perf_counter()
    bodies = []
    for request in requests:
        status, body = fetch(target, request)
        bodies.append((request, status, body))
        size += len(body)
    ms = (time.perf_counter() - started) * 1000
    for request, status, body in bodies:
        text = body.decode("utf-8", "replace")
        missing = [s for s in request.expect if s not in text]
        missing += [
            f"{s} x{n} (found {text.count(s)})"
            for s, n in request.expect_count.items()
            if text.count(s) < n
        ]
        if status != 200 or missing:
            sys.exit(
                f"void: {page} on {target.name} {request.path} answered {status}"
                + (f", without {missing!r}" if missing else "")
                + f"\n{text[:500]}"
            )
    return Sample(ms, size)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the samples and figures here")
    args = parser.parse_args()

    config = json.loads(args.config.read_text())
    targets = {name: load_target(name, raw) for name, raw in config["targets"].items()}
    pages: dict[str, dict[str, list[Request]]] = {
        page: {
            name: [
                Request(r["path"], list(r.get("expect", [])), dict(r.get("expect_count", {})))
                for r in requests
            ]
            for name, requests in per_target.items()
        }
        for page, per_target in config["pages"].items()
    }
    for page, per_target in pages.items():
        unknown = set(per_target) - set(targets)
        if unknown:
            sys.exit(f"page {page}: unknown targets {sorted(unknown)}")

    samples: dict[str, dict[str, list[Sample]]] = {
        page: {name: [] for name in per_target} for page, per_target in pages.items()
    }
    load_before = os.getloadavg()
    started = time.time()
    for round_no in range(args.warmup + args.rounds):
        for page, per_target in pages.items():
            order = list(per_target)
            if round_no % 2:
                order.reverse()
            for name in order:
                sample = one_sample(targets[name], per_target[name], page)
                if round_no >= args.warmup:
                    samples[page][name].append(sample)
        if round_no + 1 == args.warmup or (round_no + 1 - args.warmup) % 50 == 0:
            print(f"[bench_http] round {round_no + 1 - args.warmup}/{args.rounds}", file=sys.stderr)
    load_after = os.getloadavg()
    elapsed = time.time() - started

    figures: dict[str, dict[str, dict[str, float]]] = {}
    print(f"rounds: {args.rounds} (after {args.warmup} warm-up rounds), {elapsed:.0f} s")
    print(
        f"{'page':<16} {'target':<12} {'median':>8} {'p95':>8} {'min':>8} {'max':>8} {'bytes':>9}"
    )
    for page, by_target in samples.items():
        figures[page] = {}
        for name, got in by_target.items():
            ms = [s.ms for s in got]
            fig = {
                "median": statistics.median(ms),
                "p95": percentile(ms, 0.95),
                "min": min(ms),
                "max": max(ms),
                "bytes": statistics.median(s.size for s in got),
            }
            figures[page][name] = fig
            print(
                f"{page:<18} {name:<12} {fig['median']:8.1f} {fig['p95']:8.1f} "
                f"{fig['min']:8.1f} {fig['max']:8.1f} {fig['bytes']:9.0f}"
            )
    ratios = []
    for ratio in config.get("ratios", []):
        a = figures[ratio["page"]][ratio["target"]]
        b = figures[ratio["page"]][ratio["baseline"]]
        median_ratio = a["median"] / b["median"]
        p95_ratio = a["p95"] / b["p95"]
        limit = ratio.get("max")
        verdict = "" if limit is None else (" met" if median_ratio <= limit else " MISSED")
        print(
            f"ratio {ratio['page']}: {ratio['target']}/{ratio['baseline']} median "
            f"{median_ratio:.3f} (p95 {p95_ratio:.3f})"
            + ("" if limit is None else f", target ≤ {limit}:{verdict}")
        )
        ratios.append({**ratio, "median_ratio": median_ratio, "p95_ratio": p95_ratio})
    print(
        "load average: before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in load_after)
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "figures": figures,
                    "ratios": ratios,
                    "load_before": load_before,
                    "load_after": load_after,
                    "samples_ms": {
                        page: {name: [s.ms for s in got] for name, got in by_target.items()}
                        for page, by_target in samples.items()
                    },
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
