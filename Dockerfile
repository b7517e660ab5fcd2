# The demo app in the release profile. Build context: this repository.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The workspace: the demo (src/, tests/) and its crates (the session library, test support).
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY src ./src
COPY tests ./tests
RUN cargo build --release --locked --bin rocket-redis-sessions-demo

FROM debian:bookworm-slim
RUN useradd --system --home /app app
WORKDIR /app
COPY --from=build /src/target/release/rocket-redis-sessions-demo /usr/local/bin/
COPY Rocket.toml ./
COPY templates ./templates
COPY static ./static
USER app
ENV ROCKET_PROFILE=release
EXPOSE 8000
CMD ["rocket-redis-sessions-demo"]
