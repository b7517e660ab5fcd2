# The demo app in the release profile. Build context: this repository (see .dockerignore).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src

# 1. Dependencies only, in a layer of their own that stays cached until a manifest or
# Cargo.lock changes. Cargo must find every target file the manifests declare (the root's
# [[bin]] src/main.rs and [[test]] tests/main.rs, the library's [[test]] tests/main.rs) and
# a lib.rs for each library, so empty stubs stand in for them here.
COPY Cargo.toml Cargo.lock ./
COPY crates/rocket_redis_sessions/Cargo.toml crates/rocket_redis_sessions/
COPY crates/redis-test-server/Cargo.toml crates/redis-test-server/
RUN mkdir -p src tests \
        crates/rocket_redis_sessions/src crates/rocket_redis_sessions/tests \
        crates/redis-test-server/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs tests/main.rs \
        crates/rocket_redis_sessions/src/lib.rs crates/rocket_redis_sessions/tests/main.rs \
        crates/redis-test-server/src/lib.rs \
    && cargo build --release --locked --bin rocket-redis-sessions-demo \
    && rm -rf src tests crates/rocket_redis_sessions/src crates/rocket_redis_sessions/tests \
        crates/redis-test-server/src

# 2. The workspace's own crates: the demo (src/, tests/) and its crates (the session
# library, test support). COPY keeps the files' modification times from the checkout,
# which are usually older than the stub build above, so cargo would take the stubs'
# outputs as up to date and ship an empty binary. Touching the real sources makes them
# newer than those outputs, so cargo rebuilds exactly our crates (not the dependencies);
# unlike deleting target/ entries by name, this does not depend on cargo's target layout.
COPY src ./src
COPY tests ./tests
COPY crates ./crates
RUN find src tests crates -type f -exec touch {} + \
    && cargo build --release --locked --bin rocket-redis-sessions-demo

FROM debian:bookworm-slim
# curl for the health check (docker-compose.yml's healthcheck requests /health), and the
# unprivileged user `app`, with fixed numeric ids so that USER below is numeric (a runtime
# can then tell it is not root without reading /etc/passwd).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home /app app
WORKDIR /app
COPY --from=build /src/target/release/rocket-redis-sessions-demo /usr/local/bin/
COPY Rocket.toml ./
COPY templates ./templates
COPY static ./static
USER 10001:10001
ENV ROCKET_PROFILE=release
EXPOSE 8000
CMD ["rocket-redis-sessions-demo"]
