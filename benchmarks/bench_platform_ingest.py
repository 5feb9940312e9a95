"""Ingest capacity of the real site: batches of 200 kiosk events through nginx → gunicorn → ingest.

    .venv/bin/python -m benchmarks.bench_platform_ingest                 # 300 batches, 6 client threads
    .venv/bin/python -m benchmarks.bench_platform_ingest --batches 100 --clients 4

Starts its own PostgreSQL cluster (``kiosk_platform.localdb``) and the site as production runs it
(``serve.PlatformServer``, 2 gunicorn workers) in a temporary folder; writes nothing in the repo.
Each batch is a slice of a real kiosk day: a busy kiosk records about 1,000 usage events a day
(screens, places, searches, narration, QR codes, languages, visit ends) and 96 heartbeats (every
15 minutes), plus the odd feedback; batches go to 500 kiosks in turn (as a fleet's would).
Prints events/s through the whole stack, next to a bare ``COPY`` of the same rows (received ids,
usage events, heartbeats, feedback) into the same tables in the same run, and the number of busy
kiosks the measured rate serves (target ≥ 30,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

EVENTS_PER_KIOSK_DAY = 1000 + 96  # a busy kiosk: 1,000 usage events and a heartbeat every 15 minutes
LOCAL = dt.timezone(dt.timedelta(hours=8))
USAGE_MIX = [
    ("screen_shown", 40), ("item_viewed", 25), ("search", 8), ("narration_started", 5),
    ("narration_finished", 3), ("qr_shown", 4), ("language_chosen", 5), ("visit_ended", 10),
]  # fmt: skip


HEARTBEAT = {
    "content_version": 7,
    "software_version": "0.1.0",
    "sync": {"last_outcome": "up-to-date"},
    "uptime_s": 86400,
    "free_disk_bytes": 5 * 10**10,
    "memory_rss_bytes": 3 * 10**8,
    "last_error": None,
}


def make_batch(rng: random.Random, device_id: str, day: dt.date) -> dict:
    """200 events in a kiosk day's proportions: 1,000 usage : 96 heartbeats, a feedback now and then."""
    types = [t for t, _ in USAGE_MIX]
    weights = [w for _, w in USAGE_MIX]
    events = []
    for _ in range(200):
        at = dt.datetime.combine(day, dt.time(rng.randrange(8, 22), rng.randrange(60)), LOCAL).isoformat()
        event_id = uuid.UUID(int=rng.getrandbits(128)).hex
        roll = rng.random()
        if roll < 96 / EVENTS_PER_KIOSK_DAY:
            data = HEARTBEAT
            events.append(
                {"id": event_id, "kind": "heartbeat", "type": "heartbeat", "subject": "", "at": at, "data": data}
            )
            continue
        if roll < 0.092:
            data = {"rating": rng.randint(1, 5), "category": "cleanliness", "text": "Bins full", "language": "zh-Hans",
                    "contact_given": False}  # fmt: skip
            events.append(
                {"id": event_id, "kind": "feedback", "type": "feedback", "subject": "kiosk", "at": at, "data": data}
            )
            continue
        type_ = rng.choices(types, weights)[0]
        subject, data = f"venue:place-{rng.randrange(300)}", {}
        if type_ == "search":
            subject, data = f"term {rng.randrange(80)}", {"results": rng.randrange(6), "visit": uuid.uuid4().hex}
        elif type_ == "visit_ended":
            subject, data = "", {"seconds": rng.randrange(20, 600), "screens": rng.randrange(1, 12)}
        elif type_ == "language_chosen":
            subject = rng.choice(["en", "zh-Hans", "ja", "ko"])
        elif type_ == "screen_shown":
            subject = rng.choice(["home", "venue", "search", "map", "routes"])
        events.append({"id": event_id, "kind": "usage", "type": type_, "subject": subject, "at": at, "data": data})
    return {"device_id": device_id, "batch_id": uuid.uuid4().hex, "events": events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--kiosks", type=int, default=500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-platform-ingest-"))
    os.chmod(root, 0o755)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "kiosk_platform.settings",
            "KIOSK_PLATFORM_SECRET_KEY": "bench-only-" + "x" * 40,
            "KIOSK_PLATFORM_DB_HOST": str(root / "pg" / "run"),
            "KIOSK_PLATFORM_DB_NAME": "kiosk_platform_bench",
            "KIOSK_PLATFORM_STATIC_ROOT": str(root / "static"),
            "KIOSK_PLATFORM_CHANNEL_DIR": str(root / "channel"),
            "KIOSK_PLATFORM_INGEST_RATE_PER_MINUTE": "100000",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kiosk_platform.clock import now
    from kiosk_platform.fleet.models import Device
    from kiosk_platform.fleet.provisioning import new_token
    from kiosk_platform.localdb import LocalCluster
    from kiosk_platform.orgs.models import Organisation
    from kiosk_platform.serve import PlatformServer

    cluster = LocalCluster(root / "pg")
    cluster.start()
    try:
        cluster.ensure_database("kiosk_platform_bench")
        call_command("migrate", verbosity=0)
        org = Organisation.objects.create(slug="lanzhou", name="兰州", kind="city")
        kiosks: list[tuple[str, str]] = []
        devices = []
        for i in range(args.kiosks):
            token, token_hash = new_token()
            device_id = uuid.uuid4().hex
            kiosks.append((device_id, token))
            devices.append(Device(device_id=device_id, organisation=org, group="lanzhou-station", name=f"K{i}",
                                  token_hash=token_hash, registered_at=now()))  # fmt: skip
        Device.objects.bulk_create(devices)
        rng = random.Random(13)
        day = dt.date(2026, 5, 2)
        batches = [
            (kiosks[i % len(kiosks)], make_batch(rng, kiosks[i % len(kiosks)][0], day)) for i in range(args.batches)
        ]
        server = PlatformServer(root / "site", {k: v for k, v in os.environ.items() if k.startswith("KIOSK_PLATFORM_")})
        with server:
            import requests

            url = f"{server.url}/api/v1/ingest"
            queue = list(range(len(batches)))
            lock = threading.Lock()
            failures: list[str] = []

            def client() -> None:
                session = requests.Session()
                while True:
                    with lock:
                        if not queue:
                            return
                        index = queue.pop()
                    (_, token), body = batches[index]
                    data = json.dumps(body).encode()
                    answer = session.post(url, data=data, timeout=60, headers={
                        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
                    if answer.status_code != 200 or len(answer.json()["accepted"]) != 200:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")

            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            through_site = time.perf_counter() - start
        events = args.batches * 200
        if failures:
            raise SystemExit(f"{len(failures)} batches failed, e.g. {failures[0]}")
        # The baseline: the same raw rows COPYed into the same tables (new ids), no checks, no aggregates.
        device_pk = {d.device_id: d.pk for d in Device.objects.all()}
        tables: dict[str, io.StringIO] = {k: io.StringIO() for k in ("received", "usage", "heartbeat", "feedback")}
        received_at = now().isoformat()

        def esc(text: str) -> str:
            return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

        for (device_id, _), body in batches:
            pk = device_pk[device_id]
            for e in body["events"]:
                fresh = uuid.uuid4().hex
                tables["received"].write(f"{fresh}\t{pk}\t{e['kind']}\t{received_at}\n")
                data = esc(json.dumps(e["data"]))
                if e["kind"] == "usage":
                    tables["usage"].write(f"{fresh}\t{pk}\t{e['type']}\t{esc(e['subject'])}\t{e['at']}\t{data}\n")
                elif e["kind"] == "heartbeat":
                    tables["heartbeat"].write(f"{fresh}\t{pk}\t{e['at']}\t{received_at}\t{data}\n")
                else:
                    d = e["data"]
                    tables["feedback"].write(
                        f"{fresh}\t{org.pk}\t{pk}\t{e['subject']}\t{d['rating']}\t{d['category']}\t{d['text']}\t"
                        f"{d['language']}\t{e['at']}\t{received_at}\tnew\t\n"
                    )
        copies = {
            "received": "COPY ingest_receivedevent (event_id, device_id, kind, received_at) FROM STDIN",
            "usage": "COPY ingest_usageevent (event_id, device_id, type, subject, at, data) FROM STDIN",
            "heartbeat": "COPY fleet_heartbeat (event_id, device_id, at, received_at, data) FROM STDIN",
            "feedback": "COPY feedback_feedback (event_id, organisation_id, device_id, subject, rating, category, "
            "text, language, at, received_at, status, reply) FROM STDIN",
        }
        start = time.perf_counter()
        with connection.cursor() as cursor:
            raw = cursor.connection
            with raw.transaction():
                raw_cursor = raw.cursor()
                for key, sql in copies.items():
                    with raw_cursor.copy(sql) as copy:
                        copy.write(tables[key].getvalue())
        bare_copy = time.perf_counter() - start
        connection.close()
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    site_rate = events / through_site
    copy_rate = events / bare_copy
    print(f"events: {events} in {args.batches} batches of 200 to {args.kiosks} kiosks, {args.clients} client threads")
    print(f"through nginx + gunicorn (2 workers) + ingest: {through_site:.2f} s, {site_rate:,.0f} events/s")
    print(f"bare PostgreSQL COPY of the same rows:         {bare_copy:.2f} s, {copy_rate:,.0f} events/s")
    print(f"ratio COPY / site: {copy_rate / site_rate:.1f}x")
    kiosks_served = site_rate * 86400 / EVENTS_PER_KIOSK_DAY
    print(
        f"busy kiosks served (1,000 events + 96 heartbeats a day each, spread over 24 h): {kiosks_served:,.0f}"
        f" (target 30,000: {'met' if kiosks_served >= 30000 else 'NOT met'})"
    )
    # A harsher assumption: every kiosk sends its whole day within the same 4 hours (a morning catch-up).
    crowded = site_rate * 4 * 3600 / EVENTS_PER_KIOSK_DAY
    print(f"the same if every kiosk's day arrives within the same 4 hours: {crowded:,.0f}")


if __name__ == "__main__":
    main()
