// Three tiers: unit specs beside the code (no
// I/O), integration specs that touch the real PostgreSQL or Kafka (*.int-spec.ts), and end-to-end specs
// in test/ that run the built services as processes, and the small fault suite. `npm test` builds
// first, then runs them all, one file at a time.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const common = {
  transform: { '^.+\\.ts$': swc },
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/{apps,libs,contracts,scripts,bench}/**/*.spec.ts',
        '<rootDir>/test/support/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,contracts}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.js',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // Builds first when a source is newer than dist/ (the e2e tier runs the built services).
      globalSetup: '<rootDir>/test/support/e2e-global-setup.js',
    },
    // The small fault suite (docs/reliability.md): its own PostgreSQL and Kafka, seven trials back to
    // back on a 165-person roster; `npm run test:faults` runs it alone.
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/**/*.faults-spec.ts'],
      globalSetup: '<rootDir>/test/support/e2e-global-setup.js',
    },
  ],
};
