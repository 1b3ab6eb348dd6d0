// Jest global setup for the e2e tier: a Kafka broker as for the integration tier, and, since the
// e2e specs run the built services, a dist/ no older than the sources (built here when it is).
const { join } = require('node:path');
const kafka = require('./global-setup');
const { ensureFreshBuild } = require('./dist-freshness');

module.exports = async (...args) => {
  await kafka(...args);
  ensureFreshBuild(join(__dirname, '..', '..'));
};
