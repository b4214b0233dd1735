import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { snsServicePrincipal } from './queue-subscription';

/** What SNS does with the fan-out's key: encrypt what it delivers to the queues and their DLQs. */
const SNS_KEY_ACTIONS = ['kms:GenerateDataKey*', 'kms:Decrypt'];
/** What CloudWatch does with an alarm topic's key to publish an alarm to it. */
const CLOUDWATCH_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'];
/**
 * What a consumer's handler does with the queues' key to send poison messages to its DLQ (SQS
 * producers need both). `sqs.Queue.grantSendMessages` would add `kms:Encrypt` and `kms:ReEncrypt*`.
 */
export const SEND_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

/**
 * Lets SNS use the fan-out's key on behalf of this topic only (no confused deputy): the topic's
 * account (`aws:SourceAccount`) and, when its ARN is known without a reference to the topic
 * (a dependency cycle when the topic is encrypted with the key), that ARN (`aws:SourceArn`).
 * A key imported from elsewhere ignores the statement; its policy is managed where it is defined.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 */
export function allowSnsToUseKey(key: kms.IKey, topic: sns.ITopic, scope: IConstruct, topicArn: string | undefined): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [snsServicePrincipal(topic, scope)],
    actions: SNS_KEY_ACTIONS,
    resources: ['*'],
    conditions: {
      StringEquals: { 'aws:SourceAccount': topic.env.account },
      ...(topicArn !== undefined && { ArnEquals: { 'aws:SourceArn': topicArn } }),
    },
  }), true);
}

/**
 * Lets CloudWatch use the alarm topic's key for alarms of the scope's account and region only.
 * The alarms' own ARNs cannot be named: the key would then depend on the alarms, which depend on
 * the topic, which depends on the key.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export function allowCloudWatchAlarmsToUseKey(key: kms.IKey, scope: IConstruct): void {
  const stack = Stack.of(scope);
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: CLOUDWATCH_KEY_ACTIONS,
    resources: ['*'],
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    },
  }), true);
}
