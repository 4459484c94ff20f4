"""The OAuth half of the fake Google: the consent page, the token endpoint and revocation.

It is as strict as Google is documented or known to be; each rule below names
its source. What a real consent page does (sign-in, the consent screen) is
collapsed into one step: ``GET /o/oauth2/v2/auth`` checks the request and
answers 302 to ``redirect_uri?code=…&state=…&scope=…``, the code remembering
the redirect URI, the scopes and the PKCE challenge it was given.

Rules of the code exchange (``POST /token``, ``grant_type=authorization_code``):

* the client id and secret must match, else 401 ``invalid_client``;
* a code is single-use, and unknown codes are refused with ``invalid_grant``;
* ``redirect_uri`` must be the one of the consent request, else ``redirect_uri_mismatch``;
* PKCE: a verifier without a challenge, a challenge without a verifier, and a
  verifier that does not match the challenge are each refused with
  ``invalid_grant`` and Google's own description.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, urlencode

from attrs import define
from tests.fakes.http_server import Recorded, Reply

CLIENT_ID = "1234567890-oasis.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-secret"
ACCESS_TOKEN = "ya29.fake-access-token"
"""An access token the fake accepts from the start."""
REFRESH_TOKEN = "1//fake-refresh-token"
"""A refresh token the fake accepts from the start."""
SCOPES = "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly"
CONSENT_PATH = "/o/oauth2/v2/auth"
"""The consent page's path, as on accounts.google.com."""


def s256(verifier: str) -> str:
    """The S256 PKCE challenge of ``verifier`` (RFC 7636 section 4.2: base64url of SHA-256, no padding)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def oauth_error(error: str, description: str, status: int = 400) -> Reply:
    """Google's token endpoint error body: ``{"error", "error_description"}`` (RFC 6749 section 5.2)."""
    return Reply(status, {"error": error, "error_description": description})


@define
class Consent:
    """What one code was issued for."""

    scope: str
    redirect_uri: str
    challenge: str | None = None
    method: str | None = None


