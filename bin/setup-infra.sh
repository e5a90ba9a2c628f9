#!/usr/bin/env bash
# Installs the infrastructure Beamstack runs on into ./.infra (ignored by git), idempotently:
#   - the Hazelcast member jar (com.hazelcast:hazelcast:5.6.0) fetched with Maven
#   - FerretDB v1.24.2 (MongoDB wire protocol over SQLite) built with Go
#   - Centrifugo v6.9.1 built with Go (only the chat benchmark B4 runs it, as the peer to compare with)
#   - rategen, our open-loop redirect load (load_testing/rategen, no dependencies) built with Go
#     for benchmark B6; rebuilt whenever its source changes
# A second run finds them all and returns at once. With --quiet-if-ready nothing is printed
# when everything is already there (used by `npm start` and `npm test`).
# Set SKIP_INFRA=1 when MONGODB_URL and HZ_MEMBERS point at servers you run yourself.
# Every failure ends with one "infra: …" line saying what is missing and what to do.
set -euo pipefail

HZ_VERSION=5.6.0
FERRETDB_VERSION=v1.24.2
CENTRIFUGO_VERSION=v6.9.1
JAVA_MIN=17
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
infra="$root/.infra"
hz_jar="$infra/hazelcast/hazelcast-$HZ_VERSION.jar"
ferretdb_bin="$infra/bin/ferretdb"
centrifugo_bin="$infra/bin/centrifugo"
rategen_src="$root/load_testing/rategen"
rategen_bin="$infra/bin/rategen"
quiet_if_ready=false
[ "${1:-}" = "--quiet-if-ready" ] && quiet_if_ready=true

if [ "${SKIP_INFRA:-}" = "1" ]; then exit 0; fi

say() { echo "infra: $*"; }
fail() {
  echo "infra: $*" >&2
  exit 1
}
install_hint() {
  case "$1" in
    java) echo "install a Java $JAVA_MIN+ runtime (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)" ;;
    mvn) echo "install Maven (Debian/Ubuntu: apt-get install maven)" ;;
    go) echo "install Go 1.21+ (https://go.dev/dl/, or Debian/Ubuntu: apt-get install golang)" ;;
  esac
}
# need <command> <what it is needed for> <variable to use instead>
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "infra: '$1' is not installed (not on PATH); it is needed to $2." >&2
    fail "$(install_hint "$1"), or run your own server and set $3 (then SKIP_INFRA=1)."
  fi
}
# The java the member will run with: $JAVA_HOME/bin/java when set, else java on PATH.
java_cmd() {
  if [ -n "${JAVA_HOME:-}" ]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}
has_java() { command -v "$(java_cmd)" >/dev/null 2>&1; }
# Its major version (8 for "1.8.0_x", 17 for "17.0.2"), empty if unknown.
java_major() {
  "$(java_cmd)" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9.]*\).*/\1/p' | head -n 1 | awk -F. '{ print ($1 == 1 ? $2 : $1) }'
}
need_java() {
  if [ -z "${JAVA_HOME:-}" ]; then
    need java "run the Hazelcast member" "HZ_MEMBERS=host:port"
  elif ! has_java; then
    fail "JAVA_HOME is $JAVA_HOME but there is no $JAVA_HOME/bin/java: fix or unset JAVA_HOME, or set HZ_MEMBERS=host:port (then SKIP_INFRA=1)."
  fi
  local major
  major="$(java_major)"
  if [ -n "$major" ] && [ "$major" -lt "$JAVA_MIN" ]; then
    fail "Java $major found ($(java_cmd)); the Hazelcast $HZ_VERSION member needs Java $JAVA_MIN or newer: $(install_hint java), or set HZ_MEMBERS=host:port (then SKIP_INFRA=1)."
  fi
}

ferretdb_works() { [ -x "$ferretdb_bin" ] && "$ferretdb_bin" --version >/dev/null 2>&1; }
# `go install` leaves the binary's own version at v0.0.0, so the built version is kept beside it.
centrifugo_works() {
  [ -x "$centrifugo_bin" ] && "$centrifugo_bin" version >/dev/null 2>&1 && [ "$(cat "$centrifugo_bin.version" 2>/dev/null)" = "$CENTRIFUGO_VERSION" ]
}
# The source's checksum is kept beside the binary: a changed source is built again.
rategen_sum() { cat "$rategen_src/go.mod" "$rategen_src/main.go" | cksum | cut -d' ' -f1; }
rategen_works() { [ -x "$rategen_bin" ] && [ "$(cat "$rategen_bin.source" 2>/dev/null)" = "$(rategen_sum)" ]; }
if [ -s "$hz_jar" ] && ferretdb_works && centrifugo_works && rategen_works; then
  $quiet_if_ready || say "ready (Hazelcast $HZ_VERSION, FerretDB $FERRETDB_VERSION, Centrifugo $CENTRIFUGO_VERSION, rategen in .infra/)"
  # The jar alone does not run: say so now rather than when the member fails to start.
  if [ -z "${HZ_MEMBERS:-}" ] && ! has_java; then
    echo "infra: warning: 'java' is not on PATH, and npm start needs it for the Hazelcast member; $(install_hint java), or set HZ_MEMBERS." >&2
  fi
  exit 0
