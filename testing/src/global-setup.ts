// The sources, not the package: jest loads a global set-up without its module mapping.
import { type Emulator, startDynamoDbLocal, startFauxqs } from '../../local/src/emulators';
import { startTestRabbitMq } from './rabbitmq-broker';

/**
 * Starts each emulator once per test run; workers find them through the environment
 * (see `test/support/endpoints.ts`). RabbitMQ only when a selected test needs it and it is installed.
 */
export default async function globalSetup(globalConfig: { rootDir: string; testPathPatterns?: Parameters<typeof startTestRabbitMq>[1] }): Promise<void> {
  const starts = await Promise.allSettled([startDynamoDbLocal(), startFauxqs(), startTestRabbitMq(globalConfig.rootDir, globalConfig.testPathPatterns)]);
  const failed = starts.find((start) => start.status === 'rejected');
  if (failed) {
    // What did start is stopped, so a failed start leaves no Java or Erlang process behind.
    await Promise.all(starts.map((start) => (start.status === 'fulfilled' ? start.value?.stop() : undefined)));
    throw failed.reason;
  }
  const [dynamodb, fauxqs, rabbitmq] = starts.map((start) => (start as PromiseFulfilledResult<Emulator | undefined>).value) as [Emulator, Emulator, Emulator | undefined];
  process.env.FANOUT_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  process.env.FANOUT_TEST_FAUXQS_ENDPOINT = fauxqs.endpoint;
  (globalThis as { fanoutEmulators?: Emulator[] }).fanoutEmulators = [dynamodb, fauxqs, ...(rabbitmq ? [rabbitmq] : [])];
}
