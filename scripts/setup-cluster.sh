#!/usr/bin/env bash
# Installs what `make run-cluster` (python -m bot run --replicas N) needs beyond `make setup`:
#   haproxy   Debian's package (apt-get), the load balancer in front of the replicas
# With --database, also checks that the production profile's PostgreSQL user can open its
# databases (TANDEM_POSTGRES_USER / _DB / TANDEM_HANDOFF_DB, default tandem / tandem /
# tandem_handoff) and, when not, creates them on a local server that lets the `postgres` superuser in over loopback.
# Safe to run again: each step is skipped when its result is already in place.
set -euo pipefail

say() { printf '[setup-cluster] %s\n' "$*" >&2; }
database=0
for arg in "$@"; do
    case "$arg" in
        --database) database=1 ;;
        -h|--help)
            sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        *) say "unknown option $arg; use --database to create the PostgreSQL role and database"; exit 2 ;;
    esac
done

if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
    binary="$(command -v haproxy || echo /usr/sbin/haproxy)"
    say "haproxy is installed: $("$binary" -v | head -1)"
else
    if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
        say "installing haproxy needs root: run 'apt-get install -y haproxy' as root."
        exit 1
    fi
    sudo_cmd=()
    [ "$(id -u)" != 0 ] && sudo_cmd=(sudo)
    say "apt-get install haproxy (Debian's package; its own service stays disabled)"
    "${sudo_cmd[@]}" apt-get update -qq
    # policy-rc.d keeps the package from starting its system-wide haproxy.service:
    # the cluster runs its own haproxy as a child process, with its own configuration.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${sudo_cmd[@]}" chmod 755 /usr/sbin/policy-rc.d
        trap '"${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq haproxy >/dev/null
fi

if [ "$database" = 1 ]; then
    user="${TANDEM_POSTGRES_USER:-tandem}"
    host="${TANDEM_POSTGRES_HOST:-127.0.0.1}"
    port="${TANDEM_POSTGRES_PORT:-5432}"
    # The conversations' database and the handoff service's (the production profile's two).
    databases=("${TANDEM_POSTGRES_DB:-tandem}" "${TANDEM_HANDOFF_DB:-tandem_handoff}")
    for name in "$user" "${databases[@]}"; do
        if ! [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]]; then
            say "$name is not a plain PostgreSQL name (lower-case letters, digits, _); create it yourself"
            exit 1
        fi
    done
    psql=(psql -X -q -h "$host" -p "$port" -U postgres -d postgres -tAc)
    for db in "${databases[@]}"; do
        if PGPASSWORD="${TANDEM_POSTGRES_PASSWORD:-}" psql -X -q -h "$host" -p "$port" -U "$user" \
            -d "$db" -tAc "select 1" >/dev/null 2>&1; then
            say "PostgreSQL: $user can open $db on $host:$port"
            continue
        fi
        if ! "${psql[@]}" "select 1" >/dev/null 2>&1; then
            say "cannot reach PostgreSQL on $host:$port as postgres; create the role and database" \
                "yourself: createuser $user; createdb -O $user $db"
            exit 1
        fi
        if [ "$("${psql[@]}" "select 1 from pg_roles where rolname = '$user'")" != 1 ]; then
            say "creating the PostgreSQL role $user"
            createuser -h "$host" -p "$port" -U postgres "$user"
        fi
        if [ "$("${psql[@]}" "select 1 from pg_database where datname = '$db'")" != 1 ]; then
            say "creating the PostgreSQL database $db owned by $user"
            createdb -h "$host" -p "$port" -U postgres -O "$user" "$db"
        fi
    done
fi
say "done"
