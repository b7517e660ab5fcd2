# The demo app in the release profile. Build context: this repository.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN cargo build --release --locked --bin rocket-redis-sessions

FROM debian:bookworm-slim
RUN useradd --system --home /app app
WORKDIR /app
COPY --from=build /src/target/release/rocket-redis-sessions /usr/local/bin/
COPY Rocket.toml ./
COPY templates ./templates
COPY static ./static
USER app
ENV ROCKET_PROFILE=release
EXPOSE 8000
CMD ["rocket-redis-sessions"]
