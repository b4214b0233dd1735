/**
 * `@cdk-fanout/local`: a synthesized CDK app on one machine. fauxqs stands in for SNS and SQS,
 * DynamoDB Local for tables, and every SQS event source mapping is polled into its bundled handler.
 */
export { LocalDeployment, type LocalDeploymentOptions, type LocalEndpoints } from './local-deployment';
export { startDynamoDbLocal, startFauxqs, LOCAL_CREDENTIALS, LOCAL_REGION, type Emulator } from './emulators';
export type { PollerOptions, PollerStats } from './event-source-poller';
export type { InvocationResult, PreloadModule } from './lambda-function';
export type { LocalClients, LocalEventSource, LocalFunctionSpec, LocalQueue, LocalTopic, ProvisionedStack } from './provision';
