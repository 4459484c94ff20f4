"""``POST /api/voices/install``: an admin installs a voice from a speech engine's catalogue (Piper's).

The download (tens of megabytes) runs in a worker thread, never on the event
loop; the engine checks every file's size and digest against the catalogue
and installs nothing unless all of them match. Errors keep the API's shape:
``400`` for a malformed or unknown name (or an engine that installs no
voices), ``403`` for a user who is not an admin, ``503`` when the catalogue
cannot be reached (the message names ``OASIS_PIPER_VOICES_URL``, to point the
server at a mirror) and ``502`` when it answers with files that do not check
out.
"""

from __future__ import annotations

import logging
from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.datastructures import State
from litestar.di import Provide

from oasis_core.catalog import PortKind
from oasis_core.errors import InvalidInput
from oasis_server.api.context import ServerContext
from oasis_server.api.deps import SignedIn, provide_admin, provide_user
from oasis_server.api.provider_listing import forget_provider_listing
from oasis_server.api.schemas import STRICT_BODY, error_responses

log = logging.getLogger(__name__)

INSTALLING_ENGINE = "piper"
"""The speech engine a request installs into when it names none."""

VoiceName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, description="A catalogue voice: en_US-lessac-medium")
]
EngineId = Annotated[str, msgspec.Meta(min_length=1, max_length=40, description="Speech provider id (piper)")]


class InstallVoiceIn(msgspec.Struct, forbid_unknown_fields=True):
    """The voice to install and, optionally, the speech provider whose catalogue offers it (``piper``)."""

    name: VoiceName
    speech: EngineId | None = None


class InstalledVoiceOut(msgspec.Struct):
    """The voice now installed: its provider, id (what a render's ``voice`` takes), name, language, licence."""

    speech: str
    id: str
    name: str
    language: str
    licence: str | None


class VoicesController(Controller):
    """Installing voices (admins only)."""

    path = "/api/voices"
    tags = ["providers"]
    dependencies = {
        "user": Provide(provide_user),
        "admin": Provide(provide_admin, sync_to_thread=False),
    }

    @post(
        "/install",
        operation_id="installVoice",
        status_code=201,
        sync_to_thread=True,
        responses=error_responses(400, 401, 403, 502, 503),
    )
    def install_voice(
        self, data: Annotated[InstallVoiceIn, STRICT_BODY], admin: SignedIn, state: State
    ) -> InstalledVoiceOut:
        """Download a voice from the speech provider's catalogue, check it, and install it for everyone.

        Answers once the voice is installed; ``GET /api/providers`` lists it
        from then on. The first voice installed makes Piper the server's
        default speech provider (unless ``OASIS_DEFAULT_PROVIDERS`` says otherwise).
        """
        context: ServerContext = state.ctx
        speech = data.speech or INSTALLING_ENGINE
        try:
            info = context.catalog.info(PortKind.SPEECH, speech)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="speech") from None
        engine = context.catalog.create(PortKind.SPEECH, speech, context.provider_config(info))
        install = getattr(engine, "install_voice", None)
        if install is None:
            raise InvalidInput(f"The {speech} speech provider does not install voices", field="speech")
        voice = install(data.name)
        forget_provider_listing(state)
        log.info("Admin %s installed the %s voice %s", admin.id, speech, voice.id)
        return InstalledVoiceOut(speech, voice.id, voice.name, voice.language, voice.licence)


ROUTES = [VoicesController]
