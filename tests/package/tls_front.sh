# tls_front.sh (sourced): a local HTTPS upstream whose certificate a test CA
# signed, for tests/package/run.sh and bench/run.sh. Needs openssl and socat.
#   tls_make_ca DIR            DIR/ca.pem (the test CA), DIR/server-bundle.pem
#                              (a P-256 certificate for IP 127.0.0.1 and its key);
#                              TLS_CA_NAME: the CA's file name in a hashed
#                              directory (<subject hash>.0)
#   tls_front_start DIR PORT   socat on 127.0.0.1:<free port> terminating TLS
#                              for 127.0.0.1:PORT; sets TLS_PORT and TLS_PID
# Both return non-zero (output in DIR/*.log) on failure.

tls_make_ca() {
  local d=$1
  mkdir -p "$d"
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj "/CN=trader test CA" -keyout "$d/ca.key" -out "$d/ca.pem" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$d/server.key" -out "$d/server.csr" &&
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$d/ext" &&
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
      -days 1 -extfile "$d/ext" -out "$d/server.pem"
  } >"$d/openssl.log" 2>&1 || return 1
  cat "$d/server.pem" "$d/server.key" >"$d/server-bundle.pem"
  TLS_CA_NAME="$(openssl x509 -hash -noout -in "$d/ca.pem").0"
}

tls_front_start() {
  local d=$1 upstream=$2 port pid
  TLS_PORT="" TLS_PID=""
  for _ in 1 2 3 4 5; do # a free port: socat picks none of its own
    port=$((20000 + RANDOM % 20000))
    socat "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,nodelay,cert=$d/server-bundle.pem,verify=0" \
      "TCP:127.0.0.1:$upstream,nodelay" 2>>"$d/socat.log" &
    pid=$!
    sleep 0.3
    if kill -0 "$pid" 2>/dev/null; then TLS_PORT=$port TLS_PID=$pid; return 0; fi
  done
  return 1
}
