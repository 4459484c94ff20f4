# One image for every part of Oasis: `oasis serve`, `oasis worker`, `oasis scheduler`.
# FFmpeg's libraries, espeak-ng and the Lato caption font come inside the Python wheels; the
# Noto fonts give captions in other scripts (Arabic, Hebrew, Devanagari, Chinese, Japanese ...).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OASIS_DATA_DIR=/var/lib/oasis HOST=0.0.0.0 PORT=3000

RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /var/lib/oasis oasis
WORKDIR /opt/oasis
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
# [all]: the server (uvicorn with uvloop and httptools) and every built-in provider
RUN pip install '.[all]'

USER oasis
EXPOSE 3000
# `oasis health` asks GET /api/health on $PORT; compose gives the worker and the scheduler their
# own checks (`oasis health --worker`, `oasis health --scheduler`), which need no HTTP server.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["oasis", "health", "--quiet"]
CMD ["oasis", "serve"]
