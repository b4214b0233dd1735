// Every entry point of the four packages resolves and type-checks from a CommonJS module (package
// "type": "commonjs"); the install test copies this file to entry-points.mts, which checks them from
// an ES module (the runtime's ESM .d.ts).
import { FanOutTopic, IdempotencyTable, PayloadBucket } from 'cdk-fanout';
import { createConsumer, Publisher, redrive, parseEnvelope, ENV_DLQ_URL } from '@cdk-fanout/runtime';
import { createConsumer as consumer, PoisonMessageError, type ConsumerLargePayloadOptions, type PoisonReason } from '@cdk-fanout/runtime/consumer';
import { Publisher as publisher, createEnvelope, type LargePayloadOptions } from '@cdk-fanout/runtime/publisher';
import { redrive as redriveOnly, queueFacts } from '@cdk-fanout/runtime/redrive';
import { parseEnvelope as parse, unwrapRecord, pointerBody, readPointer, type PayloadPointer } from '@cdk-fanout/runtime/envelope';
import * as names from '@cdk-fanout/runtime/names';
import { consumeRabbitMq, declareTopology, RabbitMqPublisher, amqpMessageOf, reconnectDelayMs } from '@cdk-fanout/runtime/rabbitmq';
import { topologyPlan } from '@cdk-fanout/runtime/rabbitmq-topology';
import { SqsPublisher } from '@cdk-fanout/runtime/sqs-publisher';
import { KinesisPublisher } from '@cdk-fanout/runtime/kinesis-publisher';
import { KafkaPublisher } from '@cdk-fanout/runtime/kafka-publisher';
import { main } from '@cdk-fanout/cli';
import { LocalDeployment, startFauxqs, startDynamoDbLocal, startKinesalite, kinesaliteClient, LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';

export const everything = [
  FanOutTopic, IdempotencyTable, PayloadBucket, createConsumer, Publisher, redrive, parseEnvelope, ENV_DLQ_URL,
  consumer, PoisonMessageError, publisher, createEnvelope, redriveOnly, queueFacts, parse, unwrapRecord, pointerBody, readPointer, names,
  consumeRabbitMq, declareTopology, RabbitMqPublisher, amqpMessageOf, reconnectDelayMs, topologyPlan, SqsPublisher, KinesisPublisher, KafkaPublisher,
  main, LocalDeployment, startFauxqs, startDynamoDbLocal, startKinesalite, kinesaliteClient, LOCAL_CREDENTIALS, LOCAL_REGION,
] as const;
const region: string = LOCAL_REGION;
// What the claim checks and environments name: the pointer, the options, the new poison reasons, the variables.
const pointer: PayloadPointer | undefined = readPointer(JSON.parse(pointerBody({ bucket: 'orders-payloads', key: 'prod/order.created/1' })));
const publisherOptions: LargePayloadOptions = { bucket: pointer?.bucket, thresholdBytes: 256 * 1024 };
const consumerOptions: ConsumerLargePayloadOptions = {};
const reasons: readonly PoisonReason[] = ['payload-missing', 'payload-unreadable', 'wrong-environment'];
const variables: readonly string[] = [names.ENV_PAYLOAD_BUCKET, names.ENV_ENVIRONMENT, names.idempotencyKeyPrefix('billing', 'prod')];
export { region, publisherOptions, consumerOptions, reasons, variables };
