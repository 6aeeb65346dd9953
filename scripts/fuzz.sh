#!/usr/bin/env bash
# Runs every fuzz target for a while and commits-ready copies of up to 20
# interesting inputs per target into its package's testdata/fuzz/ seed corpus.
# usage: scripts/fuzz.sh [seconds per target, default 20] [package pattern, default ./...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}; pattern=${2:-./...}
cache=$(go env GOCACHE)/fuzz
mod=$(go list -m)
for pkg in $(go list "$pattern"); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $target (${secs}s)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" "$pkg" >/dev/null
    src="$cache/$pkg/$target"; dst="$dir/testdata/fuzz/$target"
    mkdir -p "$dst"
    if [ -d "$src" ]; then ls "$src" | head -20 | while read -r f; do cp "$src/$f" "$dst/"; done; fi
    echo "   $(ls "$dst" | wc -l) seeds in ${dst#$PWD/}"
  done
done
