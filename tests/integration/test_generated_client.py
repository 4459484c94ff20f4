"""A Python client generated from the served schema works end to end.

``openapi-python-client`` generates a client from ``/schema/openapi.json`` of a
live ``oasis serve`` (embedded SQLite, in-process worker, offline providers)
and must report no warning: a warning means some route or answer is missing
from the client. The client then registers, queues a render, polls its
status, lists the videos and downloads the MP4 and the thumbnail through the
signed links, which are absolute because the server has ``OASIS_PUBLIC_URL``.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.dashboard.conftest import LiveServer
from tests.media_checks import probe, top_level_boxes
from tests.services import unavailable

pytestmark = pytest.mark.slow

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "oasis_api_client"
RENDER_TIMEOUT = 240.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path)
    live.env["OASIS_PUBLIC_URL"] = live.url
    live.start()
    yield live
    live.stop()


def generate_client(schema_url: str, folder: Path) -> str:
    """Generate the client package into ``folder``; returns what the generator printed."""
    if not GENERATOR.exists():
        unavailable("openapi-python-client is not installed: pip install openapi-python-client")
    schema = folder / "openapi.json"
    schema.write_bytes(httpx.get(schema_url, timeout=30, trust_env=False).raise_for_status().content)
    environ = {**os.environ, "PATH": os.pathsep.join([str(GENERATOR.parent), os.environ.get("PATH", "")])}
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture
def api(server: LiveServer, tmp_path: Path) -> Iterator[ModuleType]:
    """The generated package, imported; removed from ``sys.modules`` afterwards."""
    output = generate_client(f"{server.url}/schema/openapi.json", tmp_path)
    # The generator warns (and still exits 0) for every answer or route it cannot express.
    for word in ("warning", "error", "skipping", "not in path"):
        assert word not in output.lower(), output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(api: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{api.__name__}.{name}")


def download(api: ModuleType, client: Any, link: str, server: LiveServer) -> bytes:
    """Fetch a signed link with the generated ``getMedia`` operation (no token: the link is the credential)."""
    assert link.startswith(f"{server.url}/api/media/"), link  # absolute under OASIS_PUBLIC_URL
    parts = urlsplit(link)
    _, _, _, video_id, name = parts.path.split("/")
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    get_media = module(api, "api.video.get_media")
    answer = get_media.sync_detailed(
        video_id, name, client=client, expires=query["expires"], sig=query["sig"]
    )
    assert answer.status_code == 200
    file = answer.parsed
    assert isinstance(file, module(api, "types").File), answer.parsed
    return bytes(file.payload.read())


def test_a_generated_client_registers_renders_polls_lists_and_downloads(
    api: ModuleType, server: LiveServer, tmp_path: Path
) -> None:
    models = module(api, "models")
    register = module(api, "api.auth.register")
    generate = module(api, "api.video.generate")
    get_video_status = module(api, "api.video.get_video_status")
    list_videos = module(api, "api.video.list_videos")

    anonymous = api.Client(base_url=server.url, raise_on_unexpected_status=True)
    signed_up = register.sync(
        client=anonymous,
        body=models.RegisterIn(name="Ada", email="ada@example.com", password="correct horse battery"),
    )
    assert isinstance(signed_up, models.AuthOut), signed_up
    for operation in (register.sync, module(api, "api.video.get_media").sync):
        assert operation.__annotations__["client"] == api.AuthenticatedClient | api.Client  # no token needed
    assert signed_up.user.role == models.UserRole.ADMIN  # the first user
    client = api.AuthenticatedClient(
        base_url=server.url, token=signed_up.token, raise_on_unexpected_status=True, timeout=httpx.Timeout(30)
    )

    accepted = generate.sync(
        client=client,
        body=models.VideoIn(
            type_="video",
            category="hope",
            content="Hope is a good breakfast.",
            visual_prompt="sunrise over a quiet harbour",
            style="cinematic",
        ),
    )
    assert isinstance(accepted, models.VideoAccepted), accepted

    deadline = time.monotonic() + RENDER_TIMEOUT
    status = get_video_status.sync(accepted.id, client=client)
    while status.status == models.VideoStatus.PROCESSING and time.monotonic() < deadline:
        assert isinstance(status.stage, models.RenderStage)
        time.sleep(0.5)
        status = get_video_status.sync(accepted.id, client=client)
    assert (status.status, status.stage, status.progress) == (
        models.VideoStatus.COMPLETED,
        models.RenderStage.DONE,
        100,
    ), f"{status}\n{server.log_tail()}"

    page = list_videos.sync(client=client, status=models.VideoStatus.COMPLETED)
    assert isinstance(page, models.VideoPage), page
    assert [video.id for video in page.items] == [accepted.id]
    assert page.items[0].status == models.VideoStatus.COMPLETED
    failed = list_videos.sync(client=client, status=models.VideoStatus.FAILED)
    assert failed.items == [] and failed.total == 0

    video = tmp_path / "video.mp4"
    video.write_bytes(download(api, anonymous, page.items[0].url, server))
    assert top_level_boxes(video)[0] == "ftyp"
    media = probe(video)
    assert (media.video_codec, media.audio_codec) == ("h264", "aac")
    thumbnail = download(api, anonymous, status.thumbnail_url, server)
    assert thumbnail.startswith(b"\xff\xd8\xff")  # JPEG
