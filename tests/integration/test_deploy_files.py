"""compose.yaml, the Dockerfile and ``oasis health``: the deployment files describe a stack that can start.

Docker is not run here; compose.yaml is parsed as ``docker compose config``
would read it (YAML with anchors and merge keys) and checked for what makes
``docker compose up`` pull, start in order and report health.
"""

from __future__ import annotations

import http.server
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from oasis_server.cli.app import build_parser
from oasis_server.cli.health_command import api_health, scheduler_health, worker_health
from oasis_server.jobs.heartbeat import WORKERS_KEY

ROOT = Path(__file__).resolve().parents[2]
OASIS_SERVICES = ("migrate", "api-1", "api-2", "worker", "scheduler")
LONG_RUNNING = ("mariadb", "redis", "s3", "api-1", "api-2", "worker", "scheduler")
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_the_stack_has_every_part(compose: dict) -> None:
    assert set(compose["services"]) == {"mariadb", "redis", "s3", *OASIS_SERVICES}
    assert set(compose["volumes"]) == {"mariadb", "redis", "s3"}


def test_images_are_pinned_to_a_tag_and_none_is_minio(compose: dict) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: {image} is not pinned to a tag"
        assert "minio" not in image, f"{name}: MinIO's images are no longer published"
    assert compose["services"]["s3"]["image"].startswith("chrislusf/seaweedfs:")


def test_every_long_running_service_has_a_healthcheck(compose: dict) -> None:
    services = compose["services"]
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name
    assert services["api-1"]["healthcheck"]["test"][1:3] == ["oasis", "health"]
    assert "--worker" in services["worker"]["healthcheck"]["test"]
    assert "--scheduler" in services["scheduler"]["healthcheck"]["test"]
    assert "http" not in " ".join(services["worker"]["healthcheck"]["test"])  # a worker serves no HTTP


def test_oasis_commands_in_compose_are_real_commands(compose: dict) -> None:
    parser = build_parser()
    for name, service in compose["services"].items():
        for command in (service.get("command"), (service.get("healthcheck") or {}).get("test")):
            if command and "oasis" in command:
                args = command[command.index("oasis") + 1 :]
                parsed = parser.parse_args(args)
                assert parsed.handler, f"{name}: {command}"


def test_the_oasis_services_start_in_order_with_their_settings(compose: dict) -> None:
    services = compose["services"]
    for name in ("api-1", "api-2", "worker", "scheduler"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["depends_on"]["s3"]["condition"] == "service_healthy"
        environment = service["environment"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["S3_ENDPOINT_URL"] == "http://s3:8333"
        assert environment["STORAGE_BUCKET"] == services["s3"]["environment"]["S3_BUCKET"]
        assert environment["DATABASE_URL"].startswith("mysql+pymysql://oasis:")
        assert service["env_file"] == ".env"
    assert services["migrate"]["depends_on"]["mariadb"]["condition"] == "service_healthy"
    assert services["migrate"]["command"] == ["oasis", "db", "upgrade"]


def test_port_is_honoured(compose: dict) -> None:
    for name in ("api-1", "api-2"):
        service = compose["services"][name]
        assert service["environment"]["PORT"] == "${PORT:-3000}"
        assert service["ports"][0].endswith(":${PORT:-3000}")
        assert "--port" not in service["command"]  # the server reads PORT itself


def test_every_variable_compose_needs_is_in_the_example_env(compose: dict) -> None:
    used = set(VARIABLE.findall((ROOT / "compose.yaml").read_text(encoding="utf-8")))
    example = (ROOT / "deploy" / "oasis.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert used <= listed, f"missing from deploy/oasis.env.example: {sorted(used - listed)}"


def test_the_dockerfile_installs_the_server_and_checks_the_api() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert base and ":" in base.group(1) and not base.group(1).endswith(":latest")
    assert "pip install '.[all]'" in dockerfile
    assert re.search(r"^USER oasis$", dockerfile, flags=re.MULTILINE)
    assert 'CMD ["oasis", "health", "--quiet"]' in dockerfile
    assert "PORT=3000" in dockerfile and "fonts-noto-cjk" in dockerfile
    copied = re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE)
    for line in copied:
        for path in line.split():
            assert (ROOT / path).exists(), path


class _FakeRedis:
    def __init__(self, members: dict[str, float]) -> None:
        self.members = members

    def zrangebyscore(self, key: str, low: float, high: str) -> list[bytes]:
        assert key == WORKERS_KEY and high == "+inf"
        return [name.encode() for name, score in self.members.items() if score >= low]


def test_worker_health_looks_for_this_hosts_recent_heartbeat() -> None:
    now = 1_000_000.0
    redis = _FakeRedis({"box-a:12:ab": now - 5, "box-b:7:cd": now - 500})
    assert worker_health(redis, "box-a", 60, now=now) is None
    assert "no worker heartbeat from box-b" in (worker_health(redis, "box-b", 60, now=now) or "")
    assert worker_health(redis, "box", 60, now=now) is not None  # a host name is matched whole


def test_scheduler_health_reads_the_heartbeat_files_age(tmp_path: Path) -> None:
    beat = tmp_path / "alive"
    assert "no scheduler heartbeat" in (scheduler_health(beat, 60) or "")
    beat.touch()
    assert scheduler_health(beat, 60) is None
    assert "old" in (scheduler_health(beat, 60, now=time.time() + 120) or "")


@pytest.fixture
def health_server() -> Iterator[tuple[str, list[int]]]:
    status = [200]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status[0])
            self.end_headers()
            self.wfile.write(b'{"status": "down", "database": "down"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/health", status
    server.shutdown()


def test_api_health_needs_a_200(health_server: tuple[str, list[int]]) -> None:
    url, status = health_server
    assert api_health(url) is None
    status[0] = 503
    assert "answered 503" in (api_health(url) or "") and "database" in (api_health(url) or "")
    assert "did not answer" in (api_health("http://127.0.0.1:9/api/health", timeout=2) or "")
