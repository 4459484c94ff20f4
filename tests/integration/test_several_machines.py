"""Oasis spread over "machines": two API processes, two workers and a scheduler, each with a data
folder of its own, sharing only MariaDB, Redis and an S3 bucket (moto on 127.0.0.1).

Twenty videos are requested through both API processes; all complete, both
workers render some, and each is downloadable through either API process.
Sign-in throttling is counted in Redis, so it holds across API processes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.deployment import Deployment
from tests.s3_server import MotoServer, unique_bucket
from tests.services import MariaDBServer, RedisServer

from oasis_server.security.secret_box import generate_key

pytestmark = pytest.mark.slow

VIDEOS = 20
QUOTES = ("Begin.", "Keep going.", "Rest, then rise.", "Small steps count.", "Stay the course.")


@pytest.fixture
def cluster(
    tmp_path: Path, mariadb: MariaDBServer, private_redis: RedisServer, moto_server: MotoServer
) -> Iterator[Deployment]:
    bucket = unique_bucket()
    moto_server.client().create_bucket(Bucket=bucket)
    database = mariadb.create_database()
    shared = {
        "DATABASE_URL": mariadb.url(database),
        "JWT_SECRET": "several-machines-share-this-secret-0123456789",
        "OASIS_SECRET_KEYS": generate_key(),
        "STORAGE_BUCKET": bucket,
        "S3_ENDPOINT_URL": moto_server.endpoint_url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "OASIS_LOGIN_MAX_FAILURES": "4",
        # one user queues every video at once, rendered by every machine's workers
        "OASIS_MAX_QUEUED_RENDERS": "50",
        "OASIS_MAX_CONCURRENT_RENDERS": "50",
    }
    deployment = Deployment(tmp_path, private_redis, **shared)
    assert deployment.oasis("db", "upgrade").returncode == 0
    try:
        yield deployment
    finally:
        deployment.stop_all()
        moto_server.empty_and_remove(bucket)
        mariadb.drop_database(database)


def test_api_processes_workers_and_a_scheduler_share_only_the_database_redis_and_a_bucket(
    cluster: Deployment,
) -> None:
    apis = [cluster.start_server(f"api-{n}") for n in (1, 2)]
    workers = [cluster.start_worker(data_dir=f"worker-{n}") for n in (1, 2)]
    cluster.start_scheduler(data_dir="scheduler")
    clients = [httpx.Client(base_url=url, timeout=30) for url in apis]
    try:
        registered = clients[0].post(
            "/api/auth/register",
            json={"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"},
        )
        assert registered.status_code == 201, registered.text
        token = (
            clients[1]
            .post("/api/auth/login", json={"email": "ada@example.com", "password": "correct horse battery"})
            .json()["token"]
        )  # signed in through the other process
        headers = {"Authorization": f"Bearer {token}"}

        video_ids = []
        for index in range(VIDEOS):
            body = {
                "type": "video",
                "category": "motivation",
                "content": QUOTES[index % len(QUOTES)],
                "visual_prompt": "a quiet road at dawn",
                "style": "minimal",
            }
            accepted = clients[index % 2].post("/api/video/generate", json=body, headers=headers)
            assert accepted.status_code == 202, accepted.text
            video_ids.append(accepted.json()["id"])

        deadline = time.monotonic() + 300
        pending = set(video_ids)
        while pending and time.monotonic() < deadline:
            for video_id in sorted(pending):
                status = clients[len(pending) % 2].get(
                    f"/api/video/generate/{video_id}/status", headers=headers
                )
                if status.json()["status"] != "processing":
                    assert status.json()["status"] == "completed", (status.json(), cluster.log_text())
                    pending.discard(video_id)
            time.sleep(0.5)
        assert not pending, f"{len(pending)} videos did not finish\n{cluster.log_text()}"

        # both workers rendered some
        logs = [log.read_text() for log in cluster.logs_of(workers)]
        rendered = [sum(f"Video {video_id} completed" in log for video_id in video_ids) for log in logs]
        assert sum(rendered) == VIDEOS and all(count > 0 for count in rendered), rendered

        # each video is downloadable through either API process, straight from the bucket
        for video_id in video_ids:
            sizes = set()
            for client in clients:
                video = client.get(f"/api/video/{video_id}", headers=headers).json()
                assert video["url"].startswith(cluster.env["S3_ENDPOINT_URL"])
                download = httpx.get(video["url"], timeout=30)
                assert download.status_code == 200 and download.content[4:8] == b"ftyp"
                partial = httpx.get(video["url"], headers={"Range": "bytes=0-99"}, timeout=30)
                assert partial.status_code == 206 and len(partial.content) == 100
                sizes.add(len(download.content))
            assert len(sizes) == 1
        for data_dir in ("api-1", "api-2", "worker-1", "worker-2", "scheduler"):
            media = cluster.tmp_path / data_dir / "media"
            assert not media.exists() or not any(media.rglob("*.mp4")), f"{data_dir} kept a video locally"

        # sign-in failures are counted in Redis: the limit holds whichever process answers
        answers = [
            clients[n % 2].post("/api/auth/login", json={"email": "ada@example.com", "password": "wrong!!!!"})
            for n in range(6)
        ]
        codes = [answer.status_code for answer in answers]
        assert codes[:4] == [401] * 4 and set(codes[4:]) == {429}, codes
    finally:
        for client in clients:
            client.close()
