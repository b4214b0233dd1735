/**
 * `@cdk-fanout/local`: a synthesized CDK app on one machine. fauxqs stands in for SNS and SQS,
 * DynamoDB Local for tables, kinesalite for Kinesis streams, and every SQS and Kinesis event source
 * mapping is polled into its bundled handler.
 */
export { LocalDeployment, type LocalDeploymentOptions, type LocalEndpoints } from './local-deployment';
export { kinesaliteClient, startDynamoDbLocal, startFauxqs, startKinesalite, LOCAL_CREDENTIALS, LOCAL_REGION, type Emulator } from './emulators';
export type { StreamPoller, StreamPollerStats } from './stream-poller';
export { createStream, type LocalStream, type LocalStreamEventSource, type StreamStartingPosition } from './kinesis-stream';
export type { PollerOptions, PollerStats } from './event-source-poller';
export type { InvocationResult, PreloadModule } from './lambda-function';
export type { RabbitMqPoller, RabbitMqPollerStats } from './rabbitmq-poller';
export type { LocalRabbitMqEventSource, LocalRabbitMqOptions } from './rabbitmq-source';
export type { LocalClients, LocalEventSource, LocalFunctionSpec, LocalQueue, LocalTopic, ProvisionedStack } from './provision';
