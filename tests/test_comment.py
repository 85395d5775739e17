"""The pull request's plan comments: every tenant has its row and its folded plan, whatever the size, and no
comment is over GitHub's limit."""

from __future__ import annotations

import json
import re
from pathlib import Path

from skyconf.render.comment import COMMENT_LIMIT, PART_MARKER, TenantResult, render_comments
from skyconf.render.markdown import MARKER
from tests.conftest import run

ROW = "| {t} | :pencil2: changes | {c} | {u} | {d} |"


def plan_markdown(tenant: str, domain: str, users: int) -> str:
    """A plan shaped like `plan --format markdown`: marker, title, table, then one diff block per user."""
    out = [MARKER, "## skyconf plan", "", "| tenant | domain | create | update | delete |", "|---|---|---:|---:|---:|"]
    out += [f"| {tenant} | {domain} | {users * 3} | 1 | 0 |", "", f"### {tenant} ({domain})", ""]
    out += [f"{users * 3} to create, 1 to update.", ""]
    for i in range(users):
        ext = 1000 + i
        out += [f"**user {ext}**", "", "```diff", f"+ create user {ext}"]
        out += [f"+     first_name: Person{i}", f"+     last_name: Number{i}", f"+     email: p{i}@big.example.com"]
        out += [f"+ create answering_rule {ext}/default", "+     forward_no_answer: voicemail", "```", ""]
    return "\n".join(out) + "\n"


def folded(body: str) -> list[str]:
    return re.findall(r"<details><summary><b>(.*?)</b>", body)


def test_a_thousand_user_onboarding_and_a_second_tenant_both_appear() -> None:
    big = plan_markdown("onboarding", "big.example.com", 1000)
    assert len(big) > 200_000
    small = plan_markdown("second", "small.example.com", 2)
    bodies = render_comments(
        [TenantResult("onboarding", 2, big), TenantResult("second", 2, small)],
        head="abc1234",
        run_url="https://github.example/org/pbx/actions/runs/1",
    )
    assert all(len(b) <= COMMENT_LIMIT for b in bodies)
    first = bodies[0]
    assert first.startswith(MARKER + "\n## skyconf plan\n")
    assert ROW.format(t="onboarding", c=3000, u=1, d=0) in first  # the summary comes first, for every tenant
    assert ROW.format(t="second", c=6, u=1, d=0) in first
    assert "2 tenant(s) planned at abc1234: 2 with changes, 0 failed." in first
    sections = [name for body in bodies for name in folded(body)]
    assert sections == ["onboarding", "second"]  # each folded once, in order
    everything = "".join(bodies)
    assert "+ create user 1000" in everything and "+ create user 1002" in everything  # the second tenant in full
    assert "full plan is in [the run's artifact](https://github.example/org/pbx/actions/runs/1)" in everything
    assert everything.count("```") % 2 == 0  # a cut diff block is closed again


def test_plans_that_do_not_fit_one_comment_go_to_the_next() -> None:
    results = [TenantResult(f"t{i}", 2, plan_markdown(f"t{i}", "x.example.com", 60)) for i in range(8)]
    bodies = render_comments(results)
    assert len(bodies) > 1
    assert all(len(b) <= COMMENT_LIMIT for b in bodies)
    assert [n for b in bodies for n in folded(b)] == [f"t{i}" for i in range(8)]
    for index, body in enumerate(bodies[1:], start=2):
        assert body.startswith(PART_MARKER.format(n=index) + "\n")
        assert f"comment {index} of {len(bodies)}" in body
    assert "+ create user 1059" in "".join(bodies)  # nothing cut: each plan fits its budget... (60 users)


def test_failed_and_missing_tenants_keep_their_row_and_section() -> None:
    bodies = render_comments(
        [
            TenantResult("ok", 0, plan_markdown("ok", "ok.example.com", 0)),
            TenantResult("bad", 1, "", "tenant.yaml:1:1: domain: bad ```\n"),
            TenantResult("gone", None),
        ]
    )
    assert len(bodies) == 1
    body = bodies[0]
    assert "| ok | :white_check_mark: no changes | 0 | 1 | 0 |" in body
    assert "| bad | :x: failed |  |  |  |" in body and "| gone | :x: no result |" in body
    assert folded(body) == ["ok", "bad", "gone"]
    assert "plan failed (exit 1)" in body and "tenant.yaml:1:1: domain: bad '''" in body


def test_tenant_names_cannot_break_the_table_or_the_html() -> None:
    body = render_comments([TenantResult("a|b<script>", 2, "### x\n")])[0]
    assert "| a\\|b&lt;script&gt; |" in body and "<script>" not in body


def test_the_command_reads_the_plan_jobs_results(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    for index, (tenant, code, markdown) in enumerate(
        [("tenants/a", "2", plan_markdown("a", "a.example.com", 1)), ("tenants/b", "1", "")]
    ):
        folder = plans / f"plan-{index}"
        folder.mkdir(parents=True)
        (folder / "tenant").write_text(tenant + "\n")
        (folder / "exitcode").write_text(code + "\n")
        (folder / "plan.md").write_text(markdown)
        (folder / "plan.err").write_text("boom\n" if code == "1" else "")
    out = tmp_path / "comments.json"
    tenants = json.dumps(["tenants/a", "tenants/b", "tenants/c"])
    result = run("comment", str(plans), "--tenants", tenants, "--head", "abc1234", "-o", str(out))
    assert result.exit_code == 0, result.output
    bodies = json.loads(out.read_text())
    assert folded(bodies[0]) == ["tenants/a", "tenants/b", "tenants/c"]
    assert "| tenants/c | :x: no result |" in bodies[0] and "boom" in bodies[0]

    bad = run("comment", str(plans), "--tenants", "{not json")
    assert bad.exit_code == 1 and "--tenants is not a JSON array" in bad.output


def test_over_a_safety_limit_the_comment_points_to_the_manual_apply() -> None:
    markdown = (
        "### acme (acme.example.com)\n\n> [!WARNING]\n> Over the safety limit: 60 deletes; apply needs `--force`.\n"
    )
    body = render_comments([TenantResult("tenants/acme", 2, markdown)], apply_url="https://gh.example/apply.yml")[0]
    assert "[run the apply workflow by hand](https://gh.example/apply.yml) with tenant `tenants/acme`" in body
    quiet = render_comments([TenantResult("tenants/acme", 2, "### acme\n\nchanges\n")])[0]
    assert "by hand" not in quiet
