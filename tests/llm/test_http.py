"""The fallback through real litellm and real HTTP, against a stand-in OpenAI-compatible server.

The server runs in a thread on 127.0.0.1 (a free port), records each request and answers
POST /v1/chat/completions with a chat.completion object, as llama.cpp's or vLLM's server would.
No provider, no key, no network beyond the loopback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from tests.engine.support import BUS, TODAY, Demo, Rows, say

from movi import parse
from movi.engine import Movi
from movi.llm import LLMConfig
from movi.llm.config import PLACEHOLDER_KEY
from movi.store.schema import Interaction

REMOVE_CASE = "remove_vehicle_with_bookings"


@dataclass
class StandIn:
    url: str
    answer: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server_state: list[StandIn] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state = server_state[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.paths.append(self.path)
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            state.requests.append(json.loads(body))
            if not self.path.endswith("/chat/completions"):
                self.send_error(404)
                return
            payload = json.dumps(
                {
                    "id": "chatcmpl-stand-in",
                    "object": "chat.completion",
                    "created": 1_764_000_000,
                    "model": "stand-in",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": state.answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 900, "completion_tokens": 25, "total_tokens": 925},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.append(StandIn(url=f"http://127.0.0.1:{server.server_address[1]}/v1"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state[0]
    finally:
        server.shutdown()
        server.server_close()


async def test_the_fallback_over_http_sends_the_command_as_data_and_uses_the_answer(
    stand_in: StandIn, demo: Demo, rows: Rows
) -> None:
    trip = demo.cases[REMOVE_CASE][0]
    text = f"sort out whatever is up with trip {trip}"
    assert parse(text, page=BUS, today=TODAY).confidence < 0.6  # the rules are unsure
    stand_in.answer = (
        "```json\n"
        + json.dumps({"action": "get_trip_status", "slots": {"trip_id": trip}, "confidence": 0.88})
        + "\n```"
    )
    config = LLMConfig(model="openai/stand-in", api_base=stand_in.url, timeout_s=5)
    movi = await Movi.open(demo.url, today=TODAY, role="admin", llm=config)
    try:
        reply = await say(movi, text)
    finally:
        await movi.close()

    assert (reply.status, reply.action) == ("completed", "get_trip_status")
    assert "Path-1 - 08:00" in reply.message
    assert stand_in.paths == ["/v1/chat/completions"]
    request = stand_in.requests[0]
    assert request["model"] == "stand-in"
    assert request["temperature"] == 0
    assert request["response_format"] == {"type": "json_object"}
    assert stand_in.headers[0]["authorization"] == f"Bearer {PLACEHOLDER_KEY}"
    system, user = request["messages"]
    assert (system["role"], user["role"]) == ("system", "user")
    assert json.loads(user["content"]) == {"command": text}
    assert text not in system["content"]
    assert "2026-11-28" in system["content"] and "busDashboard" in system["content"]

    row = await rows.one(
        select(Interaction.__table__).order_by(Interaction.interaction_id.desc()).limit(1)
    )
    assert (row.source, row.action, row.llm_model, row.tokens) == (
        "llm",
        "get_trip_status",
        "openai/stand-in",
        925,
    )
    assert row.cost_usd is None  # a local model has no price
