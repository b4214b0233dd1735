import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';

function endpoint(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests with jest so that test/support/global-setup.ts starts the emulators`);
  }
  return value;
}

const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

/** A DynamoDB client for DynamoDB Local, started once per run by the global set-up. */
export const dynamoDbClient = (): DynamoDBClient =>
  new DynamoDBClient({ ...common, endpoint: endpoint('FANOUT_TEST_DYNAMODB_ENDPOINT') });

/** SNS and SQS clients for fauxqs, started once per run by the global set-up. */
export const snsClient = (): SNSClient => new SNSClient({ ...common, endpoint: endpoint('FANOUT_TEST_FAUXQS_ENDPOINT') });
export const sqsClient = (): SQSClient => new SQSClient({ ...common, endpoint: endpoint('FANOUT_TEST_FAUXQS_ENDPOINT') });
/** An S3 client for fauxqs (it serves S3 on the same endpoint), with path-style addressing as the emulator needs. */
export const s3Client = (): S3Client => new S3Client({ ...common, endpoint: endpoint('FANOUT_TEST_FAUXQS_ENDPOINT'), forcePathStyle: true });
