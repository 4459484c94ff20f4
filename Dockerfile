# One image for every part of Oasis: `oasis serve`, `oasis worker`, `oasis scheduler`.
# Everything Oasis needs to render (FFmpeg's libraries, espeak-ng, the caption font) comes
# inside its Python wheels, so the slim Python image is enough.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    OASIS_DATA_DIR=/var/lib/oasis HOST=0.0.0.0 PORT=3000

RUN useradd --system --create-home --home-dir /var/lib/oasis oasis
WORKDIR /opt/oasis
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .

USER oasis
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/api/health', timeout=4)"
CMD ["oasis", "serve"]
