/**
 * `@cdk-fanout/local`: a synthesized CDK app on one machine. fauxqs stands in for SNS and SQS,
 * DynamoDB Local for tables, and every SQS event source mapping is polled into its bundled handler.
 */
export { LocalDeployment, type LocalDeploymentOptions, type LocalEndpoints } from './local-deployment.js';
export { startDynamoDbLocal, startFauxqs, LOCAL_CREDENTIALS, LOCAL_REGION, type Emulator } from './emulators.js';
export type { PollerOptions, PollerStats } from './event-source-poller.js';
export type { InvocationResult, PreloadModule } from './lambda-function.js';
export type { LocalClients, LocalEventSource, LocalFunctionSpec, LocalQueue, LocalTopic, ProvisionedStack } from './provision.js';
