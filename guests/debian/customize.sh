#!/usr/bin/env bash
# mmdebstrap's --customize-hook for guest (b): run on the host with the new root as $1
# (commands inside it run through qemu-user-static and binfmt_misc).
set -euo pipefail
root=$1

echo ospite-debian >"$root/etc/hostname"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
# root logs in on the serial console without a password (the image is a test guest).
chroot "$root" passwd -d root >/dev/null

# Nothing waits for a network that is not there.
for unit in systemd-networkd-wait-online.service systemd-time-wait-sync.service \
  NetworkManager-wait-online.service networking.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# An initrd with what a `virt` board's disk needs and little more (MODULES=list): small, so
# that unpacking it is quick on every engine. crc32c_generic is ext4's soft dependency.
printf '%s\n' virtio_mmio virtio_blk crc32c_generic ext4 >>"$root/etc/initramfs-tools/modules"
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"
chroot "$root" update-initramfs -u -k all
