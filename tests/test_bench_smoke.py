"""A small benchmark run: request counts are deterministic, so they are asserted; times are not."""

from __future__ import annotations

import json
from pathlib import Path

from skyconf import bench

USERS, TENANTS, FLEET_USERS = 6, 2, 3
# Per tenant: the domain, its time frames, the users list; per user: frames, rules, contacts.
DOMAIN_READS = 3
# Import lists every kind of the domain: the domain, users, time frames, contacts, conferences, call queues,
# auto attendants, music on hold, phones, phone numbers.
IMPORT_DOMAIN_READS = 10


def test_small_benchmark_counts_requests(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    code = bench.main(
        [
            "--users",
            str(USERS),
            "--tenants",
            str(TENANTS),
            "--fleet-users",
            str(FLEET_USERS),
            "--latency-ms",
            "0",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    runs = {r["name"]: r for r in result["runs"]}

    noop = runs["large: no-op plan"]
    assert noop["writes"] == 0
    for kind in ("answerrules", "timeframes", "contacts"):
        assert noop["by_kind"][f"GET /domains/{{d}}/users/{{u}}/{kind}"] == USERS  # one list read per user
    # Plus the phones list and the PBX's model list, as the large tenant has phones.
    assert noop["requests"] == DOMAIN_READS + 3 * USERS + 2

    # A pull request's plan of one changed forward: that user, and that user's rules.
    scoped = runs["large: scoped plan of a one-line change"]
    assert scoped["by_kind"] == {"GET /domains/{d}/users/{u}": 1, "GET /domains/{d}/users/{u}/answerrules": 1}
    assert scoped["exit_code"] == 0

    # Renaming one user: the user, that user's phone (display name) and the phone watching them (BLF label).
    change = runs["large: one-change apply"]
    assert change["writes"] == 3
    assert change["by_kind"]["PUT /domains/{d}/users/{u}"] == 1
    assert change["by_kind"]["PUT /domains/{d}/phones"] == 2

    fleet = runs["fleet: no-op plan"]
    assert fleet["writes"] == 0
    assert fleet["requests"] == TENANTS * (DOMAIN_READS + 2 * FLEET_USERS)  # fleet users have no contacts
    assert result["noop_plan_ideal_s"] == 0  # no injected latency

    # Import reads every kind: the domain's lists, and per user rules, frames, contacts, greetings, music on hold.
    imported = runs["large: import"]
    assert imported["writes"] == 0
    for kind in ("answerrules", "timeframes", "contacts", "greetings", "moh"):
        assert imported["by_kind"][f"GET /domains/{{d}}/users/{{u}}/{kind}"] == USERS
    assert imported["requests"] == IMPORT_DOMAIN_READS + 5 * USERS + 1  # and the PBX's model list (phones)
    one = runs["fleet: import of one tenant"]
    assert one["writes"] == 0
    assert one["requests"] == IMPORT_DOMAIN_READS + 5 * FLEET_USERS
    assert (imported["ideal_s"], imported["vs_ideal"]) == (0, None)  # no injected latency, no ratio
    assert "| large: import |" in bench.table(result)


def test_only_runs_what_it_names_and_what_that_needs(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = ["--users", "2", "--tenants", "1", "--fleet-users", "2", "--latency-ms", "1", "--out", str(out)]
    assert bench.main([*args, "--only", "fleet-import"]) == 0
    result = json.loads(out.read_text())
    assert [r["name"] for r in result["runs"]] == ["fleet: cold apply", "fleet: import of one tenant"]
    imported = result["runs"][1]
    assert imported["requests"] == IMPORT_DOMAIN_READS + 5 * 2
    # The ideal is the requests at full concurrency, each taking the injected latency.
    assert imported["ideal_s"] == round(imported["requests"] / bench.CONCURRENCY * 0.001, 3)
    assert imported["vs_ideal"] is None  # an ideal of milliseconds is not what such a run is measured by
    assert "noop_plan_ideal_s" not in result


def test_the_ratio_to_the_ideal_is_given_where_the_ideal_is_a_measure() -> None:
    big = bench.with_ideal(bench.Run("plan", 9.4, 3.0, 99.0, 3007, 0), 20.0)
    assert (big.ideal_s, big.vs_ideal) == (7.518, round(9.4 / 7.518, 2))
    scoped = bench.with_ideal(bench.Run("scoped", 1.3, 2.0, 90.0, 2, 0), 20.0)
    assert (scoped.ideal_s, scoped.vs_ideal) == (0.005, None)
    assert "| scoped | 1.3 | 2.0 | 90.0 | 2 | 0 | 0.005 | — |" in bench.table(
        {"settings": {"concurrency": 8, "latency_ms": 20.0}, "runs": [vars(scoped)]}
    )
