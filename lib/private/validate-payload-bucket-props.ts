import { Duration, Token } from 'aws-cdk-lib';
import type { PayloadBucketProps } from '../payload-bucket';
import { ENVIRONMENT_RULE, environmentName } from './environment';
import { awsManagedKeyAlias } from './encryption';
import { BUCKET_NAME_PATTERN } from './names';
import { knownSeconds, ValidationRule } from './validation';

/** The bucket's name with its environment prefix, when known at synth time. */
const knownBucketName = (props: PayloadBucketProps) =>
  props.bucketName === undefined || Token.isUnresolved(props.bucketName) ? undefined : environmentName(props.environment, props.bucketName);

/** Every rule of a payload bucket's props; all broken ones are reported together. */
export const PAYLOAD_BUCKET_RULES: ReadonlyArray<ValidationRule<PayloadBucketProps>> = [
  ENVIRONMENT_RULE,
  {
    condition: (props) => knownBucketName(props) !== undefined && !BUCKET_NAME_PATTERN.test(knownBucketName(props)!),
    message: (props) => `bucketName '${props.bucketName}' makes the bucket name '${knownBucketName(props)}', which S3 refuses; `
      + 'use 3 to 63 lower-case letters, digits, dots and dashes in all (with the environment and its dash), starting and ending with a letter or digit',
  },
  {
    condition: (props) => (knownSeconds(props.expiration) ?? Duration.days(1).toSeconds()) < Duration.days(1).toSeconds(),
    message: (props) => `expiration must be at least 1 day (S3 expires objects after whole days), got ${props.expiration!.toHumanString()}`,
  },
  {
    condition: (props) => props.encryptionKey !== undefined && awsManagedKeyAlias(props.encryptionKey) !== undefined,
    message: (props) => `encryptionKey is the AWS-managed key ${awsManagedKeyAlias(props.encryptionKey!)}, whose policy cannot be changed, so the grants made here would not reach it; `
      + 'give a customer-managed kms.Key, or remove encryptionKey for S3-managed encryption (SSE-S3), which needs no grants',
  },
];
