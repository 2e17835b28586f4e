#!/usr/bin/env bash
# Builds ospite's Debian guests from Debian trixie riscv64 packages, fetched by name from the
# machine's own Debian mirror (read from its apt sources; see apt.sh):
#   kernel   (a) the distribution kernel (linux-image-riscv64) and an initramfs of
#            busybox-static, the virtio and ext4 modules and ./init (initramfs.sh);
#   system   (b) a minimal trixie system on an ext4 image made with mmdebstrap, with the
#            kernel and its initramfs-tools initrd taken out of it (system.sh, customize.sh).
# Installs nothing: a missing tool stops it with the Debian package to install.
#
# Outputs are cached under $OSPITE_DEBIAN_CACHE (default: ${XDG_CACHE_HOME:-~/.cache}/ospite/
# debian, outside the clone, so CI runs on one machine share them), keyed by the versions of
# the packages they hold and by these scripts:
#   apt/                 the apt state for trixie/riscv64 (lists refreshed once a day)
#   kernel-<key>/        Image, initramfs.cpio
#   system-<key>/        vmlinux, initrd.img, rootfs.img
# A cache hit rebuilds nothing; a build replaces the older ones of its kind. Progress goes to
# standard error; standard output gets `KERNEL=<path>`, `INITRD=<path>` and, for the system,
# `IMAGE=<path>`. Guests boot their own copy of rootfs.img, never the cached one.
#
# Usage: guests/debian/build.sh kernel|system [--print-key]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${OSPITE_DEBIAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ospite/debian}
what=${1:-}

say() { echo "ospite-debian: $*" >&2; }
die() { say "error: $*"; exit 1; }

# The tools, each with the Debian package that has it.
need() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    die "missing tools; install them with: apt-get install --no-install-recommends ${missing[*]}"
  fi
}
need apt-get:apt sha256sum:coreutils flock:util-linux

case "$what" in
  kernel | system) ;;
  *) die "usage: $0 kernel|system [--print-key]" ;;
esac

mkdir -p "$cache"
# shellcheck source=apt.sh
. "$here/apt.sh"
(
  flock 9
  apt_update
) 9>"$cache/apt.lock"

# A key from the package versions and the scripts that use them.
key_of() {
  local scripts=$1
  shift
  local versions missing
  versions=$(apt_versions "$@")
  missing=$(echo "$versions" | awk '$2 == "(none)" { print $1 }')
  [ -z "$missing" ] && [ "$(echo "$versions" | wc -l)" = $# ] ||
    die "not in trixie/riscv64 at $MIRROR: ${missing:-some of $*}"
  { echo "$versions"; (cd "$here" && cat $scripts); } | sha256sum | cut -c1-16
}

kpkg=$(apt_first_dep linux-image-riscv64 linux-image-)
[ -n "$kpkg" ] || die "linux-image-riscv64 names no linux-image-* package"

if [ "$what" = kernel ]; then
  # shellcheck source=initramfs.sh
  . "$here/initramfs.sh"
  key=$(key_of "build.sh apt.sh initramfs.sh init" "$kpkg" busybox-static)
else
  # shellcheck source=system.sh
  . "$here/system.sh"
  key=$(key_of "build.sh apt.sh system.sh customize.sh" "$kpkg" $SYSTEM_PACKAGES)
fi
if [ "${2:-}" = "--print-key" ]; then
  echo "$what-$key"
  exit 0
fi

dir=$cache/$what-$key
exec 9>"$cache/$what.lock"
flock 9
if [ -f "$dir/done" ]; then
  say "cached: $dir"
else
  start=$(date +%s)
  if [ "$what" = kernel ]; then
    build_initramfs "$dir" "$kpkg"
  else
    build_system "$dir"
  fi
  touch "$dir/done"
  say "$what built in $(($(date +%s) - start)) s"
  for old in "$cache/$what"-*; do
    [ "$old" = "$dir" ] || rm -rf "$old"
  done
fi

if [ "$what" = kernel ]; then
  echo "KERNEL=$dir/Image"
  echo "INITRD=$dir/initramfs.cpio"
else
  echo "KERNEL=$dir/vmlinux"
  echo "INITRD=$dir/initrd.img"
  echo "IMAGE=$dir/rootfs.img"
fi
