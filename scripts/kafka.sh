#!/usr/bin/env bash
# Runs Apache Kafka (KRaft) for development and tests, fetched from Maven Central.
#   scripts/kafka.sh start    fetch jars if needed, format storage once, start, wait until it answers
#   scripts/kafka.sh stop     stop the broker and wait until no process is left
#   scripts/kafka.sh status   exit 0 if the broker answers on its port
#   scripts/kafka.sh reset    stop and delete its data
#   scripts/kafka.sh cluster start|stop|status|reset|kill N
#                             three brokers on loopback, each also a voter of a 3-controller quorum;
#                             `start` (re)starts every node that does not answer, `kill N` kill -9s node N
# Environment: KAFKA_VERSION (default 3.9.1), KAFKA_PORT (9092), KAFKA_HOME_DIR (.kafka), KAFKA_HEAP (-Xmx512m);
# for the cluster KAFKA_CLUSTER_PORTS (19092,19094,19096: each broker's port, its controller on the next
# one) and KAFKA_HEAP (-Xmx384m per broker).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.kafka}"
JARS="$HOME_DIR/jars-$KAFKA_VERSION"

# One node: its ports and files. single_node and cluster_node set these.
node_ctx() { # broker port, controller port, file stem
  KAFKA_PORT="$1"
  CONTROLLER_PORT="$2"
  DATA="$HOME_DIR/data-$3"
  CONF="$HOME_DIR/server-$3.properties"
  PIDFILE="$HOME_DIR/kafka-$3.pid"
  LOG="$HOME_DIR/kafka-$3.log"
}

single_node() {
  local port="${KAFKA_PORT:-9092}"
  node_ctx "$port" "${KAFKA_CONTROLLER_PORT:-$((port + 1))}" "$port"
  NODE_ID=1
  VOTERS="1@127.0.0.1:$CONTROLLER_PORT"
  REPLICAS=1
  MIN_ISR=1
  HEAP="${KAFKA_HEAP:--Xmx512m -Xms256m}"
}

IFS=, read -r -a CLUSTER_PORTS <<<"${KAFKA_CLUSTER_PORTS:-19092,19094,19096}"

cluster_node() { # node number, 1-based
  local n="$1" port="${CLUSTER_PORTS[$(($1 - 1))]}"
  node_ctx "$port" "$((port + 1))" "cluster-$port"
  NODE_ID="$n"
  VOTERS=""
  local i=1 p
  for p in "${CLUSTER_PORTS[@]}"; do
    VOTERS+="${VOTERS:+,}$i@127.0.0.1:$((p + 1))"
    i=$((i + 1))
  done
  REPLICAS="${#CLUSTER_PORTS[@]}"
  MIN_ISR=$((REPLICAS > 1 ? 2 : 1))
  HEAP="${KAFKA_HEAP:--Xmx384m -Xms128m}"
  # Every node of a cluster is formatted with the same cluster id, kept beside the nodes' data.
  CLUSTER_ID_FILE="$HOME_DIR/cluster-${CLUSTER_PORTS[0]}.id"
}

