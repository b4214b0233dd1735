import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import type { ConsumerQueues } from './consumer-queues';

/**
 * What `fanout dlq inspect`, `fanout dlq redrive` and `fanout dlq purge` do to a dead-letter
 * queue. `sqs:ChangeMessageVisibility` also authorizes ChangeMessageVisibilityBatch (SQS has no
 * separate IAM action for batch calls).
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
 */
export const DEAD_LETTER_QUEUE_ACTIONS = [
  // inspect: read the queue, peek at messages and give them back
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  // redrive: find the source queue, run (or follow, or stop) a message move task, or copy and delete
  'sqs:ListDeadLetterSourceQueues',
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
  'sqs:CancelMessageMoveTask',
  'sqs:DeleteMessage',
  // purge
  'sqs:PurgeQueue',
];

/** What redrive does to the queue a dead-letter queue's messages go back to. */
export const SOURCE_QUEUE_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes'];

/** What the command line reads to find a consumer's dead-letter queue from `--stack` and `--consumer`. */
export const STACK_ACTIONS = ['cloudformation:GetTemplate', 'cloudformation:DescribeStackResource'];

/** Reading messages of queues encrypted with a customer key, and sending them back. */
export const KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

/**
 * What `fanout dlq inspect` and `fanout dlq purge` do to a dead-letter queue that nothing
 * redrives from (a stream, Kafka or RabbitMQ consumer's): read it, peek at messages and give them
 * back, ask whether a queue names it as its dead-letter queue (none does: the command says so,
 * and `--force` reads it anyway), purge it. No DeleteMessage, no message move tasks.
 */
export const INSPECT_AND_PURGE_ACTIONS = [
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:ListDeadLetterSourceQueues',
  'sqs:PurgeQueue',
];

/**
 * Lets the grantee inspect and purge a consumer's dead-letter queue that has no source queue,
 * find it from the consumer's stack (`--stack`, `--consumer`) and, with a customer-managed key,
 * decrypt what it reads (`kms:Decrypt` only: nothing is sent).
 */
export function grantInspectAndPurge(grantee: iam.IGrantable, consumer: IConstruct, deadLetterQueue: sqs.IQueue, encryptionKey: kms.IKey | undefined): iam.Grant {
  const stack = Stack.of(consumer);
  let grant = iam.Grant.addToPrincipal({ grantee, actions: INSPECT_AND_PURGE_ACTIONS, resourceArns: [deadLetterQueue.queueArn] }).combine(iam.Grant.addToPrincipal({
    grantee,
    actions: STACK_ACTIONS,
    resourceArns: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` })],
  }));
  if (encryptionKey) {
    grant = grant.combine(encryptionKey.grant(grantee, 'kms:Decrypt'));
  }
  return grant;
}

/**
 * The dead-letter operations of one grantee: three statements whose resources grow with every
 * consumer added, so a grant made before some consumers exist covers them too.
 */
export class DeadLetterOperationsGrant {
  /** Everything granted: the statements (filled as consumers are added) and the key. */
  public readonly grant: iam.Grant;
  private readonly statements: Array<{ statement?: iam.PolicyStatement; arns: (consumer: ConsumerQueues) => string | undefined }>;
  private readonly stacks = new Set<Stack>();
  private consumerCount = 0;

  constructor(grantee: iam.IGrantable, encryptionKey: kms.IKey | undefined) {
    const onPrincipal = (actions: string[]) => iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [] });
    const deadLetterQueues = onPrincipal(DEAD_LETTER_QUEUE_ACTIONS);
    const sourceQueues = onPrincipal(SOURCE_QUEUE_ACTIONS);
    const stacks = onPrincipal(STACK_ACTIONS);
    this.statements = [
      { statement: deadLetterQueues.principalStatements[0], arns: (consumer) => consumer.deadLetterQueue.queueArn },
      { statement: sourceQueues.principalStatements[0], arns: (consumer) => consumer.queue.queueArn },
      { statement: stacks.principalStatements[0], arns: (consumer) => this.newStackArn(consumer) },
    ];
    let grant = deadLetterQueues.combine(sourceQueues).combine(stacks);
    if (encryptionKey) {
      grant = grant.combine(encryptionKey.grant(grantee, ...KEY_ACTIONS));
    }
    this.grant = grant;
  }

  /** Extends the grant to one more consumer's queues (and its stack, the first time). */
  public add(consumer: ConsumerQueues): void {
    this.consumerCount++;
    for (const { statement, arns } of this.statements) {
      const arn = arns(consumer);
      if (statement && arn) {
        statement.addResources(arn);
      }
    }
  }

  /** Whether any consumer was added: a statement without resources is not a valid policy. */
  public get isEmpty(): boolean {
    return this.consumerCount === 0;
  }

  /** The ARN of the consumer's stack, or undefined when an earlier consumer already named it. */
  private newStackArn(consumer: ConsumerQueues): string | undefined {
    const stack = Stack.of(consumer);
    if (this.stacks.has(stack)) {
      return undefined;
    }
    this.stacks.add(stack);
    return stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` });
  }
}
