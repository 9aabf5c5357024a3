# AppStack programs in one minimal, non-root image.
# Build: docker build -t appstack:dev .   (not built in CI: these machines have no container engine)
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential pkg-config git ca-certificates \
        libcurl4-openssl-dev libssl-dev libjansson-dev libwebsockets-dev libyaml-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make clean && make -j"$(nproc)" all

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        ca-certificates libcurl4 libssl3 libjansson4 libwebsockets17 libyaml-0-2 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/bin/appstack-operator /src/bin/appstack-webhook /src/bin/appstackctl /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/appstack-operator"]
