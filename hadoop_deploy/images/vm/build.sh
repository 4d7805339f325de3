#!/usr/bin/env bash
# Build the VM image: the host image's Debian 12 server plus a kernel, as a qcow2 disk and
# the kernel and initrd to boot it with (qemu -kernel/-initrd, console on ttyS0).
# Each VM gets its identity from a small seed disk (label HDSEED) read at every boot by
# hd-seed.service: hostname, SSH host key, root's authorized keys, network, resolver.
#
# Usage: build.sh OUT_DIR [CACHE_DIR]   (writes OUT_DIR/{disk.qcow2,vmlinuz,initrd.img})
set -euo pipefail

out=${1:?usage: build.sh OUT_DIR [CACHE_DIR]}
cache_dir=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/hadoop-deploy}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../common.sh
. "$here/../common.sh"

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root: run as root (or with sudo)"
for tool in debootstrap mkfs.ext4 qemu-img; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install -y debootstrap e2fsprogs qemu-utils"
done

work=$(mktemp -d /var/tmp/hadoop-deploy-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
bootstrap_rootfs "$rootfs" "$cache_dir" "$here/../host/packages.txt" "$here/packages.txt"

# What the Debian installer writes (a container gets /etc/hosts from its engine instead).
cat >"$rootfs/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
HOSTS

# The seed disk may take long to show up on a loaded machine (udev under TCG): wait up to
# 3 minutes for it, rather than boot without a host key or addresses.
echo 'LABEL=hdroot / ext4 errors=remount-ro 0 1' >"$rootfs/etc/fstab"
echo 'LABEL=HDSEED /run/hd-seed ext4 ro,nofail,x-systemd.device-timeout=180s 0 0' >>"$rootfs/etc/fstab"

install -m 0755 /dev/stdin "$rootfs/usr/local/sbin/hd-seed" <<'SCRIPT'
#!/bin/sh
# Apply this VM's seed disk (mounted at /run/hd-seed): hostname, SSH host key, root's
# authorized keys, systemd-networkd files, resolver. Runs at every boot, before ssh and
# the network; a missing seed leaves the VM as it is.
set -eu
seed=/run/hd-seed
[ -f "$seed/hostname" ] || { echo "hd-seed: no seed disk (label HDSEED)" >&2; exit 0; }
install -m 0644 "$seed/hostname" /etc/hostname
hostname "$(cat /etc/hostname)"
grep -q "^127.0.1.1 $(cat /etc/hostname)\$" /etc/hosts || echo "127.0.1.1 $(cat /etc/hostname)" >>/etc/hosts
install -m 0600 "$seed/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key
install -m 0644 "$seed/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub
install -d -m 0700 /root/.ssh
install -m 0600 "$seed/authorized_keys" /root/.ssh/authorized_keys
rm -f /etc/systemd/network/10-hd-*.network
for f in "$seed"/network/*.network; do install -m 0644 "$f" /etc/systemd/network/; done
rm -f /etc/resolv.conf
install -m 0644 "$seed/resolv.conf" /etc/resolv.conf
SCRIPT

cat >"$rootfs/etc/systemd/system/hd-seed.service" <<'UNIT'
[Unit]
Description=Apply the VM's seed disk (hostname, SSH host key, network)
DefaultDependencies=no
RequiresMountsFor=/run/hd-seed
After=local-fs.target
Before=network-pre.target ssh.service systemd-networkd.service
Wants=network-pre.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/hd-seed

[Install]
WantedBy=sysinit.target
UNIT
chroot "$rootfs" systemctl enable hd-seed.service systemd-networkd.service >/dev/null 2>&1
finish_rootfs "$rootfs" keep-lists

# Boot time matters under TCG (every boot takes about a minute):
# - sshd serves the ed25519 host key from the seed; generating the others (RSA takes
#   seconds under TCG) only happens on a VM without a seed;
# - e2scrub_reap only removes e2scrub snapshots, which these VMs never make;
# - the initrd holds the modules a virtio VM needs, not every driver (MODULES=most).
cat >"$rootfs/etc/systemd/system/ssh.service.d/10-host-keys.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'test -s /etc/ssh/ssh_host_ed25519_key || ssh-keygen -A'
ExecStartPre=/usr/sbin/sshd -t
UNIT
echo 'HostKey /etc/ssh/ssh_host_ed25519_key' >"$rootfs/etc/ssh/sshd_config.d/10-hd-host-key.conf"
ln -sf /dev/null "$rootfs/etc/systemd/system/e2scrub_reap.service"
echo 'MODULES=list' >"$rootfs/etc/initramfs-tools/conf.d/hd-modules.conf"
printf '%s\n' virtio_pci virtio_blk virtio_net ext4 >>"$rootfs/etc/initramfs-tools/modules"
chroot "$rootfs" update-initramfs -u -k all >/dev/null 2>&1 || die "update-initramfs failed in the image"

# The kernel and initrd boot the disk from outside (no boot loader in the image).
cp "$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n 1)" "$work/vmlinuz"
cp "$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -n 1)" "$work/initrd.img"
chmod 0644 "$work/vmlinuz" "$work/initrd.img"

mkfs.ext4 -q -L hdroot -d "$rootfs" -E root_owner=0:0 "$work/disk.raw" 3G \
  || die "mkfs.ext4 -d failed (e2fsprogs 1.43 or newer is needed)"
qemu-img convert -O qcow2 "$work/disk.raw" "$work/disk.qcow2"

mkdir -p "$out"
mv "$work/disk.qcow2" "$work/vmlinuz" "$work/initrd.img" "$out/"
echo "built $out"
