# syntax=docker/dockerfile:1
# Atrium: one image, the `atrium` binary plus the built browser app.
#   docker build -t atrium .
#   docker run -p 8080:8080 -v atrium-data:/var/lib/atrium atrium
# Without further configuration it runs embedded (SQLite and files in /var/lib/atrium); see
# docker-compose.yml for PostgreSQL, Redis and MinIO.

# --- the browser app (client/web), when the repository has one ----------------------------
FROM node:20-bookworm-slim AS web
WORKDIR /src/client
# client/ also holds the Rust SDK crate; only client/web matters here, and it may not exist.
COPY client/ ./
RUN set -eux; \
    if [ -f web/package.json ]; then \
        cd web; \
        if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; \
        else npm install --no-audit --no-fund; fi; \
        npm run build; \
    fi; \
    mkdir -p /src/client/web/dist

# --- the server ----------------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# The built app sits where the server looks for it by default, in case it is embedded at
# compile time.
COPY --from=web /src/client/web/dist/ /src/client/web/dist/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p atrium-server --bin atrium \
    && install -D -m 0755 target/release/atrium /out/atrium

# --- runtime -------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 atrium; \
    useradd --system --uid 10001 --gid atrium --home-dir /var/lib/atrium --no-create-home \
        --shell /usr/sbin/nologin atrium; \
    install -d -o atrium -g atrium -m 0750 /var/lib/atrium
COPY --from=builder /out/atrium /usr/local/bin/atrium
COPY --from=web /src/client/web/dist/ /usr/share/atrium/web/

ENV ATRIUM_LISTEN=0.0.0.0:8080 \
    ATRIUM_DATA_DIR=/var/lib/atrium \
    ATRIUM_WEB_DIR=/usr/share/atrium/web \
    ATRIUM_LOG_FORMAT=json

USER atrium
WORKDIR /var/lib/atrium
VOLUME ["/var/lib/atrium"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["atrium"]
CMD ["serve"]
