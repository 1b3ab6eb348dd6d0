// Jest global setup for the integration and e2e tiers: makes sure a Kafka broker answers.
// With KAFKA_BROKERS set, that broker is used as it is; otherwise scripts/kafka.sh starts the
// project's local broker (fetched from Maven Central on first use) and leaves it running for reuse.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  if (process.env.KAFKA_BROKERS) return;
  execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'kafka.sh'), 'start'], { stdio: 'inherit' });
  process.env.KAFKA_BROKERS = `127.0.0.1:${process.env.KAFKA_PORT || 9092}`;
};
