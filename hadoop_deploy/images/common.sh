# Shared by the image recipes (host/build.sh, vm/build.sh): sourced, not run.
# The Debian mirror comes from this machine's apt sources, so that an image uses the
# mirror the machine itself is allowed to reach; the .debs are cached between builds.

suite=bookworm

die() { echo "build.sh: $*" >&2; exit 1; }

# The first Debian mirror in the machine's apt sources (deb822 or one-line format).
debian_mirror() {
  local mirror
  mirror=$(
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' || true
      grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
    } | grep -E '/debian/?$' | head -n 1 || true
  )
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*: add one (a URI ending in /debian)"
  echo "${mirror%/}"
}

# debootstrap ROOTFS CACHE_DIR PACKAGES_FILE...: a minbase Debian with the listed packages,
# its apt sources pointing at the same mirror.
bootstrap_rootfs() {
  local rootfs=$1 cache=$2 mirror packages
  shift 2
  mirror=$(debian_mirror)
  packages=$(cat "$@" | grep -vE '^\s*(#|$)' | paste -sd, -)
  mkdir -p "$cache/debs"
  debootstrap --variant=minbase --include="$packages" --cache-dir="$cache/debs" \
    "$suite" "$rootfs" "$mirror" >"$rootfs.debootstrap.log" 2>&1 \
    || { tail -n 30 "$rootfs.debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
SOURCES
}

# What every host gets on first boot rather than in the image: a machine-id, SSH host keys
# (ssh.service creates missing ones with ssh-keygen -A), a locked root password.
# finish_rootfs ROOTFS [keep-lists]: without keep-lists the package lists are left empty with
# an old time stamp, so that apt's "cache valid for N seconds" checks do not take them for a
# recent update; with it they are kept, as an installed server has them (a VM under TCG
# spends minutes building apt's cache from nothing).
finish_rootfs() {
  local rootfs=$1 lists=${2:-}
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs"/etc/ssh/ssh_host_*
  mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
  cat >"$rootfs/etc/systemd/system/ssh.service.d/10-host-keys.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT
  chroot "$rootfs" systemctl enable ssh.service >/dev/null 2>&1 || true
  chroot "$rootfs" passwd -l root >/dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb
  if [ "$lists" = keep-lists ]; then
    chroot "$rootfs" apt-get update -qq >/dev/null || die "apt-get update failed in the image"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb
  else
    rm -rf "$rootfs"/var/lib/apt/lists/*
    touch -d @0 "$rootfs/var/lib/apt/lists"
  fi
}
