# Sourced by build.sh: guest (a), Debian's kernel and an initramfs of busybox-static, the
# kernel's modules for `virt` (and what they depend on) and ./init.
#
# Needs: $here, $cache, say, die, need, and apt.sh's functions.

# The modules the init loads: what a `virt` board's disk needs. crc32c_generic is ext4's
# soft dependency (MODULE_SOFTDEP "pre: crc32c"), which no depends= names: without it ext4
# cannot check metadata_csum and refuses to mount.
INITRAMFS_MODULES="virtio_mmio virtio_blk crc32c_generic ext4"

# A newc cpio archive of one character device node (mode 0600, owner 0), from bash alone:
# /dev/console must be in the initramfs for the init to have a console, and making the node
# on the host would need root.
newc_node() {
  local name=$1 major=$2 minor=$3
  local namesize=$((${#name} + 1))
  local trailer=TRAILER!!!
  {
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
      1 $((0020600)) 0 0 1 0 0 0 0 "$major" "$minor" "$namesize" 0
    printf '%s\0' "$name"
    # Header (110 bytes) and name padded to 4 bytes.
    printf '%*s' $(((4 - (110 + namesize) % 4) % 4)) '' | tr ' ' '\0'
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
      0 0 0 0 1 0 0 0 0 0 0 $((${#trailer} + 1)) 0
    printf '%s\0' "$trailer"
    printf '%*s' $(((4 - (110 + ${#trailer} + 1) % 4) % 4)) '' | tr ' ' '\0'
  }
}

# Module $1's file under $2 (names use _ and - alike).
module_file() {
  local f
  f=$(find "$2" -name "$1.ko.xz" -print -quit)
  [ -n "$f" ] || f=$(find "$2" -name "$(echo "$1" | tr _ -).ko.xz" -print -quit)
  [ -n "$f" ] || f=$(find "$2" -name "$(echo "$1" | tr - _).ko.xz" -print -quit)
  echo "$f"
}

# Appends module $1 and, first, what it depends on (the depends= of its .modinfo, the
# field modules.dep is made from) to $order, each once, decompressing them into $3.
add_module() {
  local name=$1 mods=$2 out=$3 file deps dep
  case " $order " in *" $name "*) return ;; esac
  file=$(module_file "$name" "$mods")
  [ -n "$file" ] || die "module $name not found under $mods"
  # busybox insmod is not trusted with .xz: the initramfs holds plain .ko files.
  xz -dc "$file" >"$out/$name.ko"
  deps=$(tr '\0' '\n' <"$out/$name.ko" | sed -n 's/^depends=//p' | tr , ' ')
  for dep in $deps; do
    add_module "$dep" "$mods" "$out"
  done
  order="$order $name"
}

# Builds guest (a) into $1: Image and initramfs.cpio.
build_initramfs() {
  local dir=$1 kpkg=$2
  need xz:xz-utils cpio:cpio dpkg-deb:dpkg
  rm -rf "$dir"
  mkdir -p "$dir"
  say "fetching $kpkg and busybox-static"
  apt_fetch_unpack "$dir/pkgs" "$kpkg" busybox-static
  local u=$dir/pkgs/unpacked
  local image
  image=$(ls "$u"/boot/vmlinux-* 2>/dev/null | head -n 1)
  [ -n "$image" ] || die "$kpkg has no /boot/vmlinux-*"
  cp "$image" "$dir/Image"
  local mods
  mods=$(ls -d "$u"/usr/lib/modules/* | head -n 1)

  local root=$dir/root
  mkdir -p "$root"/{bin,dev,proc,sys,mnt,tmp,lib/modules}
  cp "$u/usr/bin/busybox" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  cp "$here/init" "$root/init"
  chmod 0755 "$root/init" "$root/bin/busybox"
  order=""
  local m
  for m in $INITRAMFS_MODULES; do
    add_module "$m" "$mods" "$root/lib/modules"
  done
  echo $order | tr ' ' '\n' >"$root/lib/modules/order"
  say "initramfs modules, in load order:$order"

  # Reproducible: owner 0, every mtime 0, names sorted.
  find "$root" -exec touch -h -d @0 {} +
  (cd "$root" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --reproducible --quiet) >"$dir/initramfs.cpio"
  # After the archive that makes /dev (the kernel reads concatenated archives in order).
  newc_node dev/console 5 1 >>"$dir/initramfs.cpio"
  rm -rf "$dir/pkgs"
  say "kernel $(stat -c %s "$dir/Image") bytes, initramfs $(stat -c %s "$dir/initramfs.cpio") bytes in $dir"
}
