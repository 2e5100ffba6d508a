#!/bin/sh
# Builds the session image without any registry: a minimal Debian (debootstrap, with python3)
# imported into the container engine. Cached: the root file system is built once per machine
# in $INTERPRETER_IMAGE_CACHE (default /var/cache/interpreter-image) and imported only when the
# engine does not have the image yet. Usage: image.sh [IMAGE] (default interpreter-session:1).
# Needs root, debootstrap and podman (or docker: ENGINE=docker).
set -eu
image="${1:-interpreter-session:1}"
cache="${INTERPRETER_IMAGE_CACHE:-/var/cache/interpreter-image}"
engine="${ENGINE:-podman}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if "$engine" image exists "$image" 2>/dev/null; then
  echo "image $image present"
  exit 0
fi
mkdir -p "$cache"
if [ ! -f "$cache/rootfs.tar" ]; then
  tmp="$(mktemp -d "$cache/build-XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  debootstrap --variant=minbase --include=python3 bookworm "$tmp/root" "$mirror" >"$tmp/log" 2>&1 ||
    { tail -n 20 "$tmp/log" >&2; exit 1; }
  # An unprivileged user for the code (uid 1000), no package caches.
  chroot "$tmp/root" /usr/sbin/useradd -u 1000 -m -s /bin/bash code
  rm -rf "$tmp/root/var/cache/apt/archives"/*.deb "$tmp/root/var/lib/apt/lists"/*
  tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
  mv "$tmp/rootfs.tar" "$cache/rootfs.tar"
fi
"$engine" import "$cache/rootfs.tar" "$image" >/dev/null
echo "image $image imported from $cache/rootfs.tar"
