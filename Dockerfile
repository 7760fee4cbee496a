# syntax=docker/dockerfile:1
# The Airbyte images of this connector: one Dockerfile for both, as Airbyte builds every Python connector
# from one template (airbytehq/airbyte docker-images/Dockerfile.python-connector): a slim Python base, the
# package installed from its wheel, and the console script named by the CONNECTOR_NAME build arg started by
# /entrypoint.sh, which AIRBYTE_ENTRYPOINT and ENTRYPOINT both name. The build context is this repository.
#
#   docker build --build-arg CONNECTOR_NAME=source-insightly      -t insightly-connector/source-insightly:0.1.0 .
#   docker build --build-arg CONNECTOR_NAME=destination-insightly -t insightly-connector/destination-insightly:0.1.0 .
#   docker run --rm insightly-connector/source-insightly:0.1.0 spec
#
# CONNECTOR_NAME is the last part of `dockerRepository` in airbyte/<CONNECTOR_NAME>/metadata.yaml, and a console
# script of pyproject.toml's [project.scripts]; tests/packaging/test_airbyte_files.py checks both.

ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS builder
WORKDIR /build
COPY . .
# insightly_connector/connector.yaml and insightly_connector/schemas are symlinks to the top-level files;
# the wheel holds real copies of them.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM ${BASE_IMAGE}
ARG CONNECTOR_NAME
ARG CONNECTOR_VERSION=0.1.0
RUN test -n "${CONNECTOR_NAME}" \
    || (echo "set --build-arg CONNECTOR_NAME=source-insightly or destination-insightly" >&2 && false)

# Airbyte's base image conventions: UTC, an unprivileged `airbyte` user (uid 1000), /airbyte as the work folder.
RUN ln -snf /usr/share/zoneinfo/Etc/UTC /etc/localtime \
    && adduser --uid 1000 --system --group --no-create-home airbyte \
    && mkdir -p /airbyte/integration_code && chown -R airbyte:airbyte /airbyte

COPY --from=builder /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && command -v "${CONNECTOR_NAME}" \
    && printf '#!/bin/sh\nset -e\nexec %s "$@"\n' "${CONNECTOR_NAME}" > /entrypoint.sh \
    && chmod 755 /entrypoint.sh

WORKDIR /airbyte/integration_code
USER airbyte

ENV AIRBYTE_ENTRYPOINT="/entrypoint.sh"
ENTRYPOINT ["/entrypoint.sh"]

LABEL io.airbyte.name="insightly-connector/${CONNECTOR_NAME}" \
      io.airbyte.version="${CONNECTOR_VERSION}"
