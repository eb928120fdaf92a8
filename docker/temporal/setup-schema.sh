#!/bin/sh
# Creates Temporal's two PostgreSQL databases when they are missing and brings their schema up to the version of
# the server image; safe to run on every `docker compose up`. Runs in temporalio/admin-tools, which ships
# temporal-sql-tool and the schema files. The password comes in SQL_PASSWORD, the tool's own variable.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD?}" "${DBNAME:?}" "${VISIBILITY_DBNAME:?}"
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"
}

setup() { # database, schema folder
  if ! out=$(tool --db "$1" create-database 2>&1); then
    case "$out" in
      *"already exists"*) ;;
      *) echo "$out" >&2; exit 1 ;;
    esac
  fi
  tool --db "$1" setup-schema -v 0.0
  tool --db "$1" update-schema -d "$SCHEMA_DIR/$2/versioned"
  echo "database $1 is on the current $2 schema"
}

setup "$DBNAME" temporal
setup "$VISIBILITY_DBNAME" visibility
