# syntax=docker/dockerfile:1
# The Rasa engine: rasa 3.6.21 and Tandem's engine extensions (the `engine` extra
# of pyproject.toml), Python 3.10 as scripts/setup.sh builds .venv/engine.
# Build from the repository root (docs/deploy.md):
#   docker build -f deploy/docker/engine.Dockerfile -t tandem-engine:0.1.0 .
# The trained model is not in this image: it comes from the model image
# (model.Dockerfile) through an init container (deploy/k8s/base/engine.yaml).
#
# Base images are pinned by tag. Pin them by digest as well when you build, e.g.
#   --build-arg PYTHON_IMAGE=python:3.10.13-slim-bookworm@sha256:<digest>
# with the digest `docker buildx imagetools inspect <image>` prints on your side
# (no container engine or registry was reachable where these files were written).
ARG PYTHON_IMAGE=python:3.10.13-slim-bookworm
ARG NODE_IMAGE=node:20.18.1-bookworm-slim

# --- socket.io-client for the web chat widget (scripts/setup-web.sh does the same)
FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY bot/channels/web/package.json bot/channels/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- the venv, built with compilers that the runtime image does not carry
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && /opt/venv/bin/pip install "pip>=24"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY generators ./generators
COPY --from=web /web/node_modules ./bot/channels/web/node_modules
RUN /opt/venv/bin/pip install ".[engine]"

# --- runtime: the venv, the channel configuration, a user that is not root
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 tandem \
    && useradd --system --uid 10001 --gid tandem --home-dir /app --shell /usr/sbin/nologin tandem
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root credentials.yml endpoints.yml ./
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=3 \
    TF_ENABLE_ONEDNN_OPTS=0 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    TOKENIZERS_PARALLELISM=false \
    HF_HUB_OFFLINE=1 \
    TANDEM_PROJECT_DIR=/app \
    TANDEM_STATE_DIR=/var/lib/tandem \
    TANDEM_HOST=0.0.0.0
USER 10001:10001
EXPOSE 5005
# Secrets (TANDEM_RASA_TOKEN, TANDEM_JWT_SECRET, ...) come from the environment,
# never the command line: bot.engine refuses --auth-token and --jwt-secret.
ENTRYPOINT ["python", "-m", "bot.engine"]
CMD ["run", "--model", "/models/model.tar.gz", "--interface", "0.0.0.0", "--port", "5005", \
     "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", "--enable-api"]
