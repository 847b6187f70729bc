#!/usr/bin/env bash
# Re-fetches the web UI's third-party assets into internal/web/static so that
# `go build` never needs node: htmx from the npm registry (through `npm pack`,
# which checks the tarball against the registry's integrity hash), with its
# licence. The files are committed; run this only to upgrade.
#
# Usage: scripts/update-web-assets.sh [htmx-version]   (default: latest 2.0.x)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/internal/web/static"

version="${1:-}"
if [[ -z "$version" ]]; then
	# The newest 2.0.x release; 4.x changes the API and needs a deliberate upgrade.
	version="$(npm view 'htmx.org@~2.0' version --json | tr -d '[]" \n' | tr ',' '\n' | sort -V | tail -n1)"
fi
if [[ ! "$version" =~ ^2\.0\.[0-9]+$ ]]; then
	echo "update-web-assets: refusing htmx version '$version' (want 2.0.x)" >&2
	exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "htmx.org@$version" >/dev/null)
tar -xzf "$work"/htmx.org-"$version".tgz -C "$work"

install -m 0644 "$work/package/dist/htmx.min.js" "$dest/htmx.min.js"
install -m 0644 "$work/package/LICENSE" "$dest/htmx.LICENSE"
echo "$version" >"$dest/htmx.VERSION"

echo "htmx $version -> $dest"
sha256sum "$dest/htmx.min.js"
