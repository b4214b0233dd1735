/** @type {import('jest').Config} */
// The AWS SDK warns on every Node 20 process that it will drop Node 20 in 2027; the machine is Node 20 by design.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Tests run the workspace packages from their TypeScript sources, as tsconfig.dev.json maps them. */
const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  // .ts before .js: a stale build output next to a source file must never be the one tested.
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: {
    '^@cdk-fanout/runtime$': '<rootDir>/runtime/src/index.ts',
    '^@cdk-fanout/runtime/(.*)$': '<rootDir>/runtime/src/entries/$1.ts',
    '^@cdk-fanout/local$': '<rootDir>/local/src/index.ts',
    '^@cdk-fanout/cli$': '<rootDir>/cli/src/fanout.ts',
    '^@cdk-fanout/testing$': '<rootDir>/testing/src/index.ts',
    // Sources import each other as `./x.js` (what Node's ES modules need); here that is ./x.ts.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.dev.json' }],
  },
};

/** Integration tests talk to fauxqs and DynamoDB Local (Java), started once per run. */
const INTEGRATION = '\\.integ\\.test\\.ts$';

module.exports = {
  // A global option: projects do not take it.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: [INTEGRATION] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.integ.test.ts'],
      globalSetup: '<rootDir>/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/testing/src/global-teardown.ts',
    },
  ],
};
