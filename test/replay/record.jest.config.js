// `npm run replay:record`: the jest setup of `npm test` (its global setup starts the servers), running only the
// recorder, which is not a *.test.ts file, so `npm test` never records.
const base = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/replay'],
  testMatch: ['**/record-histories.ts'],
  testTimeout: 180_000,
};
