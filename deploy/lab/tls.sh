#!/usr/bin/env bash
# The TLS lab: a PostgreSQL pair and a MariaDB pair that speak TLS with certificates of a
# throwaway certificate authority made here, for the tests that prove Switchback's replication
# links are encrypted and verify the server (docs/security.md, "Transport"). Beside the shared
# lab, whose servers it never touches.
#
#   postgres source       127.0.0.1:5440  (cluster swtsrc)   ssl = on
#   postgres destination  127.0.0.1:5441  (cluster swtdst)   ssl = on
#   mariadb  source       127.0.0.1:3320                     ssl
#   mariadb  destination  127.0.0.1:3321                     ssl
#
# Certificates, in $SWITCHBACK_LAB_DIR/tls (default /var/lib/switchback-lab/tls):
#   ca.pem           the lab's CA; it signed the servers' certificate
#   server.pem       the servers' certificate: CN and subjectAltName localhost and 127.0.0.1
#   other-ca.pem     a second CA that signed nothing the servers use: a link told to trust it
#                    must refuse the servers (the wrong-CA tests)
#   pg/server.key, mariadb/server.key   the servers' key, one copy per server account
# Kept while valid for another day; made again (and the servers reloaded) otherwise.
#
#   deploy/lab/tls.sh start|stop|status|urls
#
# Idempotent; runs as root (the clusters belong to postgres, the MariaDB servers to mysql, as in
# the shared lab). Needs only openssl besides the servers of the shared lab.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

LAB_DIR="${SWITCHBACK_LAB_DIR:-/var/lib/switchback-lab}"
TLS_DIR="$LAB_DIR/tls"
PG_VERSION="${SWITCHBACK_PG_VERSION:-15}"
PG_CLUSTERS="swtsrc:5440 swtdst:5441"
MARIADB_PORTS="3320 3321"

die() {
  echo "tls lab: $*" >&2
  exit 1
}

need_tools() {
  command -v openssl >/dev/null 2>&1 || die "openssl not found; install it: apt-get install -y openssl"
  [ "$(id -u)" = 0 ] || die "run as root (the servers' keys belong to the postgres and mysql users)"
  id postgres >/dev/null 2>&1 || die "no postgres user: install postgresql-${PG_VERSION}"
  id mysql >/dev/null 2>&1 || die "no mysql user: install mariadb-server"
}

# A CA: self-signed, 2 days (a lab CA should not outlive the lab).
make_ca() {
  local name=$1 cn=$2
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 \
    -subj "/CN=$cn" -keyout "$TLS_DIR/$name.key" -out "$TLS_DIR/$name.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    >/dev/null 2>&1 || die "openssl could not make the CA $name"
}

certificates_valid() {
  local f
  for f in ca.pem other-ca.pem server.pem pg/server.key mariadb/server.key; do
    [ -s "$TLS_DIR/$f" ] || return 1
  done
  openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.pem" >/dev/null 2>&1 || return 1
  openssl verify -CAfile "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem" >/dev/null 2>&1
}

make_certificates() {
  echo "tls lab: making a throwaway CA and the servers' certificate in $TLS_DIR"
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR/pg" "$TLS_DIR/mariadb"
  chmod 755 "$LAB_DIR" "$TLS_DIR"
  make_ca ca "Switchback lab CA"
  make_ca other-ca "Switchback lab other CA"
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
    -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" >/dev/null 2>&1 ||
    die "openssl could not make the server key"
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
    >"$TLS_DIR/server.ext"
  openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
    -CAcreateserial -days 2 -sha256 -extfile "$TLS_DIR/server.ext" -out "$TLS_DIR/server.pem" \
    >/dev/null 2>&1 || die "openssl could not sign the server certificate"
  # The keys stay readable by their server's account only; the certificates by everyone (the
  # subscriber's walreceiver and the replica's I/O thread read the CA as postgres / mysql).
  install -m 600 -o postgres -g postgres "$TLS_DIR/server.key" "$TLS_DIR/pg/server.key"
  install -m 600 -o mysql -g mysql "$TLS_DIR/server.key" "$TLS_DIR/mariadb/server.key"
  chmod 600 "$TLS_DIR/server.key" "$TLS_DIR/ca.key" "$TLS_DIR/other-ca.key"
  chmod 644 "$TLS_DIR/ca.pem" "$TLS_DIR/other-ca.pem" "$TLS_DIR/server.pem"
  chmod 755 "$TLS_DIR/pg" "$TLS_DIR/mariadb"
  rm -f "$TLS_DIR/server.csr" "$TLS_DIR/server.ext"
}