fi

mkdir -p "$infra/hazelcast" "$infra/bin"

if [ ! -s "$hz_jar" ]; then
  need_java
  need mvn "fetch the Hazelcast member jar" "HZ_MEMBERS=host:port"
  say "fetching com.hazelcast:hazelcast:$HZ_VERSION from Maven Central"
  rm -rf "$infra/hazelcast.tmp"
  if ! mvn -q -B dependency:copy -Dartifact="com.hazelcast:hazelcast:$HZ_VERSION" \
    -DoutputDirectory="$infra/hazelcast.tmp" -Dmdep.useBaseVersion=true; then
    rm -rf "$infra/hazelcast.tmp"
    fail "Maven could not fetch com.hazelcast:hazelcast:$HZ_VERSION (see its output above): check the network access to Maven Central (a proxy goes in ~/.m2/settings.xml)."
  fi
  mv "$infra/hazelcast.tmp/hazelcast-$HZ_VERSION.jar" "$hz_jar"
  rm -rf "$infra/hazelcast.tmp"
  say "Hazelcast jar at ${hz_jar#"$root"/}"
fi

if ! ferretdb_works; then
  need go "build FerretDB (the MongoDB-compatible store)" "MONGODB_URL=mongodb://…"
  say "building FerretDB $FERRETDB_VERSION with Go (first run only; takes a few minutes)"
  build="$infra/ferretdb-build"
  rm -rf "$build" "$infra/bin.tmp" && mkdir -p "$build" "$infra/bin.tmp"
  # Built from the module's own source tree: FerretDB panics at start unless its
  # build/version/version.txt names the version, and the module download leaves it empty.
  src=$(cd "$build" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
  if [ -z "$src" ] || [ ! -d "$src" ]; then
    rm -rf "$build" "$infra/bin.tmp"
    fail "Go could not download the FerretDB $FERRETDB_VERSION source (see above): check the network access to proxy.golang.org (or GOPROXY)."
  fi
  cp -R "$src" "$build/src" && chmod -R u+w "$build/src"
  echo "$FERRETDB_VERSION" > "$build/src/build/version/version.txt"
  if ! (cd "$build/src" && go build -o "$infra/bin.tmp/ferretdb" ./cmd/ferretdb); then
    rm -rf "$build" "$infra/bin.tmp"
    fail "building FerretDB $FERRETDB_VERSION failed (see the Go output above); FerretDB needs Go 1.21 or newer (found: $(go env GOVERSION 2>/dev/null || echo unknown))."
  fi
  mv "$infra/bin.tmp/ferretdb" "$ferretdb_bin"
  rm -rf "$infra/bin.tmp" "$build"
  ferretdb_works || fail "the FerretDB build at ${ferretdb_bin#"$root"/} does not run (try: rm -rf .infra/bin && npm run setup)"
  say "FerretDB at ${ferretdb_bin#"$root"/}"
fi

if ! centrifugo_works; then
  need go "build Centrifugo (the peer the chat benchmark B4 compares with)" "nothing (skip B4's peer)"
  say "building Centrifugo $CENTRIFUGO_VERSION with Go (first run only; takes a few minutes)"
  rm -rf "$infra/centrifugo.tmp" && mkdir -p "$infra/centrifugo.tmp"
  if ! GOBIN="$infra/centrifugo.tmp" GOFLAGS=-mod=mod go install "github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION"; then
    rm -rf "$infra/centrifugo.tmp"
    fail "building Centrifugo $CENTRIFUGO_VERSION failed (see the Go output above); check the network access to proxy.golang.org (or GOPROXY)."
  fi
  mkdir -p "$infra/bin"
  mv "$infra/centrifugo.tmp/centrifugo" "$centrifugo_bin"
  echo "$CENTRIFUGO_VERSION" > "$centrifugo_bin.version"
  rm -rf "$infra/centrifugo.tmp"
  centrifugo_works || fail "the Centrifugo build at ${centrifugo_bin#"$root"/} does not run (try: rm .infra/bin/centrifugo && npm run setup)"
  say "Centrifugo at ${centrifugo_bin#"$root"/}"
fi
if ! rategen_works; then
  need go "build rategen (the redirect load of benchmark B6)" "nothing (B6 needs it)"
  rm -rf "$infra/rategen.tmp" && mkdir -p "$infra/rategen.tmp" "$infra/bin"
  if ! (cd "$rategen_src" && GOFLAGS=-mod=mod go build -o "$infra/rategen.tmp/rategen" .); then
    rm -rf "$infra/rategen.tmp"
    fail "building rategen from load_testing/rategen failed (see the Go output above)."
  fi
  mv "$infra/rategen.tmp/rategen" "$rategen_bin"
  rategen_sum > "$rategen_bin.source"
  rm -rf "$infra/rategen.tmp"
  say "rategen at ${rategen_bin#"$root"/}"
fi
say "ready"
