#!/usr/bin/env bash
# Runs once in the postgres container's first start (docker-entrypoint-initdb.d): one database
# and one role per service, each role allowed only its own database. Passwords come from the
# environment (DMS_<SERVICE>_DB_PASSWORD), never from the repository.
set -euo pipefail
for service in ingest leads deals inventory dealer_info reporting; do
  var="DMS_$(echo "$service" | tr 'a-z' 'A-Z')_DB_PASSWORD"
  password="${!var:?$var is required}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v role="dms_$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"role" TO :"role";
SQL
done
