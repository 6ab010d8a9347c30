#!/usr/bin/env bash
# Part of the ippm plugin: GPL-2.0-or-later (see COPYING beside this file).
# strongswan-tree.sh DESTDIR
#
# Debian ships no strongSwan headers, so the ippm plugin is built against a
# configured strongSwan source tree of the same upstream version as the
# installed charon. This script puts one in DESTDIR:
#   1. a deb-src entry mirroring the existing deb entries (same URIs, suites,
#      components and signing key, deb822) unless apt already knows sources;
#   2. `apt-get source strongswan=<installed version>`, or, when the mirror
#      lacks that source (security updates often do), another Debian version
#      of the same upstream release (same tarball, same header layout);
#   3. a light ./configure giving Debian's struct layout (--enable-mediation
#      moves ike_sa_t methods; without it the plugin calls the wrong ones).
# Idempotent: does nothing when DESTDIR already holds a configured tree of
# the installed upstream version. Needs strongswan-charon, dpkg-dev,
# build-essential and bzip2; root (or sudo) only to add the deb-src entry.
set -euo pipefail

die() { printf 'strongswan-tree: %s\n' "$*" >&2; exit 1; }
say() { printf 'strongswan-tree: %s\n' "$*" >&2; }

[ $# -eq 1 ] || die "usage: $0 DESTDIR"
dest=$1
case $dest in /*) ;; *) dest=$PWD/$dest ;; esac

ver=$(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null) ||
	die "strongswan-charon is not installed"
upstream=${ver#*:}
upstream=${upstream%-*}
stamp=$dest/.twr-strongswan-upstream

if [ -f "$dest/config.h" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$upstream" ]; then
	say "$dest: configured strongSwan $upstream already there"
	exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

# deb822 stanzas of type deb (enabled) become the same stanzas of type
# deb-src; comments are dropped. Legacy one-line entries likewise.
add_deb_src() {
	local out=/etc/apt/sources.list.d/twamp-reflector-deb-src.sources f text=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && [ "$f" != "$out" ] || continue
		text+=$(awk 'BEGIN { RS = ""; ORS = "\n\n" }
			/(^|\n)Enabled:[ \t]*no/ { next }
			/(^|\n)Types:([^\n]*[ \t])?deb([ \t]|\n|$)/ {
				n = split($0, l, "\n"); s = ""
				for (i = 1; i <= n; i++) {
					if (l[i] ~ /^#/) continue
					if (l[i] ~ /^Types:/) l[i] = "Types: deb-src"
					s = s l[i] "\n"
				}
				printf "%s\n", s
			}' "$f")$'\n'
	done
	if [ -f /etc/apt/sources.list ]; then
		local legacy
		legacy=$(sed -n 's/^[ \t]*deb[ \t]/deb-src /p' /etc/apt/sources.list)
		[ -z "$legacy" ] ||
			printf '%s\n' "$legacy" | $sudo tee /etc/apt/sources.list.d/twamp-reflector-deb-src.list >/dev/null
	fi
	[ -n "${text//[$'\n']/}" ] || [ -f /etc/apt/sources.list.d/twamp-reflector-deb-src.list ] ||
		die "no deb entry found in /etc/apt to mirror as deb-src"
	[ -z "${text//[$'\n']/}" ] || printf '%s' "$text" | $sudo tee "$out" >/dev/null
	say "added deb-src entries; apt-get update"
	$sudo apt-get update -q >&2
}

src_versions() {
	apt-cache showsrc strongswan 2>/dev/null | sed -n 's/^Version: //p'
}

[ -n "$(src_versions)" ] || add_deb_src
[ -n "$(src_versions)" ] || die "apt knows no strongswan source package"

# The installed version first, then the others of the same upstream release.
candidates=("$ver")
while read -r v; do
	u=${v#*:}
	[ "${u%-*}" = "$upstream" ] && [ "$v" != "$ver" ] && candidates+=("$v")
done < <(src_versions | sort -rV | uniq)

work=$(mktemp -d "${TMPDIR:-/tmp}/strongswan-tree.XXXXXX")
trap 'rm -rf "$work"' EXIT
got=""
for v in "${candidates[@]}"; do
	say "apt-get source strongswan=$v"
	if (cd "$work" && apt-get source -q strongswan="$v" >"$work/source.log" 2>&1); then
		got=$v
		break
	fi
	say "strongswan=$v: $(tail -1 "$work/source.log")"
done
[ -n "$got" ] || die "no source of strongSwan $upstream could be fetched"
tree=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name "strongswan-$upstream*" | head -1)
[ -n "$tree" ] && [ -x "$tree/configure" ] || die "unpacked source not found in $work"

say "configuring strongSwan $got (installed: $ver)"
(cd "$tree" && ./configure --prefix=/usr --sysconfdir=/etc --libdir=/usr/lib \
	--libexecdir=/usr/lib --enable-mediation --disable-gmp \
	--disable-dependency-tracking >"$work/configure.log" 2>&1) ||
	{ tail -20 "$work/configure.log" >&2; die "configure failed"; }
printf '%s\n' "$upstream" >"$tree/.twr-strongswan-upstream"
printf '%s\n' "$got" >"$tree/.twr-strongswan-debian-version"

# Replace DESTDIR only once the new tree is complete.
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.old"
[ ! -e "$dest" ] || mv "$dest" "$dest.old"
mv "$tree" "$dest"
rm -rf "$dest.old"
say "$dest: strongSwan $got configured"
