#!/usr/bin/env bash
# Runs a single-node Apache Kafka broker (KRaft) for development and tests, fetched from Maven Central.
#   scripts/kafka.sh start    fetch jars if needed, format storage once, start, wait until it answers
#   scripts/kafka.sh stop     stop the broker and wait until no process is left
#   scripts/kafka.sh status   exit 0 if the broker answers on its port
#   scripts/kafka.sh reset    stop and delete its data
# Environment: KAFKA_VERSION (default 3.9.1), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT + 1),
# KAFKA_HOME_DIR (.kafka), KAFKA_HEAP (-Xmx512m). Exit 98 when the controller port is taken.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.kafka}"
JARS="$HOME_DIR/jars-$KAFKA_VERSION"
DATA="$HOME_DIR/data-$KAFKA_PORT"
CONF="$HOME_DIR/server-$KAFKA_PORT.properties"
PIDFILE="$HOME_DIR/kafka-$KAFKA_PORT.pid"
LOG="$HOME_DIR/kafka-$KAFKA_PORT.log"
HEAP="${KAFKA_HEAP:--Xmx512m -Xms256m}"

log() { echo "[kafka] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/${1:-$KAFKA_PORT}") 2>/dev/null; }

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
  java $HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HOME_DIR/log4j.properties" \
    -cp "$JARS/*" "$main" "$@"
}

configure() {
  mkdir -p "$DATA"
  cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
num.partitions=3
# Topics are created by the services with explicit partition counts, never by accident.
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
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
    java_run kafka.tools.StorageTool format -t "$(cat /proc/sys/kernel/random/uuid | tr -d - | head -c 22)" -c "$CONF" >/dev/null
  fi
}

start() {
  if port_open; then log "already answering on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  if port_open "$CONTROLLER_PORT"; then
    log "port $CONTROLLER_PORT is taken; the broker's controller needs it. Stop what is listening there, or choose another port: KAFKA_CONTROLLER_PORT=<port> (default KAFKA_PORT + 1)."
    exit 98
  fi
  fetch
  configure
  log "starting broker on 127.0.0.1:$KAFKA_PORT (log: $LOG)"
  nohup bash -c "$(declare -f java_run); HEAP='$HEAP' JARS='$JARS' HOME_DIR='$HOME_DIR' java_run kafka.Kafka '$CONF'" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    if port_open; then log "ready"; return 0; fi
    if ! running_pid >/dev/null; then log "broker exited; last lines of $LOG:"; tail -20 "$LOG" >&2; return 1; fi
    sleep 0.5
  done
  log "broker did not answer within 60 s"; tail -20 "$LOG" >&2; return 1
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    # The pid is the bash wrapper; the JVM is its child. Stop both.
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      if ! kill -0 "$pid" 2>/dev/null && ! pgrep -f "kafka.Kafka $CONF" >/dev/null; then break; fi
      sleep 0.5
    done
    pkill -KILL -f "kafka.Kafka $CONF" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if port_open; then log "up on 127.0.0.1:$KAFKA_PORT"; else log "down"; exit 1; fi ;;
  reset) stop; rm -rf "$DATA"; log "data removed" ;;
  fetch) fetch ;;
  *) echo "usage: $0 start|stop|status|reset|fetch" >&2; exit 64 ;;
esac
