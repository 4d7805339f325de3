#!/bin/sh
# What a cloud provider's first boot (cloud-init) does to a fresh VM, for a sandbox host:
# the login account with the controller's key and NOPASSWD sudo, sshd on its port with root
# login and passwords refused, and the ed25519 host key made on the controller (copied in
# as HOST_KEY_FILE, removed here), so that the controller's known_hosts holds the right key
# from the start. Run as root inside the host by playbooks/sandbox/create.yml (on standard
# input); prints "changed" when it changed anything.
# Usage: sh -s USER PORT AUTHORIZED_KEY HOST_KEY_FILE < first-boot.sh
set -eu
user=$1 port=$2 authorized_key=$3 host_key_file=$4
changed=

# install_file MODE PATH: standard input becomes PATH (mode MODE, owner root) unless it
# already holds exactly that.
install_file() {
  tmp=$(mktemp "$2.XXXXXX")
  cat >"$tmp"
  chmod "$1" "$tmp"
  if cmp -s "$tmp" "$2" && [ "$(stat -c %a "$2")" = "${1#0}" ]; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$2"
    changed=yes
  fi
}

install_file 0600 /etc/ssh/ssh_host_ed25519_key <"$host_key_file"
rm -f "$host_key_file"
ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key | install_file 0644 /etc/ssh/ssh_host_ed25519_key.pub

if ! id -u "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$user"
  changed=yes
fi
home=$(getent passwd "$user" | cut -d: -f6)
install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
printf '%s\n' "$authorized_key" | install_file 0600 "$home/.ssh/authorized_keys"
chown "$user:$user" "$home/.ssh/authorized_keys"

printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" >/etc/sudoers.d/.sandbox-login.new
visudo -cqf /etc/sudoers.d/.sandbox-login.new
install_file 0440 /etc/sudoers.d/90-sandbox-login </etc/sudoers.d/.sandbox-login.new
rm -f /etc/sudoers.d/.sandbox-login.new

# sshd takes the first value it reads for each setting: this file comes before sshd_config's own.
install_file 0644 /etc/ssh/sshd_config.d/10-sandbox.conf <<CONF
Port $port
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
CONF

if [ -n "$changed" ]; then
  sshd -t
  systemctl restart ssh.service
  echo changed
fi
