#!/bin/sh
# After the server is up: creates the namespace when it is missing, then Spillway's search attributes (SQL
# visibility keeps them per namespace), read from the list the Spillway image wrote (`search-attributes FILE` of
# docker/entrypoint.sh, from domain/search-attributes.ts), and waits until a query on them is accepted. Runs in
# temporalio/admin-tools; every wait is bounded.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${SEARCH_ATTRIBUTES_FILE:?}"
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${NAMESPACE_RETENTION:-72h}

t() { temporal --address "$TEMPORAL_ADDRESS" "$@"; }

# Runs a command until it succeeds, at most $1 times, a second apart.
retry() {
  tries=$1
  shift
  i=0
  until "$@" > /dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge "$tries" ]; then
      echo "gave up after $tries tries: $*" >&2
      "$@" # once more, with its error shown
      return 1
    fi
    sleep 1
  done
}

retry 120 t operator cluster health
if ! t operator namespace describe --namespace "$NAMESPACE" > /dev/null 2>&1; then
  t operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
fi
retry 60 t operator namespace describe --namespace "$NAMESPACE"

registered() { t operator search-attribute list --namespace "$NAMESPACE" -o json | grep -q "\"$1\""; }
create() { registered "$1" || t operator search-attribute create --namespace "$NAMESPACE" --name "$1" --type "$2"; }
while read -r name type; do
  [ -n "$name" ] || continue
  retry 30 create "$name" "$type"
  echo "search attribute $name ($type) is registered on $NAMESPACE"
done < "$SEARCH_ATTRIBUTES_FILE"

# The frontend learns new attributes when its namespace cache refreshes: wait until a query on one is accepted.
keyword=$(awk '$2 == "Keyword" { print $1; exit }' "$SEARCH_ATTRIBUTES_FILE")
if [ -n "$keyword" ]; then
  retry 60 t workflow list --namespace "$NAMESPACE" --query "$keyword = 'spillway-setup-probe'" --limit 1
fi
echo "namespace $NAMESPACE is ready for Spillway"
