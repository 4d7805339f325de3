#!/usr/bin/env bash
# Build the sandbox host image: a freshly installed Debian 12 server (systemd as PID 1,
# openssh-server, python3, sudo, iproute2) and nothing that a role should install.
#
# Usage: build.sh IMAGE_REF [CACHE_DIR]
# Downloaded .debs are kept in CACHE_DIR/debs, so a rebuild does not fetch them again.
set -euo pipefail

image_ref=${1:?usage: build.sh IMAGE_REF [CACHE_DIR]}
cache_dir=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/hadoop-deploy}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../common.sh
. "$here/../common.sh"

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root: run as root (or with sudo)"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install -y debootstrap"
command -v docker >/dev/null || die "the docker client is missing: apt-get install -y docker.io"

work=$(mktemp -d /var/tmp/hadoop-deploy-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
bootstrap_rootfs "$rootfs" "$cache_dir" "$here/packages.txt"

# A container has no console to log in on, no hardware clock and no kernel modules
# to load: mask the units that would fail or wait for them.
for unit in getty@tty1.service console-getty.service serial-getty@.service \
            systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service \
            sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
            systemd-remount-fs.service systemd-firstboot.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
finish_rootfs "$rootfs"

tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  --change "LABEL org.hadoop-deploy.recipe=${image_ref##*:}" \
  - "$image_ref" >/dev/null
echo "built $image_ref"
