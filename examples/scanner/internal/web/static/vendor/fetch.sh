#!/usr/bin/env bash
# Re-fetches the vendored front-end files from the npm registry. Versions are pinned here and in README.md.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @wecom/jssdk@2.4.4 jsqr@1.4.0 >/dev/null)
tar -xzf "$tmp/wecom-jssdk-2.4.4.tgz" -C "$tmp" package/dist/wecom.global.prod.js
cp "$tmp/package/dist/wecom.global.prod.js" wecom-jssdk-2.4.4.min.js
rm -rf "$tmp/package"
tar -xzf "$tmp/jsqr-1.4.0.tgz" -C "$tmp" package/dist/jsQR.js package/LICENSE
cp "$tmp/package/dist/jsQR.js" jsqr-1.4.0.js
cp "$tmp/package/LICENSE" LICENSE.jsqr
echo "vendored files updated"
