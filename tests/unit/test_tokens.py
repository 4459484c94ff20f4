"""Session tokens: what verifies, what does not, and that remembering verified tokens changes neither."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oasis_server.security.tokens import InvalidToken, TokenService

SECRET = "s" * 48


def test_a_token_verifies_to_its_claims_again_and_again() -> None:
    service = TokenService(SECRET, timedelta(hours=1))
    issued = service.issue("user-1", datetime.now(UTC))
    first, second = service.verify(issued.token), service.verify(issued.token)
    assert first == second
    assert (first.sub, first.jti) == ("user-1", issued.jti)
    assert first.expires_at == issued.expires_at


def test_a_remembered_token_still_expires() -> None:
    service = TokenService(SECRET, timedelta(hours=1))
    now = datetime.now(UTC)
    issued = service.issue("user-1", now - timedelta(hours=1) + timedelta(seconds=2))  # 1–2 s left
    service.verify(issued.token)
    time.sleep(max(0.0, (issued.expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    with pytest.raises(InvalidToken, match="expired"):
        service.verify(issued.token)


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw-_xyz0"))
def test_a_token_changed_anywhere_after_it_verified_is_refused(position: int, replacement: str) -> None:
    service = TokenService(SECRET, timedelta(hours=1))
    token = service.issue("user-1", datetime.now(UTC)).token
    service.verify(token)
    index = position % len(token)
    if token[index] in {".", replacement}:
        return
    tampered = token[:index] + replacement + token[index + 1 :]
    try:
        claims = service.verify(tampered)
    except InvalidToken:
        return
    # only the signature's last character carries spare bits: a change there may decode to the same bytes
    assert index == len(token) - 1
    assert claims == service.verify(token)


def test_an_other_secret_or_none_algorithm_is_refused_even_for_a_remembered_subject() -> None:
    service = TokenService(SECRET, timedelta(hours=1))
    service.verify(service.issue("user-1", datetime.now(UTC)).token)
    stranger = TokenService("t" * 48, timedelta(hours=1)).issue("user-1", datetime.now(UTC)).token
    claims = jwt.decode(stranger, options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (stranger, unsigned):
        with pytest.raises(InvalidToken):
            service.verify(token)
