# Golden: multi-stage build, slim non-root runtime.
#
#   docker build -t golden .
#   docker run -p 8080:8080 -v golden-data:/data golden                       # embedded SQLite
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://user:pass@db/golden \
#              -e GOLDEN_JWT_SECRET=... golden                                 # PostgreSQL

FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY ui ./ui
RUN cargo build --release --locked --bin golden

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin golden \
    && mkdir -p /data && chown golden /data
COPY --from=build /src/target/release/golden /usr/local/bin/golden
COPY matching-rules /etc/golden/matching-rules
USER golden
WORKDIR /data
# DATABASE_URL: unset = SQLite file in /data; postgres://... = PostgreSQL (then set
# GOLDEN_JWT_SECRET so that every replica accepts the same tokens).
ENV GOLDEN_DATA_DIR=/data \
    GOLDEN_BIND=0.0.0.0:8080 \
    GOLDEN_RULES_DIR=/etc/golden/matching-rules
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["golden"]
CMD ["serve"]
