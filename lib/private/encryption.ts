import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';

/** The AWS-managed key of SQS. */
export const AWS_MANAGED_SQS_KEY = 'alias/aws/sqs';

/**
 * SNS cannot deliver to a queue encrypted with the AWS-managed SQS key: its key policy cannot be
 * changed to let `sns.amazonaws.com` use it, so every delivery would fail silently into the
 * subscription's dead-letter queue. True when the key is recognisably that key at synth time.
 */
export function isAwsManagedSqsKey(key: kms.IKey): boolean {
  const names = [(key as Partial<kms.IAlias>).aliasName, key.keyArn, key.keyId];
  return names.some((name) => name !== undefined && !Token.isUnresolved(name) && name.includes(AWS_MANAGED_SQS_KEY));
}
