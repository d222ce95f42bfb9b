#!/usr/bin/env bash
# `cargo package --workspace` (every publishable crate packaged, then built from
# its .crate), made safe to repeat from the same checkout.
#
# Cargo builds the packaged crates as if they came from a registry kept in
# <target>/package/tmp-registry, and treats such crates as unchanging:
#  - it unpacks each into $CARGO_HOME/registry/src/-<hash of that path>/
#    <name>-<version> and keeps using a copy that is already there;
#  - the unpacked files carry the fixed timestamp cargo gives every .crate
#    entry, so a library compiled from an earlier copy still looks newer than
#    its sources and is not rebuilt.
# A second run from the same path, with changed sources but unchanged
# versions, would therefore verify the old code. Before packaging, drop, for
# this workspace's crates only, the unpacked copies and the builds made from
# them (their dep-info names a file under registry/src/-*).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_home="${CARGO_HOME:-${HOME:-}/.cargo}"
target_dir="${CARGO_TARGET_DIR:-target}"
cargo tree --workspace --depth 0 --prefix none -e normal |
  awk 'NF>=2 {print $1, substr($2,2)}' | sort -u |
  while read -r name version; do
    rm -rf "$cargo_home"/registry/src/-*/"$name-$version"
    for dep_info in "$target_dir"/*/deps/"${name//-/_}"-????????????????.d; do
      [ -f "$dep_info" ] || continue
      if grep -q '/registry/src/-' "$dep_info"; then
        hash=${dep_info##*-}
        rm -rf "${dep_info%/deps/*}/.fingerprint/$name-${hash%.d}" "$dep_info"
      fi
    done
  done
cargo package --workspace --quiet "$@"