log() { echo "[kafka] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; }

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

fetch() {
  if [[ -f "$JARS/.complete" ]]; then return; fi
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $JARS"
  mkdir -p "$JARS"
  (cd "$ROOT/scripts/kafka" && mvn -q -B dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$JARS")
  touch "$JARS/.complete"
}

java_run() { # main class, args...
  local main="$1"; shift
  # shellcheck disable=SC2086
  ${JAVA_EXEC:-} java $HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HOME_DIR/log4j.properties" \
    -cp "$JARS/*" "$main" "$@"
}

new_cluster_id() { tr -d - </proc/sys/kernel/random/uuid | head -c 22; }

configure() {
  mkdir -p "$DATA"
  cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
num.partitions=3
# Topics are created by the services with explicit partition counts, never by accident.
auto.create.topics.enable=false
offsets.topic.replication.factor=$REPLICAS
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$REPLICAS
transaction.state.log.min.isr=$MIN_ISR
# With 3 brokers an acks=all write is on at least 2 of them before it is acknowledged.
default.replication.factor=$REPLICAS
min.insync.replicas=$MIN_ISR
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=67108864
PROPS
  cat >"$HOME_DIR/log4j.properties" <<'L4J'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
L4J
  if [[ ! -f "$DATA/meta.properties" ]]; then
    log "formatting KRaft storage in $DATA"
    local id
    if [[ -n "${CLUSTER_ID_FILE:-}" ]]; then
      [[ -f "$CLUSTER_ID_FILE" ]] || new_cluster_id >"$CLUSTER_ID_FILE"
      id="$(cat "$CLUSTER_ID_FILE")"
    else
      id="$(new_cluster_id)"
    fi
    java_run kafka.tools.StorageTool format -t "$id" -c "$CONF" >/dev/null
  fi
}

# Starts this node's JVM in the background without waiting; the pid file holds the JVM's own pid.
launch() {
  configure
  log "starting broker $NODE_ID on 127.0.0.1:$KAFKA_PORT (log: $LOG)"
  nohup bash -c "$(declare -f java_run); JAVA_EXEC=exec HEAP='$HEAP' JARS='$JARS' HOME_DIR='$HOME_DIR' java_run kafka.Kafka '$CONF'" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
}

# Waits until this node answers; fails when its JVM exits or after 60 s.
await_node() {
  for _ in $(seq 1 120); do
    if port_open; then log "broker $NODE_ID ready on 127.0.0.1:$KAFKA_PORT"; return 0; fi
    if ! running_pid >/dev/null; then log "broker exited; last lines of $LOG:"; tail -20 "$LOG" >&2; return 1; fi
    sleep 0.5
  done
  log "broker did not answer within 60 s"; tail -20 "$LOG" >&2; return 1
}

start() {
  if port_open; then log "already answering on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  fetch
  launch
  await_node
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    # Older starts left the bash wrapper's pid here with the JVM as its child: stop both.
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      if ! kill -0 "$pid" 2>/dev/null && ! pgrep -f "kafka.Kafka $CONF" >/dev/null; then break; fi
      sleep 0.5
    done
    pkill -KILL -f "kafka.Kafka $CONF" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  log "broker $NODE_ID stopped"
}

each_node() { # function to run for every cluster node, in node order
  local n
  for n in $(seq 1 "${#CLUSTER_PORTS[@]}"); do
    cluster_node "$n"
    "$1"
  done
}

# The nodes are launched together: none of them serves before a majority of the quorum is up.
cluster_start() {
  fetch
  local n pending=()
  for n in $(seq 1 "${#CLUSTER_PORTS[@]}"); do
    cluster_node "$n"
    if port_open; then log "broker $n already answering on 127.0.0.1:$KAFKA_PORT"; continue; fi
    pending+=("$n")
  done
  cluster_node 1
  [[ -f "$CLUSTER_ID_FILE" ]] || new_cluster_id >"$CLUSTER_ID_FILE"
  # Formatting starts a JVM per node: do them side by side.
  for n in "${pending[@]}"; do (cluster_node "$n" && configure) & done
  wait
  for n in "${pending[@]}"; do
    cluster_node "$n"
    launch
  done
  for n in "${pending[@]}"; do
    cluster_node "$n"
    await_node
  done
  log "cluster up: KAFKA_BROKERS=$(cluster_brokers)"
}

cluster_brokers() {
  local p out=""
  for p in "${CLUSTER_PORTS[@]}"; do out+="${out:+,}127.0.0.1:$p"; done
  echo "$out"
}

cluster_status() {
  local n up=0
  for n in $(seq 1 "${#CLUSTER_PORTS[@]}"); do
    cluster_node "$n"
    if port_open; then log "broker $n up on 127.0.0.1:$KAFKA_PORT"; up=$((up + 1)); else log "broker $n down (127.0.0.1:$KAFKA_PORT)"; fi
  done
  log "$up of ${#CLUSTER_PORTS[@]} brokers up"
  [[ "$up" -eq "${#CLUSTER_PORTS[@]}" ]]
}

# kill -9 of one node, for fault trials: no shutdown, no leadership hand-over.
cluster_kill() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= ${#CLUSTER_PORTS[@]})) || {
    echo "usage: $0 cluster kill 1..${#CLUSTER_PORTS[@]}" >&2
    exit 64
  }
  cluster_node "$1"
  local pid
  if pid="$(running_pid)"; then
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    log "broker $1 (pid $pid) killed"
  else
    log "broker $1 is not running"
  fi
}

cluster_reset_node() {
  stop
  rm -rf "$DATA"
}

cluster() {
  case "${1:-}" in
    start) cluster_start ;;
    stop) each_node stop ;;
    status) cluster_status ;;
    reset) each_node cluster_reset_node; rm -f "$HOME_DIR/cluster-${CLUSTER_PORTS[0]}.id"; log "cluster data removed" ;;
    kill) cluster_kill "${2:-}" ;;
    brokers) cluster_brokers ;;
    *) echo "usage: $0 cluster start|stop|status|reset|kill N|brokers" >&2; exit 64 ;;
  esac
}

case "${1:-}" in
  cluster) shift; cluster "$@"; exit ;;
esac

single_node
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if port_open; then log "up on 127.0.0.1:$KAFKA_PORT"; else log "down"; exit 1; fi ;;
  reset) stop; rm -rf "$DATA"; log "data removed" ;;
  fetch) fetch ;;
  *) echo "usage: $0 start|stop|status|reset|fetch|cluster …" >&2; exit 64 ;;
esac
