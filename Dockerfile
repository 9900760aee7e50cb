# syntax=docker/dockerfile:1
# sfgate: multi-stage build. Dependencies are compiled in their own layer, so a
# change to src/ rebuilds only the crate itself.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
# 1. Dependencies only: the manifest, the lock file, the contract and empty sources for
#    every declared target (scripts/stub-crate). `scripts/docker-check` runs both steps
#    as `cargo check` in CI.
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto ./proto
COPY scripts/stub-crate ./scripts/
RUN scripts/stub-crate && cargo build --release --locked && rm -rf src
# 2. The crate itself.
COPY src ./src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked \
 && cp target/release/sfgate /sfgate

# Small runtime: glibc and CA certificates only, running as an unprivileged user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /sfgate /usr/local/bin/sfgate
USER nonroot:nonroot
# Listen on every interface (the default, 127.0.0.1, is unreachable from outside a
# container; the embedded `sandbox` key is never accepted off loopback). The config file
# is mounted here; secrets come from the environment through its `*_env` keys, and
# SFGATE_* variables override its settings (README, "Configuration: real orgs"):
#   docker run -p 50051:50051 -v $PWD/sfgate.toml:/etc/sfgate/sfgate.toml:ro \
#     -e ACME_CLIENT_SECRET=... sfgate
ENV SFGATE_LISTEN=0.0.0.0:50051 \
    SFGATE_CONFIG=/etc/sfgate/sfgate.toml
EXPOSE 50051
# `sfgate health` asks the gateway over gRPC health (exec form: distroless has no shell).
# It probes SFGATE_LISTEN on loopback (0.0.0.0 becomes 127.0.0.1) and reads no config, so
# it passes while the process serves gRPC; a revoked connection does not fail it (a
# restart would not fix that: probe `--connection NAME` or alert on sfgate_connection_up).
# Exit codes: 0 serving, 1 not serving, 3 no answer, 4 unknown service (docs/operations.md).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/sfgate", "health", "--timeout-ms", "2000"]
ENTRYPOINT ["/usr/local/bin/sfgate"]
CMD ["serve"]
