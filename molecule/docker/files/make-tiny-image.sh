#!/bin/sh
# make-tiny-image.sh IMAGE MARKER
# Import a tiny root file system made from busybox (Debian's busybox-static) as IMAGE,
# with MARKER written to /marker: no registry is needed to get an image.
set -eu
image=$1
marker=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin"
cp /bin/busybox "$root/bin/busybox"
for applet in sh cat echo head yes sleep ls; do
  ln -s busybox "$root/bin/$applet"
done
printf '%s\n' "$marker" > "$root/marker"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/sh"]' - "$image"
