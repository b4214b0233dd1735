import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

const AWS_MANAGED_SQS_KEY = 'alias/aws/sqs';

/**
 * SNS cannot deliver to a queue encrypted with the AWS-managed SQS key: its key policy cannot be
 * changed to let `sns.amazonaws.com` use it, so every delivery would fail silently into the
 * subscription's dead-letter queue. Refuse it at synth time instead.
 */
export function refuseAwsManagedSqsKey(scope: Construct, key: kms.IKey): void {
  const names = [(key as Partial<kms.IAlias>).aliasName, key.keyArn, key.keyId];
  if (names.some((name) => name !== undefined && !Token.isUnresolved(name) && name.includes(AWS_MANAGED_SQS_KEY))) {
    throw new Error(`${scope.node.path}: encryptionKey is the AWS-managed key ${AWS_MANAGED_SQS_KEY}, which SNS cannot use to deliver to a queue; `
      + 'remove encryptionKey (queues then use SQS-managed encryption) or give a customer-managed kms.Key');
  }
}
