#!/bin/sh
# Run by the postgres image once, when the `db` volume is first initialised: lets the `replica` service
# (docker-compose.yml, profile "replica") stream from this server with a password. An existing volume
# needs the same line added to its pg_hba.conf by hand (then `SELECT pg_reload_conf()`).
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
