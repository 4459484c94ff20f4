"""Google OAuth 2.0 for the YouTube publisher: the consent URL, the code exchange, refresh and revoke.

This is the "web server" flow with offline access: the consent URL asks for
``access_type=offline`` and ``prompt=consent`` so Google returns a refresh
token every time the user connects (without ``prompt=consent`` a second
connection gets none). The token calls are plain form posts to Google's
token endpoint, made with ``httpx``; there is no client library state to keep.

PKCE (S256) is used for Google too. Google treats PKCE as optional for web
clients but refuses any mismatch: a ``code_verifier`` for a code whose
consent URL carried no ``code_challenge`` is ``invalid_grant`` "code_verifier
or verifier is not needed", a challenge without a verifier "Missing code
verifier.", a wrong verifier "Invalid code verifier.". So the server makes one
decision (the publisher's ``uses_pkce``) and keeps the verifier in the sealed
OAuth state only when it sent a challenge: the two halves cannot disagree.

Why not google-auth-oauthlib's ``Flow``: it keeps the verifier on the ``Flow``
object, and a callback served by another process must rebuild it with the
verifier anyway (the sealed state already carries it); it would bring
``requests``/``oauthlib`` as a second HTTP stack with its own TLS trust and
exceptions to map, for two form posts that this module already makes and
maps to Oasis errors. The mismatch was never in these calls, but in which
halves of PKCE the server sent.

Google usually leaves the refresh token out of a refresh answer: the account
then keeps the one it had (a new one, when sent, replaces it). A refused
refresh (``invalid_grant``: revoked by the user, the password changed, or the
seven-day limit on refresh tokens of an OAuth app in *Testing* mode) raises
:class:`~oasis_core.errors.NeedsCredentials`.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from oasis_core.domain.publishing import SocialAccount
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError

PROVIDER_ID = "youtube"

AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
"""Google's consent page (setting ``auth_url``)."""
TOKEN_URL = "https://oauth2.googleapis.com/token"
"""Google's token endpoint, for the code exchange and refreshes (setting ``token_url``)."""
REVOKE_URL = "https://oauth2.googleapis.com/revoke"
"""Google's revocation endpoint (setting ``revoke_url``)."""

UPLOAD_SCOPE = "https://www.googleapis.com/auth/youtube.upload"
READONLY_SCOPE = "https://www.googleapis.com/auth/youtube.readonly"
SCOPES: tuple[str, ...] = (UPLOAD_SCOPE, READONLY_SCOPE)
"""Upload videos, and read the channel and the uploaded videos' status (``channels.list``, ``videos.list``)."""

_RECONNECT = "reconnect the YouTube account in Oasis"


def authorization_url(
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    auth_url: str = AUTH_URL,
    code_challenge: str | None = None,
) -> str:
    """The Google consent URL asking for :data:`SCOPES` with offline access.

    ``code_challenge`` is the S256 challenge of the verifier that
    :meth:`GoogleTokens.exchange` will send; give neither or both.
    """
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": state,
    }
    if code_challenge:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = "S256"
    separator = "&" if "?" in auth_url else "?"
    return f"{auth_url}{separator}{urlencode(params)}"


def expiry_from(answer: Mapping[str, Any], *, now: datetime | None = None) -> datetime | None:
    """When the access token in a token answer expires (``expires_in`` seconds from now), UTC."""
    seconds = answer.get("expires_in")
    if seconds is None:
        return None
    try:
        return (now or datetime.now(UTC)) + timedelta(seconds=float(seconds))
    except (TypeError, ValueError):
        return None


