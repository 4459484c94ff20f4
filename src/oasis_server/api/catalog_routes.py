"""``/api/providers`` and ``/api/plugins``: what the installed plugins offer and the choices a dashboard shows."""

from __future__ import annotations

import logging
from typing import Annotated

from litestar import Controller, get, put
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import QueryParameter
from sqlalchemy import update

from oasis_server.api.context import ServerContext
from oasis_server.api.deps import SignedIn, provide_user
from oasis_server.api.provider_listing import (
    DefaultsIn,
    DefaultsOut,
    PluginsOut,
    ProvidersOut,
    defaults_out,
    listing_for_user,
    plugin_listing,
    shared_listing,
    voices_in_language,
)
from oasis_server.api.schemas import STRICT_BODY, error_responses
from oasis_server.db.models import User
from oasis_server.provider_choice import CHOOSABLE, ProviderChoice

log = logging.getLogger(__name__)


class CatalogController(Controller):
    """The installed providers and plugins."""

    path = "/api"
    tags = ["providers"]
    dependencies = {"user": Provide(provide_user)}

    @get("/providers", operation_id="listProviders", sync_to_thread=True, responses=error_responses(400, 401))
    def list_providers(
        self,
        user: SignedIn,
        state: State,
        language: Annotated[
            str | None,
            QueryParameter(max_length=35, description="Only the voices for this BCP 47 language tag"),
        ] = None,
    ) -> ProvidersOut:
        """Providers per port, categories, styles, voices per speech provider and aspects.

        ``default`` marks what a request of this user that names no provider
        uses (their saved defaults, then their keys, then the server's). The
        plugins and the server's keys do not change while it runs, so the
        common part is computed once per process, again only when a voice is
        installed (:func:`listing_stamp`). ``language`` keeps only the
        voices that speak it (``fr``; ``zh`` keeps Mandarin ``cmn``).
        """
        context: ServerContext = state.ctx
        listing = shared_listing(state, context)
        with context.sessions() as session:
            choice = ProviderChoice.for_user(context, session, user.id)
        mine = listing_for_user(context, listing, choice)
        return voices_in_language(mine, language) if language else mine

    @get(
        "/providers/defaults",
        operation_id="getProviderDefaults",
        sync_to_thread=True,
        responses=error_responses(401),
    )
    def get_defaults(self, user: SignedIn, state: State) -> DefaultsOut:
        """The user's saved default providers, and the providers a request naming none uses now."""
        return defaults_out(state.ctx, user.id)

    @put(
        "/providers/defaults",
        operation_id="saveProviderDefaults",
        sync_to_thread=True,
        responses=error_responses(400, 401),
    )
    def save_defaults(
        self, data: Annotated[DefaultsIn, STRICT_BODY], user: SignedIn, state: State
    ) -> DefaultsOut:
        """Save the user's default provider per port (``null`` clears one).

        An unknown id is refused listing the valid ones; a provider that needs
        a key neither the user nor the server has is refused saying which key
        to add.
        """
        context: ServerContext = state.ctx
        wanted = {kind.value: getattr(data, kind.value) for kind in CHOOSABLE}
        with context.sessions() as session:
            choice = ProviderChoice.for_user(context, session, user.id)
        choice.choose(wanted, CHOOSABLE)  # raises for an unknown id or a missing key
        saved = {port: value for port, value in wanted.items() if value}
        with context.session() as session:
            session.execute(update(User).where(User.id == user.id).values(provider_defaults=saved or None))
        log.info("User %s saved default providers %s", user.id, saved)
        return defaults_out(context, user.id)

    @get("/plugins", operation_id="listPlugins", sync_to_thread=True, responses=error_responses(401))
    def list_plugins(self, user: SignedIn, state: State) -> PluginsOut:
        """Installed plugins with name, version and the providers each registers."""
        context: ServerContext = state.ctx
        return plugin_listing(context.catalog)


ROUTES = [CatalogController]
