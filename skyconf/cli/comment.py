"""`skyconf comment`: the plan comment bodies a pull request gets, from the plan jobs' results.

The workflow's script only posts what this prints: the layout (summary, folding, budgets,
overflow) is Python, tested like the rest of skyconf.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from skyconf.cli.common import friendly_errors
from skyconf.errors import SkyconfError
from skyconf.render.comment import COMMENT_LIMIT, TENANT_BUDGET, TenantResult, render_comments


def read_results(folder: Path) -> dict[str, TenantResult]:
    """Each subfolder of `folder` is one plan job's result: files tenant, exitcode, plan.md, plan.err."""

    def text(path: Path) -> str:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    results: dict[str, TenantResult] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        tenant = text(sub / "tenant").strip()
        if not tenant:
            continue
        code = text(sub / "exitcode").strip()
        results[tenant] = TenantResult(
            tenant, int(code) if code.isdigit() else None, text(sub / "plan.md"), text(sub / "plan.err")
        )
    return results


@click.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--tenants", "tenants_json", default=None, help="JSON array of the tenants planned (the matrix).")
@click.option("--head", default="", help="The commit planned, shown in the comment.")
@click.option("--run-url", default="", help="Link to the workflow run.")
@click.option("--artifact-url", default="", help="Link to the full plans (defaults to the run).")
@click.option("--apply-url", default="", help="Link to the apply workflow's manual run (for --force).")
@click.option("--limit", default=COMMENT_LIMIT, show_default=True, help="Characters per comment.")
@click.option("--budget", default=TENANT_BUDGET, show_default=True, help="Characters of one tenant's plan.")
@click.option("-o", "--out", "out_file", type=click.Path(path_type=Path), help="Write the JSON here, not stdout.")
@friendly_errors
def comment(
    results: Path,
    tenants_json: str | None,
    head: str,
    run_url: str,
    artifact_url: str,
    apply_url: str,
    limit: int,
    budget: int,
    out_file: Path | None,
) -> None:
    """Print the pull request's plan comments as a JSON array of bodies (first one first).

    RESULTS is the folder of the plan jobs' downloaded results. Tenants listed by --tenants but
    without a result get a "no result" row: a tenant is never left out.
    """
    found = read_results(results)
    try:
        wanted = json.loads(tenants_json) if tenants_json is not None else sorted(found)
    except ValueError:
        raise SkyconfError(f"--tenants is not a JSON array: {tenants_json!r}") from None
    if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
        raise SkyconfError("--tenants must be a JSON array of tenant folders")
    listed = [found.get(t, TenantResult(t, None)) for t in wanted]
    listed += [r for t, r in found.items() if t not in wanted]
    bodies = render_comments(
        listed, head=head, run_url=run_url, artifact_url=artifact_url, apply_url=apply_url, limit=limit, budget=budget
    )
    text = json.dumps(bodies) + "\n"
    if out_file:
        out_file.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