pg_tls_conf() {
  local name=$1 dir="/etc/postgresql/${PG_VERSION}/$1"
  runuser -u postgres -- tee "$dir/conf.d/switchback-tls.conf" >/dev/null <<EOF
# Written by deploy/lab/tls.sh; rewritten on every start.
ssl = on
ssl_cert_file = '$TLS_DIR/server.pem'
ssl_key_file = '$TLS_DIR/pg/server.key'
ssl_ca_file = '$TLS_DIR/ca.pem'
EOF
}

start_postgres() {
  env SWITCHBACK_PG_CLUSTERS="$PG_CLUSTERS" bash "$here/postgres.sh" start >/dev/null
  local entry name port
  for entry in $PG_CLUSTERS; do
    name=${entry%%:*}
    port=${entry##*:}
    pg_tls_conf "$name"
    # ssl and its files take effect on reload (PostgreSQL 10 and later).
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$name" reload >/dev/null
    local ssl="" i
    for i in $(seq 1 20); do
      ssl=$(runuser -u postgres -- psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc \
        'show ssl' 2>/dev/null || true)
      [ "$ssl" = on ] && break
      sleep 0.25
    done
    [ "$ssl" = on ] ||
      die "$name (127.0.0.1:$port) did not turn ssl on; see /var/log/postgresql/postgresql-${PG_VERSION}-${name}.log"
  done
}

start_mariadb() {
  cat >"$TLS_DIR/mariadb/tls.cnf" <<EOF
# Written by deploy/lab/tls.sh; rewritten on every start.
[mariadbd]
ssl_cert = $TLS_DIR/server.pem
ssl_key = $TLS_DIR/mariadb/server.key
ssl_ca = $TLS_DIR/ca.pem
EOF
  chmod 644 "$TLS_DIR/mariadb/tls.cnf"
  env SWITCHBACK_MARIADB_PORTS="$MARIADB_PORTS" SWITCHBACK_MARIADB_INCLUDE="$TLS_DIR/mariadb/tls.cnf" \
    bash "$here/mariadb.sh" start >/dev/null
  local port have
  for port in $MARIADB_PORTS; do
    # A server started before new certificates were made still holds the old ones.
    mariadb --no-defaults --protocol=socket --socket="$LAB_DIR/mariadb-$port/mariadbd.sock" \
      -uroot -e 'FLUSH SSL' >/dev/null 2>&1 || true
    have=$(mariadb --no-defaults --protocol=socket --socket="$LAB_DIR/mariadb-$port/mariadbd.sock" \
      -uroot -N -B -e "SELECT @@have_ssl" 2>/dev/null || true)
    [ "$have" = YES ] ||
      die "MariaDB 127.0.0.1:$port has have_ssl=$have; see $LAB_DIR/mariadb-$port/error.log"
  done
}

urls() {
  echo "SWITCHBACK_TLS_CA=$TLS_DIR/ca.pem"
  echo "SWITCHBACK_TLS_OTHER_CA=$TLS_DIR/other-ca.pem"
  echo "postgres: jdbc:postgresql://127.0.0.1:5440/<db>?sslmode=verify-full&sslrootcert=$TLS_DIR/ca.pem (source)"
  echo "postgres: jdbc:postgresql://127.0.0.1:5441/<db>?sslmode=verify-full&sslrootcert=$TLS_DIR/ca.pem (destination)"
  echo "mariadb:  jdbc:mariadb://127.0.0.1:3320/?sslMode=verify-full&serverSslCert=$TLS_DIR/ca.pem (source)"
  echo "mariadb:  jdbc:mariadb://127.0.0.1:3321/?sslMode=verify-full&serverSslCert=$TLS_DIR/ca.pem (destination)"
}

status() {
  local rc=0
  certificates_valid && echo "tls lab: certificates valid in $TLS_DIR" ||
    { echo "tls lab: certificates missing or expiring in $TLS_DIR"; rc=1; }
  env SWITCHBACK_PG_CLUSTERS="$PG_CLUSTERS" bash "$here/postgres.sh" status || rc=1
  env SWITCHBACK_MARIADB_PORTS="$MARIADB_PORTS" bash "$here/mariadb.sh" status || rc=1
  return "$rc"
}

case "${1:-}" in
  start)
    need_tools
    mkdir -p "$TLS_DIR"
    # New certificates reach running servers through the reloads below.
    certificates_valid || make_certificates
    start_postgres
    start_mariadb
    echo "tls lab: PostgreSQL 5440/5441 and MariaDB 3320/3321 speak TLS (CA $TLS_DIR/ca.pem)"
    urls
    ;;
  stop)
    env SWITCHBACK_PG_CLUSTERS="$PG_CLUSTERS" bash "$here/postgres.sh" stop
    env SWITCHBACK_MARIADB_PORTS="$MARIADB_PORTS" bash "$here/mariadb.sh" stop
    ;;
  status)
    status
    ;;
  urls)
    urls
    ;;
  *)
    echo "usage: $0 {start|stop|status|urls}" >&2
    exit 2
    ;;
esac
