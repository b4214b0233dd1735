import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RabbitMqBroker } from '../rabbitmq-broker';

/**
 * What Lambda's poller does in the broker's VPC with the function's role: create, find and delete
 * its network interfaces there. IAM takes these actions on `*` only.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/process-mq-messages-with-lambda.html
 */
export const BROKER_NETWORK_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
];

/** What the event source mapping of one RabbitMQ queue reads. */
export interface RabbitMqEventSourceSpec {
  readonly broker: RabbitMqBroker;
  readonly queueName: string;
  readonly virtualHost: string;
  readonly secret: secretsmanager.ISecret;
  readonly batchSize: number;
  readonly maxBatchingWindow?: Duration;
}

/**
 * The event source mapping of a RabbitMQ queue (`AWS::Lambda::EventSourceMapping` with `Queues`
 * and the BASIC_AUTH and VIRTUAL_HOST source access configurations; aws-cdk-lib has no L2 for
 * it), made in the consumer's scope as `EventSourceMapping`. It grants the function's role what
 * Lambda's poller needs — `mq:DescribeBroker` on the broker, reading the secret (and its key),
 * and, for a private broker, the network interface actions — and the mapping waits for that
 * policy: Lambda checks the role when the mapping is created.
 */
export class RabbitMqEventSource implements lambda.IEventSource {
  /** The mapping, once bound. */
  public mapping?: lambda.CfnEventSourceMapping;

  constructor(private readonly scope: Construct, private readonly spec: RabbitMqEventSourceSpec) {}

  public bind(target: lambda.IFunction): void {
    const { broker, secret } = this.spec;
    const grants = [
      iam.Grant.addToPrincipal({ grantee: target, actions: ['mq:DescribeBroker'], resourceArns: [broker.brokerArn] }),
      secret.grantRead(target),
    ];
    const dependencies: Construct[] = [];
    if (!broker.publiclyAccessible) {
      dependencies.push(this.brokerNetworkPolicy(target.role!));
    }
    this.mapping = new lambda.CfnEventSourceMapping(this.scope, 'EventSourceMapping', {
      functionName: target.functionName,
      eventSourceArn: broker.brokerArn,
      queues: [this.spec.queueName],
      sourceAccessConfigurations: [
        { type: lambda.SourceAccessConfigurationType.BASIC_AUTH.type, uri: secret.secretArn },
        { type: lambda.SourceAccessConfigurationType.VIRTUAL_HOST.type, uri: this.spec.virtualHost },
      ],
      batchSize: this.spec.batchSize,
      maximumBatchingWindowInSeconds: this.spec.maxBatchingWindow?.toSeconds(),
    });
    for (const grant of grants) {
      grant.applyBefore(this.mapping);
    }
    this.mapping.node.addDependency(...dependencies);
  }

  /**
   * The network interface actions in a policy of their own (`BrokerNetworkPolicy`, attached to the
   * function's role), so that cdk-nag's finding on its `*` is acknowledged on this statement
   * alone: IAM has no narrower resource for these actions.
   */
  private brokerNetworkPolicy(role: iam.IRole): iam.Policy {
    const policy = new iam.Policy(this.scope, 'BrokerNetworkPolicy', {
      statements: [new iam.PolicyStatement({ actions: BROKER_NETWORK_ACTIONS, resources: ['*'] })],
    });
    role.attachInlinePolicy(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `Lambda's poller creates, describes and deletes network interfaces in the Amazon MQ broker's VPC with the function's role (${BROKER_NETWORK_ACTIONS.join(', ')}); IAM takes these actions on * only.`,
    });
    return policy;
  }
}
