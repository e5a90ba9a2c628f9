#!/usr/bin/env bash
# Installs the infrastructure Beamstack runs on into ./.infra (ignored by git), idempotently:
#   - the Hazelcast member jar (com.hazelcast:hazelcast:5.6.0) fetched with Maven
#   - FerretDB v1.24.2 (MongoDB wire protocol over SQLite) built with Go
# A second run finds both and returns at once. With --quiet-if-ready nothing is printed
# when everything is already there (used by `npm start` and `npm test`).
# Set SKIP_INFRA=1 when MONGODB_URL and HZ_MEMBERS point at servers you run yourself.
set -euo pipefail

HZ_VERSION=5.6.0
FERRETDB_VERSION=v1.24.2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
infra="$root/.infra"
hz_jar="$infra/hazelcast/hazelcast-$HZ_VERSION.jar"
ferretdb_bin="$infra/bin/ferretdb"
quiet_if_ready=false
[ "${1:-}" = "--quiet-if-ready" ] && quiet_if_ready=true

if [ "${SKIP_INFRA:-}" = "1" ]; then exit 0; fi
ferretdb_works() { [ -x "$ferretdb_bin" ] && "$ferretdb_bin" --version >/dev/null 2>&1; }
if [ -s "$hz_jar" ] && ferretdb_works; then
  $quiet_if_ready || echo "infra: ready (Hazelcast $HZ_VERSION, FerretDB $FERRETDB_VERSION in .infra/)"
  exit 0
fi

say() { echo "infra: $*"; }
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "infra: '$1' is not installed; it is needed to $2." >&2
    echo "infra: install it, or run your own servers and set $3 (then SKIP_INFRA=1)." >&2
    exit 1
  fi
}

mkdir -p "$infra/hazelcast" "$infra/bin"

if [ ! -s "$hz_jar" ]; then
  need java "run the Hazelcast member" "HZ_MEMBERS=host:port"
  need mvn "fetch the Hazelcast member jar" "HZ_MEMBERS=host:port"
  say "fetching com.hazelcast:hazelcast:$HZ_VERSION from Maven Central"
  mvn -q -B dependency:copy -Dartifact="com.hazelcast:hazelcast:$HZ_VERSION" \
    -DoutputDirectory="$infra/hazelcast.tmp" -Dmdep.useBaseVersion=true
  mv "$infra/hazelcast.tmp/hazelcast-$HZ_VERSION.jar" "$hz_jar"
  rm -rf "$infra/hazelcast.tmp"
  say "Hazelcast jar at ${hz_jar#$root/}"
fi

if ! ferretdb_works; then
  need go "build FerretDB (the MongoDB-compatible store)" "MONGODB_URL=mongodb://…"
  say "building FerretDB $FERRETDB_VERSION with Go (first run only; takes a few minutes)"
  build="$infra/ferretdb-build"
  rm -rf "$build" "$infra/bin.tmp" && mkdir -p "$build" "$infra/bin.tmp"
  # Built from the module's own source tree: FerretDB panics at start unless its
  # build/version/version.txt names the version, and the module download leaves it empty.
  src=$(cd "$build" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] && [ -d "$src" ] || { echo "infra: could not download FerretDB $FERRETDB_VERSION source" >&2; exit 1; }
  cp -R "$src" "$build/src" && chmod -R u+w "$build/src"
  echo "$FERRETDB_VERSION" > "$build/src/build/version/version.txt"
  (cd "$build/src" && go build -o "$infra/bin.tmp/ferretdb" ./cmd/ferretdb)
  mv "$infra/bin.tmp/ferretdb" "$ferretdb_bin"
  rm -rf "$infra/bin.tmp" "$build"
  ferretdb_works || { echo "infra: the FerretDB build does not run (see above)" >&2; exit 1; }
  say "FerretDB at ${ferretdb_bin#$root/}"
fi
say "ready"
