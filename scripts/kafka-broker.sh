#!/usr/bin/env bash
# Start/stop a real single-node Apache Kafka broker (KRaft, broker+controller in
# one JVM) bound to 127.0.0.1, for tests and local use. Needs Java 17+ and Maven;
# the Kafka jars come from Maven Central (see scripts/kafka/pom.xml).
#
# Usage:
#   scripts/kafka-broker.sh fetch              download jars into $KAFKA_CACHE/libs
#   scripts/kafka-broker.sh start DIR          start (format DIR on first use);
#                                              prints 127.0.0.1:PORT as last line
#   scripts/kafka-broker.sh stop DIR           SIGTERM, after KAFKA_STOP_TIMEOUT (120) s SIGKILL
#   scripts/kafka-broker.sh restart DIR        stop + start, same port and data
#   scripts/kafka-broker.sh status DIR         exit 0 if running, 1 if not
#   scripts/kafka-broker.sh topics DIR ARGS..  kafka-topics with --bootstrap-server
#                                              filled in, e.g.
#     scripts/kafka-broker.sh topics DIR --create --topic X --partitions 6
#     scripts/kafka-broker.sh topics DIR --describe --topic X
#
# Files in DIR: server.properties, log4j2.properties, data/ (log.dirs),
# broker.log, broker.pid, bootstrap (host:port).
# Environment: KAFKA_CACHE (default ~/.cache/complaint-ledger/kafka),
# KAFKA_HEAP_OPTS (default -Xmx512m -Xms128m), KAFKA_START_TIMEOUT (default 90 s),
# KAFKA_STOP_TIMEOUT (default 120 s).
# Readiness is checked with kcat if installed, otherwise with the Java admin client.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM="$SCRIPT_DIR/kafka/pom.xml"
CACHE="${KAFKA_CACHE:-$HOME/.cache/complaint-ledger/kafka}"
LIBS="$CACHE/libs"
MARKER="$LIBS/.complete"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-120}"

die() { echo "kafka-broker: $*" >&2; exit 1; }
log() { echo "kafka-broker: $*" >&2; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

# ---- jars -------------------------------------------------------------------

# The marker holds the pom's checksum, so editing the pom triggers a re-fetch.
pom_sum() { sha256sum "$POM" | cut -d' ' -f1; }

fetch() {
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(pom_sum)" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars)"
  mkdir -p "$CACHE"
  # One fetch at a time per cache; a second caller waits, then sees the marker.
  exec 9>"$CACHE/.fetch.lock"
  flock -w 600 9 || die "timed out waiting for another fetch"
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(pom_sum)" ]]; then exec 9>&-; return 0; fi
  log "fetching Kafka jars into $LIBS"
  local tmp="$CACHE/libs.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DoutputDirectory="$tmp" \
    >"$CACHE/fetch.log" 2>&1; then
    tail -n 30 "$CACHE/fetch.log" >&2
    rm -rf "$tmp"
    die "maven could not fetch the Kafka jars (log: $CACHE/fetch.log)"
  fi
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "kafka_2.13 jar missing after fetch"; }
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  pom_sum >"$MARKER"
  exec 9>&-
}

kjava() { java -cp "$LIBS/*" "$@"; }

# ---- helpers ----------------------------------------------------------------

# Absolute path of DIR; created only when starting.
need_dir() { # DIR [create]
  [[ -n "${1:-}" ]] || usage
  if [[ -n "${2:-}" ]]; then mkdir -p "$1"; fi
  [[ -d "$1" ]] || die "no such directory: $1"
  (cd "$1" && pwd)
}

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
  else
    local p i
    for i in $(seq 1 50); do
      p=$((20000 + RANDOM % 40000))
      port_open "$p" || { echo "$p"; return 0; }
    done
    die "no free port found"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

prop() { sed -n "s/^$1=//p" "$2" | tail -n1; }