class GoogleOAuth:
    """The consent page, token and revoke routes, mixed in of :class:`~tests.fakes.google_api.FakeGoogle`."""

    oauth_routes = (
        ("GET", r"^/o/oauth2/v2/auth$", "_consent"),
        ("POST", r"^/token$", "_token"),
        ("POST", r"^/revoke$", "_revoke"),
    )

    def reset_oauth(self) -> None:
        """Forget codes and issued tokens; accept :data:`ACCESS_TOKEN` and :data:`REFRESH_TOKEN` again."""
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.redirect_uris: set[str] = set()
        """The redirect URIs registered with the OAuth client (Google refuses any other)."""
        self.access_tokens: set[str] = {ACCESS_TOKEN}
        self.refresh_tokens: set[str] = {REFRESH_TOKEN}
        self.codes: dict[str, Consent] = {}
        self.rotate_refresh_tokens = False
        self.expires_in = 3599
        self.granted_scope = SCOPES
        """What the user ticks on the consent page (``SCOPES``: everything asked for)."""
        self._oauth_lock = threading.Lock()

    # -- scripting ---------------------------------------------------------
    def register_redirect(self, uri: str) -> None:
        """Add ``uri`` to the OAuth client's authorised redirect URIs."""
        self.redirect_uris.add(uri)

    def new_code(
        self,
        scope: str = SCOPES,
        *,
        redirect_uri: str,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        """An authorization code, as the consent page would hand out for that request."""
        code = f"4/fake-code-{secrets.token_hex(6)}"
        method = code_challenge_method or ("plain" if code_challenge else None)
        with self._oauth_lock:
            self.codes[code] = Consent(scope, redirect_uri, code_challenge, method)
        return code

    def issue_access_token(self) -> str:
        """A new access token the API accepts."""
        token = f"ya29.fake-{secrets.token_hex(8)}"
        self.access_tokens.add(token)
        return token

    # -- the consent page ----------------------------------------------------
    def _consent(self, request: Recorded, match: Any) -> Reply:
        query = {key: values[0] for key, values in parse_qs(request.query).items()}
        if query.get("client_id") not in self.clients:
            # Google's consent page: "Error 401: invalid_client, The OAuth client was not found."
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in self.redirect_uris:
            # "Error 400: redirect_uri_mismatch": the URI must exactly match one registered for the
            # client (developers.google.com/identity/protocols/oauth2/web-server#uri-validation).
            return oauth_error("redirect_uri_mismatch", f"Unregistered redirect_uri: {redirect_uri}")
        if query.get("response_type") != "code":
            return oauth_error("unsupported_response_type", "response_type must be code")
        challenge = query.get("code_challenge")
        # code_challenge_method defaults to "plain" when a challenge comes without it
        # (web-server flow docs, "code_challenge_method"; RFC 7636 section 4.3).
        method = query.get("code_challenge_method") or ("plain" if challenge else None)
        if method is not None and (challenge is None or method not in {"S256", "plain"}):
            return oauth_error("invalid_request", "Invalid code_challenge_method or missing code_challenge")
        if challenge is not None and not 43 <= len(challenge) <= 128:
            # RFC 7636 section 4.2: the challenge of an S256 or plain verifier is 43-128 characters
            return oauth_error("invalid_request", "Invalid code_challenge length")
        code = self.new_code(
            self.granted_scope,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            code_challenge_method=method,
        )
        answer = {"code": code, "scope": self.granted_scope}
        if "state" in query:
            answer["state"] = query["state"]
        return Reply(302, None, headers={"Location": f"{redirect_uri}?{urlencode(answer)}"})

    # -- the token endpoint --------------------------------------------------
    def _token(self, request: Recorded, match: Any) -> Reply:
        form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._exchange(form)
        if grant == "refresh_token":
            return self._refresh(form)
        return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant}")

    def _exchange(self, form: dict[str, str]) -> Reply:
        with self._oauth_lock:
            # Codes are single-use: a second exchange of the same code is refused with invalid_grant
            # (RFC 6749 section 4.1.2: "The client MUST NOT use the authorization code more than once").
            consent = self.codes.pop(form.get("code", ""), None)
        if consent is None:
            return oauth_error("invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != consent.redirect_uri:
            # The token request's redirect_uri must be the consent request's (RFC 6749 section 4.1.3);
            # Google answers {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}.
            return oauth_error("redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier")
        if verifier and consent.challenge is None:
            # A verifier for a code issued without a challenge: Google refuses it
            # (googleapis/google-api-nodejs-client issues 3680 and 3681).
            return oauth_error("invalid_grant", "code_verifier or verifier is not needed.")
        if consent.challenge is not None and not verifier:
            # A code issued with a challenge, exchanged without a verifier (onaio/onadata issue 3068).
            return oauth_error("invalid_grant", "Missing code verifier.")
        if consent.challenge is not None and verifier is not None:
            expected = s256(verifier) if consent.method == "S256" else verifier
            if not secrets.compare_digest(expected, consent.challenge):
                return oauth_error("invalid_grant", "Invalid code verifier.")
        refresh = f"1//fake-{secrets.token_hex(8)}"
        self.refresh_tokens.add(refresh)
        return Reply(
            200,
            {
                "access_token": self.issue_access_token(),
                "expires_in": self.expires_in,
                "refresh_token": refresh,
                "scope": consent.scope,
                "token_type": "Bearer",
            },
        )

    def _refresh(self, form: dict[str, str]) -> Reply:
        refresh = form.get("refresh_token", "")
        if refresh not in self.refresh_tokens:
            return oauth_error("invalid_grant", "Token has been expired or revoked.")
        answer: dict[str, Any] = {
            "access_token": self.issue_access_token(),
            "expires_in": self.expires_in,
            "scope": SCOPES,
            "token_type": "Bearer",
        }
        if self.rotate_refresh_tokens:
            self.refresh_tokens.discard(refresh)
            answer["refresh_token"] = f"1//fake-{secrets.token_hex(8)}"
            self.refresh_tokens.add(answer["refresh_token"])
        return Reply(200, answer)

    def _revoke(self, request: Recorded, match: Any) -> Reply:
        form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        token = form.get("token", "")
        if token in self.refresh_tokens or token in self.access_tokens:
            self.refresh_tokens.discard(token)
            self.access_tokens.discard(token)
            return Reply(200, {})
        return oauth_error("invalid_token", "Token expired or revoked")
