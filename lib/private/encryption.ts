import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';

/** The alias of an AWS-managed key: `alias/aws/<service>`. */
const AWS_MANAGED_ALIAS = /alias\/aws\/[A-Za-z0-9/_-]+/;

/**
 * The alias of the AWS-managed key (`alias/aws/sqs`, `alias/aws/sns`, …) this key recognisably
 * is at synth time, by its alias name, ARN or id; undefined for any other key.
 *
 * An AWS-managed key's policy cannot be changed: only its own service, acting for principals of
 * the account, may use it. So SNS cannot deliver to a queue encrypted with `alias/aws/sqs`, SQS
 * cannot use `alias/aws/sns`, and CloudWatch cannot publish alarms to a topic encrypted with
 * `alias/aws/sns`; each would fail silently at run time.
 */
export function awsManagedKeyAlias(key: kms.IKey): string | undefined {
  const names = [(key as Partial<kms.IAlias>).aliasName, key.keyArn, key.keyId];
  for (const name of names) {
    const alias = name === undefined || Token.isUnresolved(name) ? undefined : AWS_MANAGED_ALIAS.exec(name)?.[0];
    if (alias) {
      return alias;
    }
  }
  return undefined;
}
