# Sourced by build.sh: guest (b), a minimal Debian trixie system on an ext4 image made with
# mmdebstrap, and the distribution kernel and initramfs-tools initrd taken out of it.
#
# Needs: $here, $cache, say, die, need, and apt.sh's functions.

# What the image holds beyond minbase: systemd for a serial login, the kernel and its initrd
# tools, and the programs the benchmark's workloads run.
SYSTEM_PACKAGES="systemd-sysv udev kmod linux-image-riscv64 initramfs-tools busybox sqlite3
python3-minimal lua5.4 xz-utils zstd openssl 7zip stress-ng"

# Free space the image keeps for work inside the guest (files of tens of MiB, databases).
SYSTEM_FREE_MIB=768

# Makes qemu-user-static run riscv64 programs through binfmt_misc (mounting and enabling it
# when needed), so that mmdebstrap can configure foreign packages.
binfmt_ready() {
  need mmdebstrap:mmdebstrap qemu-riscv64-static:qemu-user-static \
    update-binfmts:binfmt-support arch-test:arch-test mkfs.ext4:e2fsprogs
  if [ ! -f /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
      die "cannot mount binfmt_misc at /proc/sys/fs/binfmt_misc (needs root)"
  fi
  [ -f /proc/sys/fs/binfmt_misc/qemu-riscv64 ] || update-binfmts --enable qemu-riscv64 ||
    die "update-binfmts --enable qemu-riscv64 failed"
  arch-test riscv64 >/dev/null ||
    die "arch-test riscv64 fails: riscv64 programs do not run through qemu-user-static"
}

# Builds guest (b) into $1: rootfs.img, vmlinux and initrd.img.
build_system() {
  local dir=$1
  binfmt_ready
  [ "$(id -u)" = 0 ] || die "mmdebstrap for guest (b) must run as root"
  rm -rf "$dir"
  mkdir -p "$dir"
  local root=$dir/root
  local start
  start=$(date +%s)
  say "mmdebstrap trixie riscv64 into $root (log: $dir/mmdebstrap.log; about 5 minutes)"
  mmdebstrap --mode=root --arch=riscv64 --variant=minbase \
    --include="$(echo $SYSTEM_PACKAGES | tr ' ' ',')" \
    --aptopt='APT::Install-Recommends "false"' \
    --keyring="$KEYRING" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="$here/customize.sh \"\$1\"" \
    trixie "$root" "deb $MIRROR trixie main" >"$dir/mmdebstrap.log" 2>&1 ||
    { tail -n 30 "$dir/mmdebstrap.log" >&2; die "mmdebstrap failed (log: $dir/mmdebstrap.log)"; }
  say "mmdebstrap took $(($(date +%s) - start)) s"

  local kernel initrd
  kernel=$(ls "$root"/boot/vmlinux-* 2>/dev/null | head -n 1)
  initrd=$(ls "$root"/boot/initrd.img-* 2>/dev/null | head -n 1)
  [ -n "$kernel" ] && [ -n "$initrd" ] || die "no /boot/vmlinux-* or /boot/initrd.img-* in the new system"
  cp "$kernel" "$dir/vmlinux"
  cp "$initrd" "$dir/initrd.img"

  local used size
  used=$(du -sm "$root" | cut -f1)
  size=$((used + used / 4 + SYSTEM_FREE_MIB))
  mkfs.ext4 -q -L ospite-debian -d "$root" "$dir/rootfs.img" "${size}M" >&2 ||
    die "mkfs.ext4 -d $root failed"
  rm -rf "$root"
  say "system image ${size} MiB ($used MiB used), kernel and initrd in $dir; $(($(date +%s) - start)) s"
}
