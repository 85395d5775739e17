"""Music on hold: content hashes decide uploads; the order is kept with as few moves as possible."""

from __future__ import annotations

from pathlib import Path

from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.providers.netsapiens.moh import plan_positions
from skyconf.sandbox.log import Exchange
from tests.audio import tone
from tests.conformance.openapi_check import SpecChecker

FILE = "    - {file: moh/welcome.wav}\n"
TTS = '    - {tts: "Thank you for holding. Your call is important to us.", voice: en-US-Wavenet-C, language: en-US}\n'
DOMAIN = "acme.example.com"


def set_playlist(root: Path, entries: list[str], randomized: bool = False) -> None:
    path = root / "tenants" / "example" / "music_on_hold.yaml"
    text = path.read_text()
    head = text[: text.index("    - ")]
    path.write_text(head.replace("randomized: false", f"randomized: {str(randomized).lower()}") + "".join(entries))


def uploads(exchanges: list[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if isinstance(e.request_body, dict) and "base64_file" in e.request_body]


async def apply(root: Path) -> list[Exchange]:
    """Plan and apply the workspace's tenants; the domain's music-on-hold writes."""
    desired = load_all([root / "tenants"])
    async with Session(root, record_bodies=True) as session:
        runs = await plan_tenants(session, desired)
        outcomes = await apply_runs(runs)
        assert {o.status for o in outcomes["example"]} <= {"done"}, [o.error for o in outcomes["example"]]
        writes = session.sandbox_logs["sandbox"].writes()
    return [w for w in writes if w.path.startswith(f"/domains/{DOMAIN}/moh")]


async def order_on_pbx(root: Path) -> list[str]:
    async with Session(root) as session:
        (run,) = await plan_tenants(session, load_all([root / "tenants"]))
        assert run.plan.changes == [], [(c.action, c.kind, c.key) for c in run.plan.changes]
        playlist = run.live.get("moh_playlist", (DOMAIN,))
        assert playlist is not None
        return list(playlist.fields["order"])


async def test_reordering_a_file_and_a_text_uploads_nothing(workspace: Path, spec_checker: SpecChecker) -> None:
    await apply(workspace)
    set_playlist(workspace, [TTS, FILE])
    writes = await apply(workspace)
    assert uploads(writes) == []
    # The spoken entry is made again from its text at a free index before the file; the file stays.
    assert [(w.method, sorted(w.request_body or {})) for w in writes] == [
        ("POST", ["index", "script", "synchronous", "voice_id", "voice_language"]),
        ("DELETE", []),
    ]
    assert spec_checker.check_exchanges(writes) == []
    assert (await order_on_pbx(workspace))[0].startswith("tts:")


async def test_changing_a_wav_is_exactly_one_upload(workspace: Path, spec_checker: SpecChecker) -> None:
    await apply(workspace)
    (workspace / "tenants" / "example" / "moh" / "welcome.wav").write_bytes(tone(600))
    writes = await apply(workspace)
    (upload,) = uploads(writes)
    assert writes == [upload] and upload.method == "PUT"
    assert spec_checker.check_exchanges(writes) == []
    await order_on_pbx(workspace)  # converged: no changes left


async def test_reordering_two_files_moves_one_and_keeps_the_rest(workspace: Path) -> None:
    """The API cannot move an entry without its audio: swapping two files costs one upload, not two."""
    moh = workspace / "tenants" / "example" / "moh"
    (moh / "second.wav").write_bytes(tone(500))
    (moh / "third.wav").write_bytes(tone(700))
    second, third = "    - {file: moh/second.wav}\n", "    - {file: moh/third.wav}\n"
    await apply(workspace)
    set_playlist(workspace, [FILE, second, third, TTS])
    assert len(uploads(await apply(workspace))) == 2  # the two new files, each written once
    set_playlist(workspace, [FILE, third, second, TTS])
    writes = await apply(workspace)
    assert len(uploads(writes)) == 1 and len(writes) == 2  # one file moved: a create and a delete
    assert await order_on_pbx(workspace) == [
        "file:moh/welcome.wav",
        "file:moh/third.wav",
        "file:moh/second.wav",
        "tts:Thank you for holding. Your call is important to us."[:44] + "…0227bb20",
    ]


async def test_randomized_playlists_are_not_reordered(workspace: Path) -> None:
    set_playlist(workspace, [FILE, TTS], randomized=True)
    await apply(workspace)
    set_playlist(workspace, [TTS, FILE], randomized=True)
    assert await apply(workspace) == []


def test_positions_keep_the_heaviest_chain_and_fill_gaps() -> None:
    current = {"a": 100, "b": 200, "c": 300}
    weights = {"a": 1000, "b": 1000, "c": 10}
    # c (cheap) moves in front; a and b stay.
    assert plan_positions(["c", "a", "b"], current, weights, {100, 200, 300}) == {"c": 50, "a": 100, "b": 200}
    # A new entry between two kept ones takes a free index between them; appended ones go after the top.
    assert plan_positions(["a", "n", "b", "m"], {"a": 100, "b": 200}, {"a": 1, "b": 1}, {100, 200}) == {
        "a": 100,
        "n": 150,
        "b": 200,
        "m": 300,
    }
    # No room between neighbours (portal-made indexes 1, 2): everything moves above the top.
    assert plan_positions(["a", "n", "b"], {"a": 1, "b": 2}, {"a": 1, "b": 1}, {1, 2}) == {"a": 102, "n": 202, "b": 302}
