import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * An Amazon MSK cluster to consume from.
 */
export interface MskClusterProps {
  /** The cluster's ARN: `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`. */
  readonly clusterArn: string;

  /**
   * The secret with the SASL/SCRAM credentials, when the cluster uses SASL/SCRAM.
   *
   * @default - no secret: IAM or unauthenticated access, whatever the cluster allows
   * @see https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html
   */
  readonly secret?: secretsmanager.ISecret;
}

/**
 * A Kafka cluster that is not Amazon MSK (your own brokers, or another provider's).
 */
export interface SelfManagedKafkaClusterProps {
  /** The brokers Lambda bootstraps from, as `host:port`. At least one. */
  readonly bootstrapServers: string[];

  /**
   * The secret with the credentials for `authenticationMethod`. Required when the brokers are
   * reached over the internet (no `vpc`).
   *
   * @default - none
   */
  readonly secret?: secretsmanager.ISecret;

  /**
   * How Lambda authenticates to the brokers.
   *
   * @default eventSources.AuthenticationMethod.SASL_SCRAM_512_AUTH
   */
  readonly authenticationMethod?: eventSources.AuthenticationMethod;

  /**
   * The VPC the brokers are reached in; with it, `vpcSubnets` and `securityGroup` are required.
   *
   * @default - the brokers are reached over the internet
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets Lambda's pollers use in `vpc`.
   *
   * @default - none
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security group of Lambda's pollers in `vpc`.
   *
   * @default - none
   */
  readonly securityGroup?: ec2.ISecurityGroup;

  /**
   * The secret with the root CA certificate of brokers whose TLS certificates a private CA signed.
   *
   * @default - none
   */
  readonly rootCACertificate?: secretsmanager.ISecret;
}

/**
 * The Kafka cluster a `KafkaConsumer` reads from: Amazon MSK, or a self-managed cluster.
 */
export class KafkaCluster {
  /** An Amazon MSK cluster, by ARN. */
  public static msk(props: MskClusterProps): KafkaCluster {
    return new KafkaCluster(props, undefined);
  }

  /** A self-managed Kafka cluster, by its bootstrap servers. */
  public static selfManaged(props: SelfManagedKafkaClusterProps): KafkaCluster {
    return new KafkaCluster(undefined, props);
  }

  /** The MSK cluster's ARN; undefined for a self-managed cluster. */
  public readonly clusterArn?: string;

  /** @internal the props of a self-managed cluster, for the consumer's rules */
  public readonly _selfManaged?: SelfManagedKafkaClusterProps;

  private readonly msk?: MskClusterProps;

  private constructor(msk: MskClusterProps | undefined, selfManaged: SelfManagedKafkaClusterProps | undefined) {
    this.msk = msk;
    this.clusterArn = msk?.clusterArn;
    this._selfManaged = selfManaged;
  }

  /** @internal the event source of one topic of this cluster */
  public _eventSource(props: eventSources.KafkaEventSourceProps): lambda.IEventSource {
    if (this.msk) {
      return new eventSources.ManagedKafkaEventSource({ ...props, clusterArn: this.msk.clusterArn, secret: this.msk.secret });
    }
    return new eventSources.SelfManagedKafkaEventSource({ ...props, ...this._selfManaged! });
  }
}
