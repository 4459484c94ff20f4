"""The render job: one attempt at a time, counted attempts, writes only under the lease, no stray files."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from tests.server.video_support import (  # noqa: F401 - pytest fixtures
    HOOKED,
    HOOKS,
    clear_hooks,
    insert_video,
    job_catalog,
    job_server_catalog,
    load,
    make_user,
    owner_id,
    stored_files,
)

from oasis_core.domain.video import RenderStage
from oasis_core.errors import ProviderError, RetryableProviderError
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video
from oasis_server.db.types import utcnow
from oasis_server.jobs import leases
from oasis_server.jobs.render_job import INTERNAL_ERROR, Lease, LeaseKeeper, ProgressWriter, VideoRenderer


def take(context: ServerContext, video_id: str, token: str, **kwargs: Any) -> bool:
    now = kwargs.pop("now", utcnow())
    with context.session() as session:
        return leases.claim(session, video_id, token, now, context.settings.video_lease_seconds)


def steal(context: ServerContext, video_id: str) -> None:
    """Another worker takes the row over (its lease lapsed and someone claimed it)."""
    with context.session() as session:
        session.execute(update(Video).where(Video.id == video_id).values(lease_owner="somebody-else"))


# --- the claim ----------------------------------------------------------------------------------


def test_of_two_claims_one_wins_and_counts_one_attempt(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id)
    assert take(context, video_id, "first")
    assert not take(context, video_id, "second")
    row = load(context, video_id)
    assert row is not None and (row.lease_owner, row.attempts) == ("first", 1)
    assert row.lease_until is not None and row.lease_until > utcnow()


def test_of_many_concurrent_claims_exactly_one_wins(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id)
    start = threading.Barrier(6)
    wins: list[str] = []

    def claim(token: str) -> None:
        start.wait()
        if take(context, video_id, token):
            wins.append(token)

    threads = [threading.Thread(target=claim, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(wins) == 1
    row = load(context, video_id)
    assert row is not None and (row.lease_owner, row.attempts) == (wins[0], 1)


def test_a_lapsed_lease_can_be_claimed_again_and_the_old_attempt_can_no_longer_write(
    context: ServerContext, user_id: str
) -> None:
    video_id = insert_video(context, user_id)
    lease = context.settings.video_lease_seconds
    assert take(context, video_id, "old")
    later = utcnow() + timedelta(seconds=lease + 1)
    assert take(context, video_id, "new", now=later)
    with context.session() as session:
        assert not leases.renew(session, video_id, "old", later, lease)
        assert not leases.report(session, video_id, "old", RenderStage.COMPOSE, 50, later, lease)
        assert not leases.complete(session, video_id, "old", {"duration": 3})
        assert not leases.fail(session, video_id, "old", "nope")
    row = load(context, video_id)
    assert row is not None and (row.lease_owner, row.attempts, row.status) == ("new", 2, "processing")


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_a_finished_video_is_never_claimed(context: ServerContext, user_id: str, status: str) -> None:
    video_id = insert_video(context, user_id, status=status)
    assert not take(context, video_id, "late")
    assert VideoRenderer(context).run(video_id) == "skipped"
    assert VideoRenderer(context).run("00000000-0000-4000-8000-000000000000") == "skipped"


def test_progress_never_goes_down(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id)
    assert take(context, video_id, "me")
    lease = context.settings.video_lease_seconds
    with context.session() as session:
        assert leases.report(session, video_id, "me", RenderStage.COMPOSE, 60, utcnow(), lease)
    with context.session() as session:
        assert leases.report(session, video_id, "me", RenderStage.COMPOSE, 40, utcnow(), lease)
    row = load(context, video_id)
    assert row is not None and row.progress == 60


# --- the renderer -------------------------------------------------------------------------------


def test_a_render_records_its_files_and_results(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    assert VideoRenderer(context).run(video_id) == "completed"
    row = load(context, video_id)
    assert row is not None
    assert (row.status, row.stage, row.progress, row.error) == ("completed", "done", 100, None)
    assert (row.lease_owner, row.lease_until, row.attempts) == (None, None, 1)
    assert row.url == f"/api/media/{video_id}/video.mp4"
    assert row.thumbnail_url == f"/api/media/{video_id}/thumbnail.jpg"
    assert (
        row.video_key
        and row.video_key.startswith(f"videos/{video_id}/")
        and row.video_key.endswith("/video.mp4")
    )
    assert isinstance(row.duration, int) and row.duration >= 1
    assert row.usage == {"hooked-speech": {"characters": len(row.content)}, "hooked-visuals": {"images": 1}}
    media = context.settings.data_dir / "media"
    assert sorted(p.relative_to(media).as_posix() for p in stored_files(context.settings.data_dir)) == sorted(
        [row.video_key, row.thumbnail_key]
    )


def test_stages_are_written_in_order_as_the_render_goes(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    seen: list[tuple[str, int]] = []

    def look() -> None:
        row = load(context, video_id)
        assert row is not None
        seen.append((row.stage, row.progress))

    HOOKS.update(speech=look, visuals=look, compose=look, **{"store:thumbnail.jpg": look})
    assert VideoRenderer(context).run(video_id) == "completed"
    assert [stage for stage, _ in seen] == ["speech", "visuals", "compose", "upload"]
    assert [progress for _, progress in seen] == sorted(progress for _, progress in seen)
    assert 0 < seen[0][1] < seen[-1][1] < 100


def test_a_second_delivery_while_the_first_holds_the_lease_does_nothing(
    context: ServerContext, user_id: str
) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    inside, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def block() -> None:
        calls.append(1)
        inside.set()
        assert release.wait(30)

    HOOKS["speech"] = block
    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(VideoRenderer(context).run(video_id)))
    first.start()
    assert inside.wait(30)
    assert VideoRenderer(context).run(video_id) == "skipped"
    assert VideoRenderer(context).run(video_id) == "skipped"
    release.set()
    first.join(30)
    assert results == ["completed"]
    assert calls == [1]
    row = load(context, video_id)
    assert row is not None and (row.status, row.attempts) == ("completed", 1)
    assert len(stored_files(context.settings.data_dir)) == 2


def test_past_the_attempt_cap_the_video_fails_with_a_message(context: ServerContext, user_id: str) -> None:
    cap = context.settings.video_max_attempts
    stale = utcnow() - timedelta(seconds=1)
    video_id = insert_video(
        context, user_id, attempts=cap, lease_owner="dead", lease_until=stale, providers=HOOKED
    )
    HOOKS["speech"] = lambda: pytest.fail("a video past its attempts must not render")
    assert VideoRenderer(context).run(video_id) == "failed"
    row = load(context, video_id)
    assert row is not None and row.status == "failed"
    assert row.error == f"Rendering failed after {cap} attempts; try again"
    assert (row.lease_owner, row.lease_until) == (None, None)


def _raise(exc: BaseException) -> Any:
    def action() -> None:
        raise exc

    return action


def test_a_provider_failure_fails_the_video_with_its_message_and_no_files(
    context: ServerContext, user_id: str
) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    HOOKS["compose"] = _raise(ProviderError("The video could not be encoded: the disk is full"))
    assert VideoRenderer(context).run(video_id) == "failed"
    row = load(context, video_id)
    assert row is not None and (row.status, row.error) == (
        "failed",
        "The video could not be encoded: the disk is full",
    )
    assert row.video_key is None and row.lease_owner is None
    assert stored_files(context.settings.data_dir) == []


def test_an_unexpected_error_fails_with_a_generic_message_and_no_internals(
    context: ServerContext, user_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    HOOKS["visuals"] = _raise(KeyError("secret internals"))
    assert VideoRenderer(context).run(video_id) == "failed"
    row = load(context, video_id)
    assert row is not None and row.error == INTERNAL_ERROR
    assert "Traceback" in caplog.text or "secret internals" in caplog.text  # the log keeps the details


def test_a_storage_failure_after_the_video_was_stored_leaves_no_files(
    context: ServerContext, user_id: str
) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    HOOKS["store:video.mp4"] = _raise(ProviderError("The bucket refused the upload"))
    assert VideoRenderer(context).run(video_id) == "failed"
    row = load(context, video_id)
    assert row is not None and (row.status, row.error) == ("failed", "The bucket refused the upload")
    assert stored_files(context.settings.data_dir) == []


def test_an_attempt_taken_over_mid_render_stops_without_writing(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    HOOKS["speech"] = lambda: steal(context, video_id)
    assert VideoRenderer(context).run(video_id) == "lost"
    row = load(context, video_id)
    assert row is not None
    assert (row.status, row.lease_owner, row.error, row.video_key) == (
        "processing",
        "somebody-else",
        None,
        None,
    )
    assert stored_files(context.settings.data_dir) == []


def test_an_attempt_taken_over_after_uploading_deletes_its_files(
    context: ServerContext, user_id: str
) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    HOOKS["store:thumbnail.jpg"] = lambda: steal(context, video_id)
    assert VideoRenderer(context).run(video_id) == "lost"
    row = load(context, video_id)
    assert row is not None and (row.status, row.video_key) == ("processing", None)
    assert stored_files(context.settings.data_dir) == []


def test_a_video_deleted_mid_render_leaves_no_files(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)

    def delete_row() -> None:
        with context.session() as session:
            session.execute(Video.__table__.delete().where(Video.id == video_id))

    HOOKS["store:video.mp4"] = delete_row
    assert VideoRenderer(context).run(video_id) == "lost"
    assert load(context, video_id) is None
    assert stored_files(context.settings.data_dir) == []


def test_a_passing_provider_failure_hands_the_video_back_for_a_later_attempt(
    context: ServerContext, user_id: str
) -> None:
    video_id = insert_video(context, user_id, providers=HOOKED)
    HOOKS["visuals"] = _raise(RetryableProviderError("Rate limited", retry_after=60))
    before = utcnow()
    assert VideoRenderer(context).run(video_id) == "retry"
    row = load(context, video_id)
    assert row is not None and (row.status, row.stage, row.lease_owner, row.attempts) == (
        "processing",
        "queued",
        None,
        1,
    )
    assert row.lease_until is not None and row.lease_until >= before + timedelta(seconds=59)
    with context.session() as session:
        session.execute(
            update(Video).where(Video.id == video_id).values(attempts=context.settings.video_max_attempts - 1)
        )
    assert VideoRenderer(context).run(video_id) == "failed"  # the last attempt does not hand back
    row = load(context, video_id)
    assert row is not None and (row.status, row.error) == ("failed", "Rate limited")


# --- leases kept in the background -----------------------------------------------------------------


def test_the_keeper_renews_held_leases_and_notices_a_takeover(context: ServerContext, user_id: str) -> None:
    video_id = insert_video(context, user_id)
    assert take(context, video_id, "mine")
    first = load(context, video_id)
    assert first is not None and first.lease_until is not None
    keeper = LeaseKeeper(context)
    lease = Lease(video_id, "mine")
    keeper.add(lease)
    keeper.renew_all()
    renewed = load(context, video_id)
    assert (
        renewed is not None and renewed.lease_until is not None and renewed.lease_until >= first.lease_until
    )
    assert not lease.lost.is_set()
    steal(context, video_id)
    keeper.renew_all()
    assert lease.lost.is_set()
    writer = ProgressWriter(context, lease)
    with pytest.raises(Exception, match=video_id):
        writer(RenderStage.COMPOSE, 0.5)


def test_releasing_on_shutdown_hands_the_video_back_without_counting_the_attempt(
    context: ServerContext, user_id: str
) -> None:
    video_id = insert_video(context, user_id)
    assert take(context, video_id, "mine")
    keeper = LeaseKeeper(context)
    lease = Lease(video_id, "mine")
    keeper.add(lease)
    keeper.release_all()
    row = load(context, video_id)
    assert row is not None and (row.lease_owner, row.attempts, row.stage) == (None, 0, "queued")
    assert row.lease_until is not None and row.lease_until <= utcnow()
    assert lease.lost.is_set()
