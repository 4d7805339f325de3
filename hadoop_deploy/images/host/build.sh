#!/usr/bin/env bash
# Build the sandbox host image: a freshly installed Debian 12 server (systemd as PID 1,
# openssh-server, python3, sudo, iproute2) and nothing that a role should install.
#
# Usage: build.sh IMAGE_REF [CACHE_DIR]
# The Debian mirror is read from this machine's apt sources, so that the image uses
# the same mirror the machine itself is allowed to reach. Downloaded .debs are kept in
# CACHE_DIR/debs, so a rebuild does not fetch them again.
set -euo pipefail

image_ref=${1:?usage: build.sh IMAGE_REF [CACHE_DIR]}
cache_dir=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/hadoop-deploy}
here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm

die() { echo "build.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root: run as root (or with sudo)"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install -y debootstrap"
command -v docker >/dev/null || die "the docker client is missing: apt-get install -y docker.io"

# The first Debian mirror in the machine's apt sources (deb822 or one-line format).
mirror=$(
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' || true
    grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
  } | grep -E '/debian/?$' | head -n 1 || true
)
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*: add one (a URI ending in /debian)"
security_mirror="${mirror%/debian}/debian-security"

packages=$(grep -vE '^\s*(#|$)' "$here/packages.txt" | paste -sd, -)
mkdir -p "$cache_dir/debs"
work=$(mktemp -d /var/tmp/hadoop-deploy-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

debootstrap --variant=minbase --include="$packages" --cache-dir="$cache_dir/debs" \
  "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF

# A container has no console to log in on, no hardware clock and no kernel modules
# to load: mask the units that would fail or wait for them.
for unit in getty@tty1.service console-getty.service serial-getty@.service \
            systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service \
            sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
            systemd-remount-fs.service systemd-firstboot.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
chroot "$rootfs" systemctl enable ssh.service >/dev/null 2>&1 || true

# Every host gets its own identity when it first boots: no machine-id and no SSH host
# keys in the image (ssh.service regenerates them through sshd-keygen on start).
: >"$rootfs/etc/machine-id"
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
cat >"$rootfs/etc/systemd/system/ssh.service.d/10-host-keys.conf" <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
EOF
# Locked root password, as on a server installed with a sudo user.
chroot "$rootfs" passwd -l root >/dev/null
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
# An old time stamp on the empty lists: apt's "cache valid for N seconds" checks must
# not take a freshly built image's empty package lists for a recent update.
touch -d @0 "$rootfs/var/lib/apt/lists"

tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  --change "LABEL org.hadoop-deploy.recipe=${image_ref##*:}" \
  - "$image_ref" >/dev/null
echo "built $image_ref"
