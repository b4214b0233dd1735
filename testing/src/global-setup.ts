// The sources, not the package: jest loads a global set-up without its module mapping.
import { type Emulator, startDynamoDbLocal, startFauxqs } from '../../local/src/emulators';

/**
 * Starts each emulator once per test run; workers find them through the environment
 * (see `test/support/endpoints.ts`).
 */
export default async function globalSetup(): Promise<void> {
  const [dynamodb, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqs()]);
  process.env.FANOUT_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  process.env.FANOUT_TEST_FAUXQS_ENDPOINT = fauxqs.endpoint;
  (globalThis as { fanoutEmulators?: Emulator[] }).fanoutEmulators = [dynamodb, fauxqs];
}
