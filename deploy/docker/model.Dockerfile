# syntax=docker/dockerfile:1
# The trained Rasa model as an image of its own (data only, no program): the
# engine's init container copies it into the pod (deploy/k8s/base/engine.yaml;
# why an image and not a shared volume: docs/deploy.md). Train first
# (`make train`), then from the repository root:
#   docker build -f deploy/docker/model.Dockerfile \
#     --build-arg MODEL=models/tandem-<hash>.tar.gz -t tandem-model:<hash> .
# Pin the base by digest as well when you build (busybox:1.36.1@sha256:<digest>).
ARG BUSYBOX_IMAGE=busybox:1.36.1
FROM ${BUSYBOX_IMAGE}
ARG MODEL
COPY --chown=65534:65534 ${MODEL} /model/model.tar.gz
USER 65534:65534
ENTRYPOINT ["cp", "/model/model.tar.gz"]
CMD ["/models/model.tar.gz"]
