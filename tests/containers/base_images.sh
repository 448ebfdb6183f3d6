#!/usr/bin/env bash
# base_images.sh — make the two Debian base images the Dockerfiles start FROM, locally.
#
#   tests/containers/base_images.sh [--force]
#
# No container registry is reachable here (only Debian's apt mirror), so `FROM
# debian:bookworm-slim` cannot be pulled. Instead this script builds the images with
# debootstrap from the Debian mirror named in this machine's apt sources and imports them
# into podman's local store:
#
#   localhost/debian:bookworm-slim   debootstrap --variant=minbase, plus the dpkg filters of
#                                    Docker's official -slim images (no docs, man pages or
#                                    locales), apt lists and caches removed
#   localhost/debian:bookworm        the same minbase without the filters (the build stage
#                                    installs its compilers and -dev packages on top)
#
# Both carry this machine's Debian apt source and the apt.conf.d files that make apt work
# here (mirror settings, no translations, no caches), so `apt-get update && apt-get install`
# works inside a build. `FROM debian:bookworm-slim` then resolves to the local image.
#
# Cached: when both images exist, the script does nothing (a second or two). --force
# rebuilds them. Needs root, debootstrap and podman (apt-get installs them when missing).
set -euo pipefail

force=0
[ "${1:-}" = --force ] && force=1

log() { printf '==> %s\n' "$*" >&2; }

podman_() { podman --runtime runc "$@"; }

have_image() { podman_ image exists "$1"; }

if [ "$force" = 0 ] && have_image localhost/debian:bookworm-slim && have_image localhost/debian:bookworm; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "base_images.sh: must run as root (debootstrap)" >&2
  exit 77
fi

missing=()
for p in debootstrap podman runc; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The mirror this machine uses: the first deb.debian.org-style URI of its Debian source.
sources=/etc/apt/sources.list.d/debian.sources
if [ ! -f "$sources" ]; then
  echo "base_images.sh: no $sources on this machine (cannot tell which Debian mirror to use)" >&2
  exit 1
fi
mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$sources")
[ -n "$mirror" ] || { echo "base_images.sh: no URIs: line in $sources" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/fsim-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT

rootfs=$work/rootfs
log "debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
gpg=(--no-check-gpg)
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
  gpg=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
debootstrap --variant=minbase "${gpg[@]}" bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -30 "$work/debootstrap.log" >&2; exit 1; }

# apt inside the image: this machine's Debian source (only it: other vendors' lists are not
# for a base image) and the apt.conf.d settings that make it work here. Host-specific hooks
# (PackageKit, PostgreSQL's autoremove list, AppStream) stay out.
rm -f "$rootfs/etc/apt/sources.list"
cp "$sources" "$rootfs/etc/apt/sources.list.d/debian.sources"
for f in /etc/apt/apt.conf.d/99artifact-registry /etc/apt/apt.conf.d/99farm-no-dep11 \
         /etc/apt/apt.conf.d/docker-*; do
  [ -f "$f" ] && cp "$f" "$rootfs/etc/apt/apt.conf.d/"
done
# Containers start no services at install time (Docker's debian images do the same).
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 755 "$rootfs/usr/sbin/policy-rc.d"

clean_rootfs() {
  local r=$1
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/cache/debconf/*-old \
         "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/* "$r"/root/.cache
  mkdir -p "$r/var/lib/apt/lists/partial" "$r/var/cache/apt/archives/partial"
}

import() {
  local r=$1 tag=$2
  log "importing $tag"
  tar -C "$r" --numeric-owner -c . |
    podman_ import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$tag" >/dev/null
}

clean_rootfs "$rootfs"
import "$rootfs" localhost/debian:bookworm

# -slim: what Docker's official bookworm-slim does — dpkg never unpacks docs, man pages or
# locales again, and the ones already there go.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/info/* \
       "$rootfs"/usr/share/lintian/* "$rootfs"/usr/share/linda/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
clean_rootfs "$rootfs"
import "$rootfs" localhost/debian:bookworm-slim

podman_ images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep 'localhost/debian' >&2
