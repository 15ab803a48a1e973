#!/usr/bin/env bash
# Refreshes third_party/vega/ from npm: the minified builds of vega, vega-lite and vega-embed that
# `oncolm report` inlines into its HTML, and their licence files. Needs npm (Debian's npm package).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=third_party/vega
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent vega@5.33.1 vega-lite@5.23.0 vega-embed@6.29.0 >/dev/null)
for package in vega-5.33.1 vega-lite-5.23.0 vega-embed-6.29.0; do
  mkdir -p "$work/$package"
  tar xzf "$work/$package.tgz" -C "$work/$package"
done
cp "$work/vega-5.33.1/package/build/vega.min.js" "$dest/"
cp "$work/vega-lite-5.23.0/package/build/vega-lite.min.js" "$dest/"
cp "$work/vega-embed-6.29.0/package/build/vega-embed.min.js" "$dest/"
cp "$work/vega-lite-5.23.0/package/LICENSE" "$dest/LICENSE.vega-lite"
cp "$work/vega-embed-6.29.0/package/LICENSE" "$dest/LICENSE.vega-embed"
echo "third_party/vega: refreshed from npm"
