// Every entry point of the four packages resolves and type-checks from an ES module (the runtime's ESM .d.ts).
import { FanOutTopic, IdempotencyTable } from 'cdk-fanout';
import { createConsumer, Publisher, redrive, parseEnvelope, ENV_DLQ_URL } from '@cdk-fanout/runtime';
import { createConsumer as consumer, PoisonMessageError } from '@cdk-fanout/runtime/consumer';
import { Publisher as publisher, createEnvelope } from '@cdk-fanout/runtime/publisher';
import { redrive as redriveOnly, queueFacts } from '@cdk-fanout/runtime/redrive';
import { parseEnvelope as parse, unwrapRecord } from '@cdk-fanout/runtime/envelope';
import * as names from '@cdk-fanout/runtime/names';
import { main } from '@cdk-fanout/cli';
import { LocalDeployment, startFauxqs, startDynamoDbLocal, LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';

export const everything = [
  FanOutTopic, IdempotencyTable, createConsumer, Publisher, redrive, parseEnvelope, ENV_DLQ_URL,
  consumer, PoisonMessageError, publisher, createEnvelope, redriveOnly, queueFacts, parse, unwrapRecord, names,
  main, LocalDeployment, startFauxqs, startDynamoDbLocal, LOCAL_CREDENTIALS, LOCAL_REGION,
] as const;
const region: string = LOCAL_REGION;
export { region };
