import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { PayloadBucket } from '../payload-bucket';
import { ENV_ENVIRONMENT, ENV_PAYLOAD_BUCKET } from './names';

/**
 * The environment variables the runtime's publishers read, set on a producer function: where to
 * offload large bodies (with a payload bucket) and which environment to stamp (with one).
 */
export function setProducerEnvironment(producer: lambda.Function, payloadBucket: PayloadBucket | undefined, environment: string | undefined): void {
  if (payloadBucket) {
    producer.addEnvironment(ENV_PAYLOAD_BUCKET, payloadBucket.bucketName);
  }
  if (environment) {
    producer.addEnvironment(ENV_ENVIRONMENT, environment);
  }
}
