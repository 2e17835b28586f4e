#!/usr/bin/env bash
# Builds ospite's Linux guest: a kernel Image from Debian's linux-source-6.1 with the config
# fragment ospite.config on top of tinyconfig, and an initramfs (an uncompressed newc cpio)
# whose /init is init.c, built static. Installs nothing: it stops with a message naming the
# missing tools (and the Debian packages that have them).
#
# Builds are cached under $OSPITE_CACHE (default: ${CARGO_TARGET_DIR:-<repo>/target}/ospite-linux):
#   src/<package version>/       the unpacked kernel source, shared by every build
#   kernel-<key>/Image           keyed by the fragment, this script and the source version
#   initramfs-<key>/initramfs.cpio   keyed by init.c, this script and the cross compiler
# A cache hit rebuilds nothing. Progress goes to standard error; standard output gets two
# lines, `KERNEL=<path>` and `INITRD=<path>`.
#
# Usage: guests/linux/build.sh [--print-key]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
tarball=${OSPITE_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
cache=${OSPITE_CACHE:-${CARGO_TARGET_DIR:-$repo/target}/ospite-linux}
cross=riscv64-linux-gnu-
jobs=$(nproc 2>/dev/null || echo 2)

say() { echo "ospite-linux: $*" >&2; }
die() { say "error: $*"; exit 1; }

# The tools, each with the Debian package that has it.
need() {
  local missing=()
  local pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    die "missing tools; install them with: apt-get install --no-install-recommends ${missing[*]}"
  fi
}
need sha256sum:coreutils flock:util-linux

[ -f "$tarball" ] || die "$tarball not found; install it with: apt-get install --no-install-recommends linux-source-6.1"
# The source version: the Debian package's, else the tarball's own hash.
version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
[ -n "$version" ] || version=$(sha256sum "$tarball" | cut -c1-16)

kkey=$(printf '%s\n' "$version" | cat - "$here/ospite.config" "$here/build.sh" | sha256sum | cut -c1-16)
ikey=$( (cat "$here/init.c" "$here/build.sh"; ${cross}gcc --version 2>/dev/null || true) | sha256sum | cut -c1-16)
if [ "${1:-}" = "--print-key" ]; then
  echo "kernel-$kkey initramfs-$ikey"
  exit 0
fi

kdir=$cache/kernel-$kkey
idir=$cache/initramfs-$ikey
if [ -f "$kdir/done" ] && [ -f "$idir/done" ]; then
  say "cached in $cache (kernel-$kkey, initramfs-$ikey)"
  echo "KERNEL=$kdir/Image"
  echo "INITRD=$idir/initramfs.cpio"
  exit 0
fi

mkdir -p "$cache"
# One build at a time (tests run in parallel and may all ask at once).
exec 9>"$cache/lock"
flock 9

src_root=$cache/src/$version
src=$src_root/linux-source-6.1
if [ ! -f "$src_root/unpacked" ]; then
  need tar:tar xz:xz-utils
  say "unpacking $tarball into $src_root"
  rm -rf "$src_root"
  mkdir -p "$src_root"
  tar -xf "$tarball" -C "$src_root"
  [ -f "$src/Makefile" ] || die "$tarball did not unpack to linux-source-6.1/"
  touch "$src_root/unpacked"
fi

if [ ! -f "$kdir/done" ]; then
  need make:make gcc:gcc flex:flex bison:bison bc:bc perl:perl ${cross}gcc:gcc-riscv64-linux-gnu
  say "building the kernel in $kdir (log: $kdir/build.log)"
  rm -rf "$kdir"
  mkdir -p "$kdir/obj"
  kmake() {
    make -C "$src" O="$kdir/obj" ARCH=riscv CROSS_COMPILE=$cross "$@" >>"$kdir/build.log" 2>&1 ||
      { tail -n 30 "$kdir/build.log" >&2; die "make $* failed (log: $kdir/build.log)"; }
  }
  kmake tinyconfig
  "$src/scripts/kconfig/merge_config.sh" -m -O "$kdir/obj" "$kdir/obj/.config" \
    "$here/ospite.config" >>"$kdir/build.log" 2>&1 || die "merge_config.sh failed (log: $kdir/build.log)"
  kmake olddefconfig
  # Every line of the fragment must have survived Kconfig's dependencies.
  bad=0
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=*) want=$line ;;
      "# CONFIG_"*" is not set") want=$line ;;
      *) continue ;;
    esac
    name=${want#\# }
    name=${name%%[= ]*}
    got=$(grep -E "^($name=|# $name is not set)" "$kdir/obj/.config" || echo "# $name is not set")
    if [ "$got" != "$want" ]; then
      say "config: wanted '$want', got '$got'"
      bad=1
    fi
  done <"$here/ospite.config"
  [ $bad = 0 ] || die "the kernel config lost options from ospite.config (see above)"
  start=$(date +%s)
  kmake -j"$jobs" Image
  cp "$kdir/obj/arch/riscv/boot/Image" "$kdir/Image"
  cp "$kdir/obj/.config" "$kdir/config"
  say "kernel built in $(($(date +%s) - start)) s: $kdir/Image ($(stat -c %s "$kdir/Image") bytes)"
  touch "$kdir/done"
fi

if [ ! -f "$idir/done" ]; then
  need ${cross}gcc:gcc-riscv64-linux-gnu gcc:gcc
  [ -f /usr/riscv64-linux-gnu/lib/libc.a ] ||
    die "no static riscv64 C library; install it with: apt-get install --no-install-recommends libc6-dev-riscv64-cross"
  say "building the initramfs in $idir"
  rm -rf "$idir"
  mkdir -p "$idir"
  ${cross}gcc -static -O2 -Wall -Werror -o "$idir/init" "$here/init.c"
  # The kernel's own cpio writer: device nodes without root, and reproducible (mtime 0).
  gcc -O2 -o "$idir/gen_init_cpio" "$src/usr/gen_init_cpio.c"
  cat >"$idir/initramfs.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /mnt 0755 0 0
dir /tmp 1777 0 0
file /init $idir/init 0755 0 0
EOF
  "$idir/gen_init_cpio" -t 0 "$idir/initramfs.list" >"$idir/initramfs.cpio"
  say "initramfs built: $idir/initramfs.cpio ($(stat -c %s "$idir/initramfs.cpio") bytes)"
  touch "$idir/done"
fi

echo "KERNEL=$kdir/Image"
echo "INITRD=$idir/initramfs.cpio"
