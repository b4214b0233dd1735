/*
 * --profile: the command's clients read that profile from the shared files, as AWS_PROFILE
 * would, without changing the process environment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '@cdk-fanout/local';
import { sqsClient } from '@cdk-fanout/testing';
import { createSourceAndDlq } from '@cdk-fanout/testing';
import { fanout } from './support/run';

let sqs: SQSClient;
beforeAll(() => {
  sqs = sqsClient();
  // Jest gives each test file its own copy of process.env: these settings stay in this file.
  const directory = mkdtempSync(join(tmpdir(), 'fanout-profile-'));
  writeFileSync(join(directory, 'credentials'), `[on-call]\naws_access_key_id = ${LOCAL_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${LOCAL_CREDENTIALS.secretAccessKey}\n`);
  writeFileSync(join(directory, 'config'), '');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(directory, 'credentials');
  process.env.AWS_CONFIG_FILE = join(directory, 'config');
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
});
afterAll(() => sqs.destroy());

test('--profile picks the credentials of that profile', async () => {
  const { dlq } = await createSourceAndDlq(sqs, 'cli-profile');

  const withProfile = await fanout(['dlq', 'inspect', '--queue-url', dlq.url, '--profile', 'on-call']);
  const unknownProfile = await fanout(['dlq', 'inspect', '--queue-url', dlq.url, '--profile', 'no-such-profile']);

  expect(withProfile).toMatchObject({ code: 0, stdout: `${dlq.url} is empty.\n` });
  expect(unknownProfile.code).toBe(1);
  expect(unknownProfile.stderr).toMatch(/^fanout dlq inspect: CredentialsProviderError: .* \(set --profile, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\)\n$/);
});
