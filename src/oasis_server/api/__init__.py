"""The HTTP API: a Litestar application built by :func:`oasis_server.api.app.create_app`."""
