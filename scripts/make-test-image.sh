#!/bin/sh
# make-test-image.sh OUT.tar [REPO:TAG]: writes a `docker save` archive of a one-layer test image built
# from Debian's busybox-static (/bin/busybox plus applet symlinks, /etc/passwd, /etc/group, /tmp), for
# e2e tests with `bosun image import`. The same content as src/runtime/image_testlib.cc builds; default
# tag busybox:latest. Needs: tar, sha256sum, busybox-static.
set -eu
out=${1:?usage: make-test-image.sh OUT.tar [REPO:TAG]}
tag=${2:-busybox:latest}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-test-image: $busybox not found (install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root/bin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/var" "$root/home" \
  "$root/usr/bin" "$root/root" "$root/tmp"
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
for applet in sh ash ls cat sleep echo wget nc httpd true false id env ps mkdir rm touch hostname \
  kill grep head tail test printf date wc tee mount stat readlink pwd cp mv ln chmod chown df du \
  find sed awk sort seq uname whoami dd yes xargs cut tr basename dirname nslookup ping ip ifconfig \
  netstat top free sync mknod umount vi; do
  ln -s busybox "$root/bin/$applet"
done
ln -s /bin/busybox "$root/usr/bin/env"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# Reproducible layer: sorted names, fixed times, numeric root ownership.
img="$work/image"
mkdir -p "$img"
tar --sort=name --mtime=@1700000000 --numeric-owner --owner=0 --group=0 --format=posix \
  --pax-option=delete=atime,delete=ctime -C "$root" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)

config="$work/config.json"
printf '{"architecture":"amd64","os":"linux","created":"2023-11-14T22:13:20Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"bosun make-test-image.sh"}]}' \
  "$diff_id" >"$config"
config_hex=$(sha256sum "$config" | cut -d' ' -f1)
layer_id=$(printf '%s %s' "$diff_id" "$config_hex" | sha256sum | cut -d' ' -f1)

mkdir -p "$img/$layer_id"
mv "$work/layer.tar" "$img/$layer_id/layer.tar"
printf '1.0' >"$img/$layer_id/VERSION"
cp "$config" "$img/$config_hex.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_hex" "$tag" "$layer_id" \
  >"$img/manifest.json"
repo=${tag%:*}
printf '{"%s":{"%s":"%s"}}' "$repo" "${tag##*:}" "$layer_id" >"$img/repositories"

tar --sort=name --mtime=@1700000000 --numeric-owner --owner=0 --group=0 -C "$img" -cf "$out" .
echo "$out: $tag (image ID sha256:$config_hex)"
