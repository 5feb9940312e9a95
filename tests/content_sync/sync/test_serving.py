"""A kiosk syncs a channel from each server a channel may sit on: nginx, serve.py, http.server.

The channel is written by ``repository.py`` and a 1.5 MB pack published to lanzhou/station.
The kiosk (provisioned with ``1.root.json``) refreshes with ``ChannelClient`` through the
resumable ``TufFetcher`` and downloads the offered pack with ``Fetcher.download`` (length and
SHA-256 from the signed offer): it must end with exactly the published bytes. Then the same
download is cut every 300 kB by the fault-injecting proxy: nginx and serve.py must answer the
resumes with 206 (seen in their own logs) and the wire must carry at most 1.1 times the pack;
http.server, which ignores Range, still ends right because the client restarts on a 200.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from content_sync.sync.fetch import Fetcher
from content_sync.sync.trust import ChannelClient, OfferedTarget, provision

from .faulty_proxy import Fault, FaultyProxy
from .nginx_server import SHIPPED_CONF, NginxServer
from .serving_harness import PACK, PACK_SIZE, SERVERS, Answer, Published, publish_channel, served
from .test_fetch_faults import Waits, make_fetcher
from .test_tuf_channel import LANZHOU, TIANSHUI


@pytest.fixture
def channel(tmp_path: Path) -> Published:
    return publish_channel(tmp_path)


def kiosk(channel: Published, tmp_path: Path, url: str, fetcher: Fetcher, group: str = LANZHOU) -> ChannelClient:
    device = tmp_path / "kiosk" / group.replace("/", "-") / "metadata"
    provision(device, channel.root_file)
    return ChannelClient(device, url, group, clock=channel.clock, fetcher=fetcher.tuf_fetcher())


def offered_pack(client: ChannelClient) -> OfferedTarget:
    view = client.refresh()
    assert view.state == "current", view.message
    (pack,) = [t for t in view.targets if t.name == "pack-3.kpack"]
    return pack


def download(client: ChannelClient, fetcher: Fetcher, target: OfferedTarget, dest: Path):
    return fetcher.download(client.url_of(target), dest, expected_length=target.length, expected_sha256=target.sha256)


@pytest.mark.parametrize("kind", SERVERS)
def test_kiosk_syncs_the_published_pack(kind: str, channel: Published, tmp_path: Path) -> None:
    with served(kind, channel.dir) as (url, _), make_fetcher(Waits()) as fetcher:
        client = kiosk(channel, tmp_path, url, fetcher)
        pack = offered_pack(client)
        assert (pack.length, pack.custom["version"]) == (PACK_SIZE, "3")
        dest = tmp_path / "pack-3.kpack"
        result = download(client, fetcher, pack, dest)
        assert dest.read_bytes() == PACK
        assert result.attempts == 1 and result.bytes_received == PACK_SIZE
        # The kiosk trusts what it refreshed: the channel's timestamp is now on the device.
        assert (client.metadata_dir / "timestamp.json").read_bytes() == (
            channel.dir / "metadata" / "timestamp.json"
        ).read_bytes()


@pytest.mark.parametrize("kind", SERVERS)
def test_a_kiosk_never_gets_another_groups_pack(kind: str, channel: Published, tmp_path: Path) -> None:
    with served(kind, channel.dir) as (url, _), make_fetcher(Waits()) as fetcher:
        client = kiosk(channel, tmp_path, url, fetcher, group=TIANSHUI)
        pack = offered_pack(client)
        assert pack.path == f"{TIANSHUI}/pack-3.kpack"
        dest = tmp_path / "tianshui.kpack"
        download(client, fetcher, pack, dest)
        assert dest.read_bytes() == b"tianshui only" * 100


def resumed_answers(answers: list[Answer], blob: str) -> list[Answer]:
    return [a for a in answers if a.path.endswith(blob) and a.range]


@pytest.mark.parametrize("kind", ["nginx", "serve.py"])
def test_a_cut_download_resumes_with_206(kind: str, channel: Published, tmp_path: Path) -> None:
    with served(kind, channel.dir) as (url, answers), make_fetcher(Waits()) as fetcher:
        proxy = FaultyProxy(url)
        try:
            client = kiosk(channel, tmp_path, proxy.url, fetcher)
            pack = offered_pack(client)
            sent_before = proxy.body_bytes_sent
            proxy.cut_every = 300_000  # the station link drops every 300 kB
            dest = tmp_path / "pack-3.kpack"
            result = download(client, fetcher, pack, dest)
            on_wire = proxy.body_bytes_sent - sent_before
        finally:
            proxy.close()
        assert dest.read_bytes() == PACK
        assert result.attempts == 5 and result.restarts == 0
        assert on_wire <= 1.1 * PACK_SIZE
        resumes = resumed_answers(answers(), pack.blob.rpartition("/")[2])
        assert [a.range for a in resumes] == [f"bytes={n}-" for n in (300_000, 600_000, 900_000, 1_200_000)]
        assert {a.status for a in resumes} == {206}


@pytest.mark.parametrize("kind", ["nginx", "serve.py"])
def test_a_file_replaced_mid_download_comes_back_whole(kind: str, channel: Published, tmp_path: Path) -> None:
    """If-Range: once the blob on disk changed, the server answers the resume with 200 (never a splice).

    A blob is never rewritten by the publisher; this is a hand-edited or restored folder.
    """
    with served(kind, channel.dir) as (url, answers), make_fetcher(Waits()) as fetcher:
        proxy = FaultyProxy(url)
        try:
            client = kiosk(channel, tmp_path, proxy.url, fetcher)
            pack = offered_pack(client)
            blob = channel.dir / "targets" / pack.blob

            def touch() -> None:  # same bytes, a new file (nginx's ETag is mtime and size, to the second)
                data, mtime = blob.read_bytes(), blob.stat().st_mtime
                blob.unlink()
                blob.write_bytes(data)
                os.utime(blob, (mtime + 10, mtime + 10))

            proxy.plan = [Fault("swap", at=500_000, action=touch)]
            dest = tmp_path / "pack-3.kpack"
            result = download(client, fetcher, pack, dest)
        finally:
            proxy.close()
        assert dest.read_bytes() == PACK
        assert result.restarts == 1
        (resume,) = resumed_answers(answers(), pack.blob.rpartition("/")[2])
        assert (resume.range, resume.status) == ("bytes=500000-", 200)


def test_http_server_without_ranges_still_ends_right(channel: Published, tmp_path: Path) -> None:
    """python3 -m http.server ignores Range: after a cut the client takes the 200 as a restart."""
    with served("http.server", channel.dir) as (url, _), make_fetcher(Waits()) as fetcher:
        proxy = FaultyProxy(url)
        try:
            client = kiosk(channel, tmp_path, proxy.url, fetcher)
            pack = offered_pack(client)
            proxy.plan = [Fault("cut", at=400_000)]
            dest = tmp_path / "pack-3.kpack"
            result = download(client, fetcher, pack, dest)
        finally:
            proxy.close()
        assert dest.read_bytes() == PACK
        assert result.restarts == 1
        assert result.bytes_received == 400_000 + PACK_SIZE


def test_the_test_nginx_includes_the_shipped_file(channel: Published) -> None:
    """The tested rules are the shipped rules: the generated nginx.conf includes the file, nothing copied."""
    with NginxServer(channel.dir) as nginx:
        generated = (nginx.prefix / "nginx.conf").read_text()
        assert f"include {SHIPPED_CONF};" in generated
        assert "Cache-Control" not in generated and "immutable" not in generated
        assert "syntax is ok" in nginx.check()
