#!/bin/sh
# Entry point of the Spillway image. The first argument chooses what the container runs:
#   api | worker | lambda     the process of that name: the command of package.json's script of the same name
#                             (so the entry points are declared once), run with exec to receive SIGTERM itself
#   search-attributes [FILE]  Spillway's search attributes, one "Name Type" a line, from the compiled
#                             domain/search-attributes.js, for `temporal operator search-attribute create`
#   probe URL                 exits 0 when URL answers 2xx: the health check of the containers (no curl in the image)
#   deploy FOLDER...          `spillway deploy`: bundles, zips and deploys function folders to LAMBDA_ENDPOINT
#   anything else             run as given (sh, node, ...)
set -eu
APP_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$APP_DIR"

role=${1:-api}
case "$role" in
  api | worker | lambda)
    shift
    command=$(node -p "require('./package.json').scripts[process.argv[1]]" "$role")
    # shellcheck disable=SC2086 # the script's command is meant to be split into words
    exec $command "$@"
    ;;
  search-attributes)
    list() {
      node -e "
        const { SEARCH_ATTRIBUTE_REGISTRATIONS } = require('./dist/domain/search-attributes.js');
        for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS)) console.log(name + ' ' + type);
      "
    }
    if [ $# -ge 2 ]; then list > "$2"; else list; fi
    ;;
  deploy)
    shift
    exec node dist/cli/main.js deploy "$@"
    ;;
  probe)
    exec node -e "fetch(process.argv[1], { signal: AbortSignal.timeout(4000) }).then(
      (r) => process.exit(r.ok ? 0 : 1),
      () => process.exit(1),
    )" "$2"
    ;;
  *)
    exec "$@"
    ;;
esac
