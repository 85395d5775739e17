"""Greetings: a user's and an auto attendant's extension's, and the prompt audio an attendant read shows."""

from __future__ import annotations

import base64

import httpx

from skyconf.sandbox.log import RequestLog
from tests.audio import silence
from tests.conformance.openapi_check import SpecChecker

from .helpers import make_user

D = "/domains/acme"
G = f"{D}/users/1000/greetings"
ACCEPTED = {"code": 202, "message": "Accepted"}


async def test_upload_styles_indexes_and_count(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    audio = silence(3)
    r = await client.post(
        G, files={"File": ("hi.wav", audio, "audio/wav")}, data={"script": "standard", "synchronous": "yes"}
    )
    assert r.status_code == 200
    first = r.json()
    assert (first["ordinal-order"], first["filename"], first["file-duration-seconds"]) == (1, "greeting-1.wav", 3)
    body = {
        "synchronous": "yes",
        "index": 1234,
        "script": "x: a.wav sha256:00",
        "base64_file": base64.b64encode(audio).decode(),
    }
    assert (await client.post(G, json=body)).json()["file-script-text"] == "x: a.wav sha256:00"
    assert (await client.post(G, json=body)).status_code == 409  # that number is taken
    tts = (await client.post(G, json={"synchronous": "yes", "script": "Hello", "voice_id": "en-US-Wavenet-D"})).json()
    assert tts["ordinal-order"] == 1235 and tts["text-to-speech-voice-id"] == "en-US-Wavenet-D"
    assert [g["ordinal-order"] for g in (await client.get(G)).json()] == [1, 1234, 1235]
    assert (await client.get(f"{G}/count")).json()["count"] == 3

    r = await client.put(f"{G}/1235", json={"synchronous": "yes", "script": "Goodbye"})
    assert r.json()["file-script-text"] == "Goodbye" and r.json()["ordinal-order"] == 1235
    assert (await client.get(f"{G}/1235")).json()["file-script-text"] == "Goodbye"
    assert (await client.put(f"{G}/9", json={"script": "x"})).status_code == 404
    assert (await client.post(G, json={"index": 7})).status_code == 400  # script is required
    assert (await client.delete(f"{G}/1")).json() == ACCEPTED
    assert (await client.get(f"{G}/1")).status_code == 404


async def test_owner_must_exist_and_deleting_the_user_removes_them(client: httpx.AsyncClient) -> None:
    assert (await client.get(G)).status_code == 404
    assert (await client.post(G, json={"synchronous": "yes", "script": "x"})).status_code == 404
    await make_user(client, "1000")
    await client.post(G, json={"synchronous": "yes", "script": "x"})
    assert (await client.delete(f"{D}/users/1000")).status_code == 202
    await make_user(client, "1000")
    assert (await client.get(G)).json() == []


async def test_attendant_read_shows_its_prompt_greeting(
    client: httpx.AsyncClient, log: RequestLog, spec_checker: SpecChecker
) -> None:
    menu = {"option-1": {"destination-application": "to-connection", "destination-user": "14165550100"}}
    made = await client.post(
        f"{D}/autoattendants", json={"attendant-name": "Main", "user": "500", "auto-attendant": menu}
    )
    prompt = made.json()["starting-prompt"]
    number = int(prompt.removeprefix("Prompt_"))
    one = f"{D}/users/500/autoattendants/{prompt}"
    assert "audio" not in (await client.get(one)).json()  # no greeting at that number yet

    # The attendant's extension is no user, yet its greetings are reachable (they are its prompts).
    r = await client.post(
        f"{D}/users/500/greetings", json={"synchronous": "yes", "index": number, "script": "Press 1 for sales."}
    )
    assert r.status_code == 200
    audio = (await client.get(one)).json()["audio"]
    assert audio["ordinal-order"] == number and audio["file-script-text"] == "Press 1 for sales."
    assert audio["filename"] == f"greeting-{number}.wav"
    assert (await client.get(f"{D}/users/501/greetings")).status_code == 404
    assert spec_checker.check_exchanges(log.exchanges) == []
