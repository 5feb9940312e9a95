"""A stand-in for the platform's ingest API (docs/outbox.md) on a real local HTTP server.

The platform itself comes later; until then the outbox's tests (library and kiosk) send to this.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Platform:
    """A stand-in ingest API on a real HTTP server: keeps each event id once, as the platform must.

    ``lose_answers`` answers that many requests by closing the connection after storing the
    events (the answer lost on the way back); ``refuse`` answers with that status first.
    """

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.lose_answers = 0
        self.refuse: list[tuple[int, dict[str, str]]] = []
        self.reject_ids: set[str] = set()
        self.lock = threading.Lock()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with platform.lock:
                    platform.requests.append({"auth": self.headers.get("Authorization"), "body": body})
                    if platform.refuse:
                        status, headers = platform.refuse.pop(0)
                        self.send_response(status)
                        for name, value in headers.items():
                            self.send_header(name, value)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    answer: dict[str, list[Any]] = {"accepted": [], "duplicate": [], "rejected": []}
                    for event in body["events"]:
                        if event["id"] in platform.reject_ids:
                            answer["rejected"].append({"id": event["id"], "reason": "unknown venue"})
                        elif event["id"] in platform.events:
                            answer["duplicate"].append(event["id"])
                        else:
                            platform.events[event["id"]] = event
                            answer["accepted"].append(event["id"])
                    if platform.lose_answers:
                        platform.lose_answers -= 1
                        self.close_connection = True
                        self.connection.shutdown(2)  # committed, but the kiosk never hears it
                        return
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/ingest"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
