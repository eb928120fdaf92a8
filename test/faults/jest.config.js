// The fault-injection suite (npm run test:faults). Each *.fault.ts file starts its own stack of real processes, so
// there is no global setup; files run one after another (--runInBand) and tests get long timeouts.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.fault.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
    '/node_modules/cookie/.+\\.js$': '<rootDir>/test/support/esm-to-cjs.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  testTimeout: 600_000,
  slowTestThreshold: 120,
  verbose: true,
};