class GoogleTokens:
    """The token endpoint calls, for one OAuth client (``client_id``/``client_secret``)."""

    def __init__(
        self,
        *,
        client_id: str | None,
        client_secret: str | None,
        token_url: str = TOKEN_URL,
        revoke_url: str = REVOKE_URL,
        timeout: float = 30.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_url = token_url
        self.revoke_url = revoke_url
        self.timeout = timeout
        self.verify = verify

    # -- the grants --------------------------------------------------------
    def exchange(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> dict[str, Any]:
        """Trade the callback's ``code`` for tokens; return Google's answer (``access_token`` …).

        ``code_verifier`` only when the consent URL carried its challenge, and
        ``redirect_uri`` exactly as in the consent URL: Google refuses both mismatches.
        """
        if not code:
            raise InvalidInput("The Google callback carried no authorization code", field="code")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            **self._client(),
        }
        if code_verifier:
            form["code_verifier"] = code_verifier
        answer = self._post_token(form, during="connecting the YouTube account")
        if not answer.get("access_token"):
            raise ProviderError("Google's token answer had no access token", provider=PROVIDER_ID)
        granted = str(answer.get("scope") or "").split()
        if granted and UPLOAD_SCOPE not in granted:
            raise NeedsCredentials(
                "Google did not grant permission to upload videos: connect the YouTube account again and "
                "tick every permission on Google's consent page",
                provider=PROVIDER_ID,
            )
        return answer

    def refresh(self, account: SocialAccount) -> None:
        """Get a fresh access token for ``account`` and write it, and its expiry, into the account."""
        if not account.refresh_token:
            raise NeedsCredentials(
                f"The YouTube account has no refresh token, so its access cannot be renewed: {_RECONNECT}",
                provider=PROVIDER_ID,
            )
        answer = self._post_token(
            {"grant_type": "refresh_token", "refresh_token": account.refresh_token, **self._client()},
            during="renewing the YouTube account's access",
        )
        token = answer.get("access_token")
        if not token:
            raise ProviderError("Google's refresh answer had no access token", provider=PROVIDER_ID)
        account.access_token = str(token)
        account.refresh_token = str(answer.get("refresh_token") or account.refresh_token)
        account.token_expires_at = expiry_from(answer)

    def revoke(self, token: str) -> bool:
        """Revoke ``token`` (a refresh token revokes the whole grant); ``True`` when Google confirmed it.

        Best effort: an answer saying the token is already invalid counts as done, and a
        network failure or a 5xx answer returns ``False`` instead of raising.
        """
        try:
            with self._http() as client:
                response = client.post(self.revoke_url, data={"token": token})
        except httpx.HTTPError:
            return False
        return response.status_code == 200 or (
            response.status_code == 400 and _json(response).get("error") == "invalid_token"
        )

    # -- plumbing ----------------------------------------------------------
    def _client(self) -> dict[str, str]:
        if not self.client_id or not self.client_secret:
            raise ProviderError(
                "The YouTube publisher has no OAuth client: set YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET "
                "(a Google Cloud OAuth client of type 'Web application', see docs/publishing.md)",
                provider=PROVIDER_ID,
            )
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def _http(self) -> httpx.Client:
        return httpx.Client(timeout=self.timeout, verify=self.verify)

    def _post_token(self, form: dict[str, str], *, during: str) -> dict[str, Any]:
        try:
            with self._http() as client:
                response = client.post(self.token_url, data=form, headers={"Accept": "application/json"})
        except httpx.TimeoutException as exc:
            raise RetryableProviderError(
                f"Google's token endpoint did not answer in time while {during}", provider=PROVIDER_ID
            ) from exc
        except httpx.HTTPError as exc:
            raise RetryableProviderError(
                f"Could not reach Google's token endpoint while {during}: {exc}", provider=PROVIDER_ID
            ) from exc
        answer = _json(response)
        if response.status_code == 200:
            return answer
        error = str(answer.get("error") or "")
        detail = str(answer.get("error_description") or error or f"HTTP {response.status_code}")
        if error == "invalid_grant":
            raise NeedsCredentials(
                f"Google refused the YouTube authorization ({detail}): it was revoked, expired (an OAuth app "
                f"in 'Testing' mode gets refresh tokens that last 7 days) or already used; {_RECONNECT}",
                provider=PROVIDER_ID,
            )
        if error == "redirect_uri_mismatch":
            raise ProviderError(
                f"Google refused the callback address ({detail}): it must be the same in the consent request "
                "and the code exchange, and registered with the OAuth client; check OASIS_PUBLIC_URL and the "
                "client's authorised redirect URIs",
                provider=PROVIDER_ID,
            )
        if error in {"invalid_client", "unauthorized_client"}:
            raise ProviderError(
                f"Google refused the OAuth client ({detail}): check YOUTUBE_CLIENT_ID and "
                "YOUTUBE_CLIENT_SECRET and that the client is of type 'Web application'",
                provider=PROVIDER_ID,
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableProviderError(
                f"Google's token endpoint answered HTTP {response.status_code} while {during}; try again later",
                provider=PROVIDER_ID,
            )
        raise ProviderError(
            f"Google refused the token request while {during}: {detail}", provider=PROVIDER_ID
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
