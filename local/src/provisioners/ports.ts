/*
 * The emulator services provisioning talks to, one interface per service, each listing the
 * requests provisioning sends. The SDK clients are these ports (their generic `send` takes any of
 * their commands); a test gives recording fakes instead and provisions with no emulator running.
 */
import type { CreateTableCommand, CreateTableCommandOutput } from '@aws-sdk/client-dynamodb';
import type { CreateStreamCommand, CreateStreamCommandOutput, DescribeStreamSummaryCommand, DescribeStreamSummaryCommandOutput } from '@aws-sdk/client-kinesis';
import type { CreateBucketCommand, CreateBucketCommandOutput } from '@aws-sdk/client-s3';
import type { CreateTopicCommand, CreateTopicCommandOutput, SubscribeCommand, SubscribeCommandOutput } from '@aws-sdk/client-sns';
import type { CreateQueueCommand, CreateQueueCommandOutput, GetQueueAttributesCommand, GetQueueAttributesCommandOutput } from '@aws-sdk/client-sqs';

/** Topics and their subscriptions (fauxqs); an `SNSClient` is one. */
export interface SnsPort {
  send(command: CreateTopicCommand): Promise<CreateTopicCommandOutput>;
  send(command: SubscribeCommand): Promise<SubscribeCommandOutput>;
}

/** Queues (fauxqs); an `SQSClient` is one. */
export interface SqsPort {
  send(command: CreateQueueCommand): Promise<CreateQueueCommandOutput>;
  send(command: GetQueueAttributesCommand): Promise<GetQueueAttributesCommandOutput>;
}

/** Tables (DynamoDB Local); a `DynamoDBClient` is one. */
export interface DynamoDbPort {
  send(command: CreateTableCommand): Promise<CreateTableCommandOutput>;
}

/** Buckets (fauxqs's S3); an `S3Client` is one. */
export interface S3Port {
  send(command: CreateBucketCommand): Promise<CreateBucketCommandOutput>;
}

/** Streams (kinesalite); a `KinesisClient` is one. */
export interface KinesisPort {
  send(command: CreateStreamCommand): Promise<CreateStreamCommandOutput>;
  send(command: DescribeStreamSummaryCommand): Promise<DescribeStreamSummaryCommandOutput>;
}

/** The services a stack is provisioned on; `LocalClients` (the SDK clients) is one. */
export interface ProvisioningPorts {
  readonly sns: SnsPort;
  readonly sqs: SqsPort;
  readonly dynamodb: DynamoDbPort;
  readonly s3: S3Port;
  /** Needed only when the stack has Kinesis streams. */
  readonly kinesis?: KinesisPort;
}
