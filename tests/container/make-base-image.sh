#!/usr/bin/env bash
# make-base-image.sh [IMAGE]: when no registry is reachable, make the base
# image the Dockerfile's FROM names (default docker.io/library/debian:bookworm-slim)
# with mmdebstrap, from the Debian mirror that apt on this machine uses, and
# import it under that name. Does nothing if the image exists. Needs root,
# podman and mmdebstrap; CONTAINERS_CONF as for the other podman commands.
set -euo pipefail
IMAGE=${1:-docker.io/library/debian:bookworm-slim}
SUITE=bookworm

if podman image exists "$IMAGE"; then
	exit 0
fi

# the configured URI of a suite, from apt's own index targets (after an
# apt-get update); deb.debian.org when apt has none for it
repo_uri() { # SUITE FALLBACK
	local uri
	uri=$(apt-get indextargets --format '$(REPO_URI)' "Release: $1" 'Created-By: Packages' \
		2>/dev/null | head -1)
	echo "${uri:-$2}"
}
MAIN=$(repo_uri "$SUITE" http://deb.debian.org/debian/)
UPDATES=$(repo_uri "$SUITE-updates" "$MAIN")
SECURITY=$(repo_uri "$SUITE-security" http://deb.debian.org/debian-security/)
echo "make-base-image: $IMAGE from $MAIN ($SUITE, $SUITE-updates), $SECURITY ($SUITE-security)" >&2

TMP=$(mktemp -d /tmp/twr-base.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Into a file first: a failed mmdebstrap must not import a truncated tree.
# Merged /usr set up by mmdebstrap's hook (usr-is-merged, not usrmerge and
# its perl); in the image, apt keeps no .deb files or binary caches, as in
# Debian's own slim images (so this setting means mmdebstrap's own cleanup
# no longer finds the caches: the second hook removes them).
mmdebstrap --variant=minbase --quiet --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
	--aptopt='Acquire::Languages "none"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--customize-hook='printf "%s\n" "APT::Keep-Downloaded-Packages \"false\";" \
		"Dir::Cache::pkgcache \"\";" "Dir::Cache::srcpkgcache \"\";" \
		>"$1/etc/apt/apt.conf.d/docker-clean"' \
	--customize-hook='rm -f "$1"/var/cache/apt/*.bin' \
	"$SUITE" "$TMP/root.tar" "deb $MAIN $SUITE main" "deb $UPDATES $SUITE-updates main" \
	"deb $SECURITY $SUITE-security main"
podman import --quiet --change 'CMD=["/bin/bash"]' "$TMP/root.tar" "$IMAGE" >/dev/null
podman image exists "$IMAGE"
