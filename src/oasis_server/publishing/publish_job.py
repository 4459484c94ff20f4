"""Publishing one claimed post: what the ``publish_post`` actor runs.

:meth:`PostPublisher.run` gets a post id and the claim token the scheduler
took. It works only while it holds that claim (a redelivered or stale message
does nothing), keeps the claim alive while it uploads, stores the platform's
id the moment the publisher reports it, and ends the claim as ``published``,
``pending`` (a transient failure, retried with backoff) or ``failed`` (a
permanent one, with a reason the user can act on). Refreshed tokens are saved
back encrypted whatever the outcome.

Several workers may publish for the same account at once, and platforms that
rotate refresh tokens (TikTok) refuse the second refresh made with the same
one. So a token that expires soon is refreshed before publishing and saved at
once with a compare-and-set on the stored tokens; a worker whose refresh is
refused picks up the tokens another worker just saved instead of marking the
account expired. Every write of tokens or of an expiry is a compare-and-set
on the tokens this worker read, so a worker never overwrites tokens that are
newer than its own (another worker's refresh, or the user connecting again).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from attrs import evolve
from sqlalchemy import select, update

from oasis_core.domain.publishing import AccountStatus, PublishRequest, PublishResult, SocialAccount
from oasis_core.errors import (
    InvalidInput,
    NeedsCredentials,
    OasisError,
    ProviderError,
    RetryableProviderError,
)
from oasis_server.api.context import ServerContext
from oasis_server.db.models import ScheduledPost, Video
from oasis_server.db.models import SocialAccount as AccountRow
from oasis_server.db.types import utcnow
from oasis_server.jobs.leases import short
from oasis_server.jobs.limits import is_active
from oasis_server.publishing import posts
from oasis_server.publishing.accounts import account_of, credentials_changed, save_tokens
from oasis_server.publishing.platforms import build_publisher, supports
from oasis_server.publishing.post_options import post_request
from oasis_server.security.secret_box import SecretUnreadable

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Publishing failed because of an internal error; it will be retried"

REFRESH_AHEAD = timedelta(minutes=10)
"""Tokens expiring sooner than this are refreshed before publishing (the publishers' own margin is 5 minutes)."""

RIVAL_WAIT_SECONDS = 3.0
"""After a refused refresh: how long to look for tokens another worker refreshed and is saving."""


class StoredTokens:
    """Which stored tokens this worker holds: the account row and the access token's ciphertext as last read
    or written (every save encrypts afresh, so the ciphertext changes with every save)."""

    def __init__(self, row: AccountRow) -> None:
        self.row_id = row.id
        self.version = row.access_token


class ClaimLost(Exception):
    """The claim was recovered by a scheduler (this worker went silent too long): stop without writing."""


class ClaimKeeper(threading.Thread):
    """Renews one post's claim every quarter lease while its upload runs."""

    def __init__(self, context: ServerContext, post_id: str, token: str) -> None:
        super().__init__(name=f"oasis-post-claim-{post_id[:8]}", daemon=True)
        self.context, self.post_id, self.token = context, post_id, token
        self.interval = max(0.25, context.settings.post_lease_seconds / 4)
        self.lost = threading.Event()
        self._done = threading.Event()

    def run(self) -> None:
        """Renew until stopped or until the claim is found lost."""
        while not self._done.wait(self.interval):
            try:
                with self.context.session() as session:
                    if not posts.renew(session, self.post_id, self.token, utcnow()):
                        self.lost.set()
                        return
            except Exception as exc:  # the database blinked: try again next interval
                log.warning("Could not renew the claim on post %s: %s", self.post_id, type(exc).__name__)

    def stop(self) -> None:
        """Stop renewing."""
        self._done.set()


class PostPublisher:
    """Publishes claimed posts with the installed publisher of each platform."""

    def __init__(self, context: ServerContext) -> None:
        self.context = context

    def run(self, post_id: str, token: str) -> str:
        """Publish ``post_id`` under claim ``token``; returns the post's status afterwards (or ``"skipped"``)."""
        context = self.context
        with context.session() as session:
            owner = session.scalar(select(ScheduledPost.user_id).where(ScheduledPost.id == post_id))
            if owner is not None and not is_active(session, owner):
                # the owner was deactivated after the claim: hand the post back, uncounted; the
                # scheduler leaves it alone until the owner is active again
                posts.release(session, post_id, token, utcnow())
                return "held"
            if not posts.start(session, post_id, token, utcnow(), context.settings.post_max_attempts):
                return "skipped"  # a stale or repeated message: someone else owns this post now
        with context.sessions() as session:
            post = session.get(ScheduledPost, post_id)
            if post is None or post.status != "publishing" or post.claim != token:
                return "skipped"  # recovered by a scheduler in between
            video = session.get(Video, post.video_id) if post.video_id else None
            row = session.scalar(
                select(AccountRow).where(
                    AccountRow.user_id == post.user_id, AccountRow.platform == post.platform
                )
            )
            session.expunge_all()
        if video is None or video.status != "completed" or not video.video_key:
            return self._fail(post, token, "The video is gone or not rendered, so it was not published")
        if row is None:
            return self._fail(
                post, token, f"No {post.platform} account is connected; connect it and schedule again"
            )
        if row.status != "active":
            return self._fail(
                post, token, row.status_message or f"The {post.platform} account needs reconnecting"
            )
        try:
            account = account_of(row, context.secrets)
        except SecretUnreadable:
            return self._fail(
                post, token, f"The {post.platform} tokens could not be read; reconnect the account"
            )
        stored = StoredTokens(row)
        before = evolve(account)
        keeper = ClaimKeeper(context, post.id, token)
        keeper.start()
        try:
            if self._refresh_ahead(post.platform, stored, account):
                before = evolve(account)  # saved already
            with tempfile.TemporaryDirectory(prefix="oasis-publish-") as folder:
                path = self._fetch(video, Path(folder))
                request = post_request(
                    video, post.content, path, options=post.options, platform_id=post.platform_id
                )
                result = self._publish(post, token, request, account, keeper)
        except ClaimLost:
            log.warning("Post %s: the claim was recovered by a scheduler while publishing", post.id)
            return "lost"
        except NeedsCredentials as exc:
            if self._stored_version(stored) != stored.version:
                # another worker refreshed the tokens meanwhile, or the account was connected again
                return self._retry(post, token, f"{exc.message} (retrying with newer tokens)", None)
            self._expire(stored, exc.message)
            return self._fail(post, token, f"{exc.message}. Reconnect your {post.platform} account")
        except RetryableProviderError as exc:
            return self._retry(post, token, exc.message, exc.retry_after)
        except (InvalidInput, ProviderError) as exc:
            return self._fail(post, token, exc.message)
        except OasisError as exc:
            return self._retry(post, token, exc.message, None)
        except Exception:
            log.exception("Post %s: unexpected error while publishing", post.id)
            return self._retry(post, token, INTERNAL_ERROR, None)
        finally:
            keeper.stop()
            if credentials_changed(before, account):
                self._save_account(stored, account)
        with context.session() as session:
            done = posts.finish(session, post.id, token, utcnow(), result.platform_id, result.url)
        log.info("Post %s published on %s as %s", post.id, post.platform, result.platform_id)
        return "published" if done else "lost"

    def _publish(
        self,
        post: ScheduledPost,
        token: str,
        request: PublishRequest,
        account: SocialAccount,
        keeper: ClaimKeeper,
    ) -> PublishResult:
        publisher: Any = build_publisher(self.context, post.platform)
        if supports(publisher, "check"):
            publisher.check(request)

        def remember(platform_id: str) -> None:
            with self.context.session() as session:
                if not posts.record_platform_id(session, post.id, token, platform_id):
                    raise ClaimLost(post.id)

        if keeper.lost.is_set():
            raise ClaimLost(post.id)
        result: PublishResult = publisher.publish(request, account, on_platform_id=remember)
        if keeper.lost.is_set():
            raise ClaimLost(post.id)
        return result

    def _fetch(self, video: Video, folder: Path) -> Path:
        """The video file on local disk (copied out of the blob store)."""
        path = folder / "video.mp4"
        assert video.video_key is not None
        with self.context.blob_store().open(video.video_key) as source, path.open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        return path

    def _fail(self, post: ScheduledPost, token: str, message: str) -> str:
        with self.context.session() as session:
            posts.fail(session, post.id, token, utcnow(), message)
        log.info("Post %s failed: %s", post.id, short(message))
        return "failed"

    def _retry(self, post: ScheduledPost, token: str, message: str, retry_after: float | None) -> str:
        if post.attempts >= self.context.settings.post_max_attempts:
            return self._fail(post, token, f"{message} (gave up after {post.attempts} attempts)")
        wait = posts.backoff_seconds(post.attempts, retry_after, self.context.settings.post_backoff_seconds)
        with self.context.session() as session:
            posts.retry_later(session, post.id, token, utcnow(), wait, message)
        log.info("Post %s will be retried in %.0f s: %s", post.id, wait, short(message))
        return "pending"

    def _refresh_ahead(self, platform: str, stored: StoredTokens, account: SocialAccount) -> bool:
        """Refresh tokens that expire soon and save them at once; ``True`` if ``account`` now holds
        what is stored (its own refresh, or another worker's). Raises ``NeedsCredentials`` when the
        platform refuses the refresh and no other worker saved newer tokens."""
        expires = account.token_expires_at
        if expires is None or not account.refresh_token or expires - utcnow() > REFRESH_AHEAD:
            return False
        publisher: Any = build_publisher(self.context, platform)
        if not supports(publisher, "refresh"):
            return False
        try:
            publisher.refresh(account)
        except NeedsCredentials:
            deadline = time.monotonic() + RIVAL_WAIT_SECONDS
            while True:
                if self._adopt_newer(stored, account):
                    log.info("Using the %s tokens another worker refreshed", platform)
                    return True
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        except OasisError as exc:  # not refreshable here (settings, network): the publisher decides
            log.info("Could not refresh the %s tokens ahead (%s)", platform, type(exc).__name__)
            return False
        if not self._save_account(stored, account):
            self._adopt_newer(stored, account)
        return True

    def _stored_version(self, stored: StoredTokens) -> str | None:
        with self.context.sessions() as session:
            version: str | None = session.scalar(
                select(AccountRow.access_token).where(AccountRow.id == stored.row_id)
            )
        return version

    def _adopt_newer(self, stored: StoredTokens, account: SocialAccount) -> bool:
        """Load tokens saved since ``stored`` into ``account``; ``False`` if there are none."""
        with self.context.sessions() as session:
            row = session.get(AccountRow, stored.row_id)
            if row is None or row.access_token == stored.version or row.status != AccountStatus.ACTIVE.value:
                return False
            session.expunge(row)
        try:
            newer = account_of(row, self.context.secrets)
        except SecretUnreadable:
            return False
        account.access_token, account.refresh_token = newer.access_token, newer.refresh_token
        account.token_expires_at, account.session = newer.token_expires_at, newer.session
        account.account_id = newer.account_id or account.account_id
        stored.version = row.access_token
        return True

    def _expire(self, stored: StoredTokens, message: str) -> None:
        """Mark the account expired, unless its tokens changed since this worker read them."""
        with self.context.session() as session:
            session.execute(
                update(AccountRow)
                .where(AccountRow.id == stored.row_id, AccountRow.access_token == stored.version)
                .values(status=AccountStatus.EXPIRED.value, status_message=short(message))
            )

    def _save_account(self, stored: StoredTokens, account: SocialAccount) -> bool:
        """Save refreshed tokens, unless the stored ones changed since this worker read them (theirs are
        newer: another worker's refresh, or the account connected again); keeps the status as stored."""
        with self.context.session() as session:
            version = save_tokens(session, stored.row_id, stored.version, account, self.context.secrets)
        if version is None:
            log.info("Not saving refreshed tokens: the account's tokens changed meanwhile")
            return False
        stored.version = version
        return True
