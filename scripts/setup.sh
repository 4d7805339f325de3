#!/usr/bin/env bash
# Prepare this machine for hadoop-deploy: system packages, a running Docker engine, the
# virtualenv with the package and its test extra, and the sandbox host image: what the
# main job (`hadoop-deploy up`) needs.
#   --vm   also qemu and the VM image, which only the NFS test (molecule/nfs) boots
#          (.ci/run passes it; without it, playbooks/vm/create.yml builds the image on first use)
# Safe to run again: it reuses whatever is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

vm=false
for arg in "$@"; do
  case $arg in
    --vm) vm=true ;;
    *) printf 'usage: %s [--vm]\n' "$0" >&2; exit 2 ;;
  esac
done

say() { printf '[setup %s] %s\n' "$(date +%T)" "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs Debian packages and builds the host image with debootstrap)"
command -v apt-get >/dev/null || die "this needs a Debian or Ubuntu machine (apt-get not found)"

# Debian packages: the Docker engine, debootstrap for the host image, Java and Maven
# to assemble Hadoop from Maven Central (with --vm: qemu for the NFS VMs, below).
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mvn >/dev/null || need+=(maven)
command -v java >/dev/null || need+=(openjdk-17-jdk-headless)
# Debian's own Python 3.11 when it is there: built with profile-guided optimisation, it runs
# Ansible's controller side about a third faster than a plain source build (pyenv's default).
pick_python() { command -v /usr/bin/python3.11 || command -v python3.11 || command -v python3 || true; }
py=$(pick_python)
[ -n "$py" ] || need+=(python3)
[ -n "$py" ] && "$py" -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# qemu without its recommends (a GUI, UEFI firmware, network block drivers: not needed).
if $vm && { ! command -v qemu-system-x86_64 >/dev/null || ! command -v qemu-img >/dev/null; }; then
  say "installing qemu-system-x86 qemu-utils"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 qemu-utils >/dev/null
fi

# The Docker engine: through systemd where it runs, by hand otherwise.
if ! docker info >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then
    say "starting docker.service"
    systemctl start docker
  else
    say "starting dockerd"
    setsid nohup dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || die "the Docker engine did not answer within 60 s (see /var/log/dockerd.log)"
fi
say "docker engine $(docker info --format '{{.ServerVersion}}') is up"

# The virtualenv: created once, and again when it was made from another Python; the install
# is repeated only when pyproject.toml changes.
py=$(pick_python)  # again: apt may just have installed it
home=$("$py" -c 'import os, sys; print(os.path.dirname(os.path.abspath(sys._base_executable)))')
if [ -x .venv/bin/python ] && ! grep -qxF "home = $home" .venv/pyvenv.cfg; then
  say "re-creating .venv from $py"
  rm -rf .venv
fi
[ -x .venv/bin/python ] || { say "creating .venv"; "$py" -m venv .venv; }
stamp=.venv/.hadoop-deploy-installed
if [ ! -f "$stamp" ] || ! cmp -s pyproject.toml "$stamp"; then
  say "installing the package and its test extra into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  cp pyproject.toml "$stamp"
fi

say "host image"
.venv/bin/hadoop-deploy image build
if $vm; then
  say "VM image (the NFS scenario boots it under qemu)"
  .venv/bin/hadoop-deploy image build --vm
fi
say "done in $SECONDS s"
