#!/bin/sh
# Builds the session image without any registry: a minimal Debian (debootstrap, with python3;
# perl comes with minbase) plus the deno that builds it (/usr/local/bin/deno, for JavaScript
# and TypeScript sessions), imported into the container engine. Cached: the root file system is
# built once per machine and recipe in $INTERPRETER_IMAGE_CACHE (default
# /var/cache/interpreter-image; rootfs-<tag version>.tar) and imported only when the engine
# does not have the image yet. Usage: image.sh [IMAGE] (default: DEFAULT_IMAGE in options.ts,
# the one place the tag is written; its version is the recipe number of the cache file).
# Needs root, debootstrap, deno (DENO=path, else the one on PATH) and podman (or docker:
# ENGINE=docker, with DOCKER_HOST for an engine not on /var/run/docker.sock). More languages:
# add their Debian packages to --include (e.g. ruby, php-cli, lua5.4, r-base-core), bump the
# tag in options.ts and rebuild.
set -eu
default="$(sed -n 's/^export const DEFAULT_IMAGE = "\(.*\)";$/\1/p' "$(dirname "$0")/options.ts")"
[ -n "$default" ] || { echo "DEFAULT_IMAGE was not found in $(dirname "$0")/options.ts" >&2; exit 1; }
image="${1:-$default}"
cache="${INTERPRETER_IMAGE_CACHE:-/var/cache/interpreter-image}"
engine="${ENGINE:-podman}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
rootfs="$cache/rootfs-${default##*:}.tar"
if "$engine" image inspect "$image" >/dev/null 2>&1; then
  echo "image $image present"
  exit 0
fi
mkdir -p "$cache"
if [ ! -f "$rootfs" ]; then
  # The deno binary itself (a package manager's `deno` on PATH may be a wrapper script).
  deno="${DENO:-$(deno eval 'console.log(Deno.execPath())' 2>/dev/null || true)}"
  if [ -z "$deno" ] || [ ! -x "$deno" ] || ! "$deno" --version >/dev/null 2>&1; then
    echo "deno was not found: put it on PATH or set DENO to its path" >&2
    exit 1
  fi
  tmp="$(mktemp -d "$cache/build-XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  debootstrap --variant=minbase --include=python3 bookworm "$tmp/root" "$mirror" >"$tmp/log" 2>&1 ||
    { tail -n 20 "$tmp/log" >&2; exit 1; }
  # An unprivileged user for the code (uid 1000), no package caches.
  chroot "$tmp/root" /usr/sbin/useradd -u 1000 -m -s /bin/bash code
  rm -rf "$tmp/root/var/cache/apt/archives"/*.deb "$tmp/root/var/lib/apt/lists"/*
  install -m 0755 "$deno" "$tmp/root/usr/local/bin/deno"
  tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
  mv "$tmp/rootfs.tar" "$rootfs"
fi
"$engine" import "$rootfs" "$image" >/dev/null
echo "image $image imported from $rootfs"
