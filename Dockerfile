# fleetsim-pubsub — the Pub/Sub worker, for Cloud Run (one service per entry point; the
# HTTP API is ./Dockerfile.api). Build from the repository root:
#   podman build -t fleetsim-pubsub .
# Base images: debian:bookworm (build) and debian:bookworm-slim (run). Where no registry is
# reachable, tests/containers/base_images.sh makes both locally with debootstrap.

# ---- build: Meson release build, tests not built -----------------------------------------
# This stage is the same in Dockerfile and Dockerfile.api, line for line, so one build cache
# serves both images.
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev pkg-config meson ninja-build \
      libyaml-dev libcjson-dev libgeos-dev libcsv-dev nettle-dev libssl-dev libpq-dev uuid-dev \
      libcurl4-openssl-dev libmicrohttpd-dev zlib1g-dev \
      libgrpc-dev libprotobuf-c-dev protobuf-c-compiler \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN meson setup /build --buildtype=release -Dtests=false -Dwerror=false --prefix=/usr \
 && meson compile -C /build \
 && DESTDIR=/stage meson install -C /build --no-rebuild --quiet

# ---- run: bookworm-slim, runtime libraries only, non-root ---------------------------------
FROM debian:bookworm-slim
# The runtime libraries, named: not derived from ldd, because libpq, libcurl, libcrypto and
# GEOS are loaded on first use (core/lazy, docs/design.md) and so are not in the binaries'
# NEEDED lists. The last RUN below checks that --version finds every one.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
      libyaml-0-2 libcjson1 libcsv3 libnettle8 libmicrohttpd12 libgrpc29 libprotobuf-c1 \
      libpq5 libcurl4 libssl3 libgeos-c1v5 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
 && groupadd --gid 10001 fleetsim \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin fleetsim
# fleetsim-pubsub, and the fleetsim CLI for the migration step (`fleetsim migrate`, run as a
# Cloud Run job from this same image); config/ and migrations/ in /usr/share/fleetsim.
COPY --from=build /stage/usr/bin/fleetsim-pubsub /stage/usr/bin/fleetsim /usr/bin/
COPY --from=build /stage/usr/share/fleetsim /usr/share/fleetsim
RUN for b in /usr/bin/fleetsim-pubsub /usr/bin/fleetsim; do "$b" --version || exit 1; done >/tmp/versions \
 && ! grep 'not installed' /tmp/versions && rm /tmp/versions
ENV FLEETSIM_CONFIG_DIR=/usr/share/fleetsim/config \
    FLEETSIM_MIGRATIONS_DIR=/usr/share/fleetsim/migrations \
    FLEETSIM_ENV=production \
    PORT=8080
USER 10001:10001
EXPOSE 8080
# exec form: fleetsim-pubsub is PID 1 and receives Cloud Run's SIGTERM itself. The mode is
# the command: --push (the default here: Cloud Run push subscription to $PORT) or --pull
# (`gcloud run deploy … --args=--pull`, with FLEETSIM_PUBSUB_SUBSCRIPTION).
ENTRYPOINT ["/usr/bin/fleetsim-pubsub"]
CMD ["--push"]
