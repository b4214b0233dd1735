import { Fn, Token } from 'aws-cdk-lib';
import * as mq from 'aws-cdk-lib/aws-amazonmq';

/**
 * How a broker given by ARN is reached.
 */
export interface RabbitMqBrokerOptions {
  /**
   * Whether the broker has a public endpoint. A private broker (Amazon MQ's default) is reached in
   * its VPC: Lambda's poller creates network interfaces there with the handler's role, which is
   * then granted `ec2:CreateNetworkInterface`, `ec2:DeleteNetworkInterface`,
   * `ec2:DescribeNetworkInterfaces`, `ec2:DescribeSecurityGroups`, `ec2:DescribeSubnets` and
   * `ec2:DescribeVpcs` (IAM takes them on `*` only).
   *
   * @default false
   * @see https://docs.aws.amazon.com/lambda/latest/dg/process-mq-messages-with-lambda.html
   */
  readonly publiclyAccessible?: boolean;
}

/**
 * The Amazon MQ for RabbitMQ broker a `RabbitMqConsumer` reads a queue of: one defined in this
 * app (`mq.CfnBroker`; aws-cdk-lib has no L2 for brokers), or one given by its ARN.
 */
export class RabbitMqBroker {
  /**
   * A broker defined in this app. Its `engineType` must be `RABBITMQ`; its ARN, name and
   * `publiclyAccessible` are read when the consumer is created.
   */
  public static fromCfnBroker(broker: mq.CfnBroker): RabbitMqBroker {
    const publiclyAccessible = broker.publiclyAccessible === true;
    return new RabbitMqBroker(broker.attrArn, broker.brokerName, publiclyAccessible, broker.engineType, broker.node.path);
  }

  /**
   * A broker by ARN: `arn:<partition>:mq:<region>:<account>:broker:<name>:<id>`, in the account
   * of the consumer's stack (Lambda does not read brokers of other accounts).
   */
  public static fromBrokerArn(brokerArn: string, options: RabbitMqBrokerOptions = {}): RabbitMqBroker {
    return new RabbitMqBroker(brokerArn, brokerNameOfArn(brokerArn), options.publiclyAccessible ?? false, undefined, undefined);
  }

  /** The broker's ARN: the event source mapping's `EventSourceArn`. */
  public readonly brokerArn: string;
  /** The broker's name: the `Broker` dimension of its CloudWatch metrics (`AWS/AmazonMQ`). */
  public readonly brokerName: string;
  /** Whether the broker has a public endpoint (no network interfaces for Lambda to create). */
  public readonly publiclyAccessible: boolean;
  /** @internal the engine type of a `CfnBroker` (undefined for an ARN), for the consumer's rules */
  public readonly _engineType?: string;
  /** @internal the construct path of a `CfnBroker`, for error messages */
  public readonly _path?: string;

  private constructor(brokerArn: string, brokerName: string, publiclyAccessible: boolean, engineType: string | undefined, path: string | undefined) {
    this.brokerArn = brokerArn;
    this.brokerName = brokerName;
    this.publiclyAccessible = publiclyAccessible;
    this._engineType = engineType;
    this._path = path;
  }
}

/** `arn:aws:mq:eu-west-1:123456789012:broker:orders:b-1234…` → `orders`; in the template when the ARN is a token. */
function brokerNameOfArn(brokerArn: string): string {
  if (Token.isUnresolved(brokerArn)) {
    return Fn.select(6, Fn.split(':', brokerArn));
  }
  return brokerArn.split(':')[6] ?? '';
}
