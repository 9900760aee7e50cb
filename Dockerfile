# syntax=docker/dockerfile:1
# sfgate: multi-stage build. Dependencies are compiled in their own layer, so a
# change to src/ rebuilds only the crate itself.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
# 1. Dependencies only: the manifest, the lock file, the contract and an empty crate.
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto ./proto
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src
# 2. The crate itself.
COPY src ./src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked \
 && cp target/release/sfgate /sfgate

# Small runtime: glibc and CA certificates only, running as an unprivileged user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /sfgate /usr/local/bin/sfgate
USER nonroot:nonroot
EXPOSE 50051
# Configure with SFGATE_* environment variables (see README, "Configuration").
ENTRYPOINT ["/usr/local/bin/sfgate"]
CMD ["serve"]