# PID from DIR/broker.pid if that process is alive and is a Kafka broker.
running_pid() {
  local pidf="$1/broker.pid" pid
  [[ -f "$pidf" ]] || return 1
  pid=$(cat "$pidf")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

write_log4j() {
  # Level via -Dkafka.log.level; everything goes to stderr (broker: into broker.log).
  cat >"$1/log4j2.properties" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${sys:kafka.log.level:-INFO}
rootLogger.appenderRef.err.ref = STDERR
logger.kafka-request.name = kafka.request.logger
logger.kafka-request.level = WARN
logger.state-change.name = state.change.logger
logger.state-change.level = WARN
EOF
}

write_config() { # DIR PORT CPORT
  cat >"$1/server.properties" <<EOF
# Single-node KRaft broker+controller for local tests; loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$3
listeners=PLAINTEXT://127.0.0.1:$2,CONTROLLER://127.0.0.1:$3
advertised.listeners=PLAINTEXT://127.0.0.1:$2
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$1/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
}

# Broker answers a metadata request and lists itself.
broker_ready() { # BOOTSTRAP
  if command -v kcat >/dev/null; then
    kcat -b "$1" -L -m 5 2>/dev/null | grep -q "broker 1 at"
  else
    timeout 30 java -cp "$LIBS/*" -Dlog4j2.configurationFile="$DIR/log4j2.properties" \
      -Dkafka.log.level=ERROR org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$1" --list >/dev/null 2>&1
  fi
}

fail_start() {
  log "$1"
  if [[ -f "$DIR/broker.log" ]]; then
    echo "---- last lines of $DIR/broker.log ----" >&2
    tail -n 40 "$DIR/broker.log" >&2
  fi
  local pid
  if pid=$(running_pid "$DIR"); then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$DIR/broker.pid"
  exit 1
}

# ---- subcommands ------------------------------------------------------------

start() {
  DIR=$(need_dir "${1:-}" create)
  local pid port cport bootstrap
  if pid=$(running_pid "$DIR"); then
    log "already running (pid $pid)"
    cat "$DIR/bootstrap"
    return 0
  fi
  command -v java >/dev/null || die "java not found (Java 17+ needed)"
  fetch
  write_log4j "$DIR"

  if [[ -f "$DIR/data/meta.properties" && -f "$DIR/server.properties" ]]; then
    # Existing broker: keep its ports and data, do not reformat.
    port=$(prop listeners "$DIR/server.properties" | sed -n 's/.*PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p')
    cport=$(prop controller.quorum.bootstrap.servers "$DIR/server.properties" | sed 's/.*://')
    [[ -n "$port" && -n "$cport" ]] || die "cannot read ports from $DIR/server.properties"
    port_open "$port" && die "port $port is already in use by another process"
    port_open "$cport" && die "controller port $cport is already in use by another process"
  else
    rm -rf "$DIR/data"
    port=$(free_port)
    cport=$(free_port)
    while [[ "$cport" == "$port" ]]; do cport=$(free_port); done
    write_config "$DIR" "$port" "$cport"
    local cluster_id
    cluster_id=$(kjava kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    # --standalone: this node alone forms the (dynamic) controller quorum.
    kjava -Dlog4j2.configurationFile="$DIR/log4j2.properties" -Dkafka.log.level=WARN \
      kafka.tools.StorageTool format --standalone --config "$DIR/server.properties" \
      --cluster-id "$cluster_id" >"$DIR/format.log" 2>&1 \
      || { cat "$DIR/format.log" >&2; die "storage format failed"; }
  fi
  bootstrap="127.0.0.1:$port"

  # shellcheck disable=SC2086  # HEAP_OPTS is a list of JVM flags
  setsid java $HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$DIR/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$DIR/server.properties" \
    </dev/null >>"$DIR/broker.log" 2>&1 &
  pid=$!
  echo "$pid" >"$DIR/broker.pid"

  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$port"; do
    kill -0 "$pid" 2>/dev/null || fail_start "broker exited during startup"
    ((SECONDS < deadline)) || fail_start "port $port not open after ${START_TIMEOUT}s"
    sleep 0.5
  done
  until broker_ready "$bootstrap"; do
    kill -0 "$pid" 2>/dev/null || fail_start "broker exited during startup"
    ((SECONDS < deadline)) || fail_start "broker not ready after ${START_TIMEOUT}s"
    sleep 1
  done
  echo "$bootstrap" >"$DIR/bootstrap"
  log "running (pid $pid, ${SECONDS}s)"
  echo "$bootstrap"
}

stop() {
  DIR=$(need_dir "${1:-}")
  local pid i
  if ! pid=$(running_pid "$DIR"); then
    rm -f "$DIR/broker.pid"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 2; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "no exit after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$DIR/broker.pid"
  log "stopped"
}

status() {
  DIR=$(need_dir "${1:-}")
  local pid
  if pid=$(running_pid "$DIR"); then
    echo "running pid=$pid bootstrap=$(cat "$DIR/bootstrap" 2>/dev/null || echo '?')"
  else
    echo "stopped"
    return 1
  fi
}

topics() {
  DIR=$(need_dir "${1:-}")
  shift
  [[ -f "$DIR/bootstrap" ]] || die "no bootstrap file in $DIR (broker not started?)"
  fetch
  kjava -Dlog4j2.configurationFile="$DIR/log4j2.properties" -Dkafka.log.level=WARN \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cat "$DIR/bootstrap")" "$@"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  fetch) fetch; echo "$LIBS" ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  restart) stop "$@"; start "$@" ;;
  status) status "$@" ;;
  topics) topics "$@" ;;
  *) usage ;;
esac
