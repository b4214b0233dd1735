/*
 * provisionStack with its ports replaced by a recording fake: no emulator runs. The fake answers
 * only what provisioning reads of each response; what the emulators do with the requests is
 * provision.integ.test.ts's part.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { AssemblyStack, TemplateResource } from '../../local/src/cloud-assembly';
import { provisionStack, type ProvisionOptions } from '../../local/src/provision';
import type { ProvisioningPorts } from '../../local/src/provisioners/ports';

const ARN = 'arn:aws:service:us-east-1:000000000000';

/** One fake for every emulator: records each request that creates something as `<command> <name or input>`, in order. */
class RecordingEmulators {
  readonly requests: string[] = [];
  private readonly port = { send: async (command: object): Promise<never> => this.answer(command) as never };
  readonly ports: ProvisioningPorts = { sns: this.port, sqs: this.port, dynamodb: this.port, s3: this.port, kinesis: this.port };

  private answer(command: object): object {
    if (command instanceof CreateTopicCommand) {
      this.requests.push(`CreateTopic ${command.input.Name}`);
      return { TopicArn: `${ARN}:${command.input.Name}` };
    }
    if (command instanceof SubscribeCommand) {
      this.requests.push(`Subscribe ${command.input.TopicArn} → ${command.input.Endpoint} ${JSON.stringify(command.input.Attributes)}`);
      return { SubscriptionArn: `${command.input.TopicArn}:subscription` };
    }
    if (command instanceof CreateQueueCommand) {
      this.requests.push(`CreateQueue ${command.input.QueueName} ${JSON.stringify(command.input.Attributes)}`);
      return { QueueUrl: `http://queues/${command.input.QueueName}` };
    }
    if (command instanceof GetQueueAttributesCommand) {
      return { Attributes: { QueueArn: `${ARN}:${command.input.QueueUrl!.split('/').pop()}`, VisibilityTimeout: '30' } };
    }
    if (command instanceof CreateTableCommand) {
      this.requests.push(`CreateTable ${command.input.TableName}`);
      return {};
    }
    if (command instanceof CreateBucketCommand) {
      this.requests.push(`CreateBucket ${command.input.Bucket}`);
      return {};
    }
    if (command instanceof CreateStreamCommand) {
      this.requests.push(`CreateStream ${command.input.StreamName}`);
      return {};
    }
    if (command instanceof DescribeStreamSummaryCommand) {
      return { StreamDescriptionSummary: { StreamStatus: 'ACTIVE', StreamARN: `${ARN}:stream/${command.input.StreamName}` } };
    }
    throw new Error(`the fake does not answer ${command.constructor.name}`);
  }
}

function stackOf(resources: Record<string, TemplateResource>): AssemblyStack {
  return { stackName: 'App', resources, assets: new Map([['asset1', '/staged/asset1']]) };
}

async function provision(resources: Record<string, TemplateResource>, options?: ProvisionOptions) {
  const emulators = new RecordingEmulators();
  const stack = await provisionStack(stackOf(resources), emulators.ports, options);
  return { stack, requests: emulators.requests };
}

const nodeFunction: TemplateResource = { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { S3Key: 'asset1.zip' } } };

describe('provisionStack with recording ports', () => {
  test('what a resource refers to is created first, once, and its reference resolves to what was created', async () => {
    // Listed before what they refer to: the order comes from the references, not the template.
    const { stack, requests } = await provision({
      Subscription: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'sqs', TopicArn: { Ref: 'Topic' }, Endpoint: { 'Fn::GetAtt': ['Queue', 'Arn'] }, RawMessageDelivery: true } },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] }, maxReceiveCount: '5' } } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::Sub': '${AWS::StackName}-orders' } } },
      DeadLetters: { Type: 'AWS::SQS::Queue' },
    }, { namePrefix: 'p-', maxVisibilityTimeoutSeconds: 5 });
    expect(requests).toHaveLength(4);
    expect(requests).toEqual(expect.arrayContaining([
      'CreateTopic p-App-orders',
      'CreateQueue p-App-DeadLetters {"VisibilityTimeout":"5"}',
      `CreateQueue p-App-Queue {"VisibilityTimeout":"5","RedrivePolicy":"{\\"deadLetterTargetArn\\":\\"${ARN}:p-App-DeadLetters\\",\\"maxReceiveCount\\":5}"}`,
      `Subscribe ${ARN}:p-App-orders → ${ARN}:p-App-Queue {"RawMessageDelivery":"true"}`,
    ]));
    const position = (prefix: string) => requests.findIndex((request) => request.startsWith(prefix));
    expect(position('CreateQueue p-App-DeadLetters')).toBeLessThan(position('CreateQueue p-App-Queue'));
    expect(position('CreateQueue p-App-Queue')).toBeLessThan(position('Subscribe'));
    expect(position('CreateTopic')).toBeLessThan(position('Subscribe'));
    expect(stack.queues.get('Queue')?.redrive).toEqual({ deadLetterTargetArn: `${ARN}:p-App-DeadLetters`, maxReceiveCount: 5 });
    expect(stack.skipped.size).toBe(0);
  });

  test('each resource type goes to its creator; event source mappings by what they read', async () => {
    const { stack, requests } = await provision({
      Fn: nodeFunction,
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } },
      Bucket: { Type: 'AWS::S3::Bucket' },
      Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2 } },
      Queue: { Type: 'AWS::SQS::Queue' },
      Topic: { Type: 'AWS::SNS::Topic' },
      FromQueue: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, BatchSize: 4 } },
      FromStream: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] }, StartingPosition: 'TRIM_HORIZON', DestinationConfig: { OnFailure: { Destination: { Ref: 'Topic' } } } },
      },
      FromRabbitMq: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: 'arn:aws:mq:us-east-1:1:broker:b', Queues: ['orders'], SourceAccessConfigurations: [{ Type: 'VIRTUAL_HOST', URI: '/' }] } },
      Disabled: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Enabled: false } },
    });
    expect(requests).toEqual(['CreateTable App-Table', 'CreateBucket app-bucket', 'CreateStream App-Stream', 'CreateQueue App-Queue {}', 'CreateTopic App-Topic']);
    expect(stack.tables.get('Table')).toBe('App-Table');
    expect(stack.buckets.get('Bucket')).toBe('app-bucket');
    expect(stack.eventSources.map((source) => [source.logicalId, source.queue.logicalId, source.function.entry, source.function.exportName, source.batchSize]))
      .toEqual([['FromQueue', 'Queue', '/staged/asset1/index', 'handler', 4]]);
    expect(stack.streamEventSources.map((source) => [source.logicalId, source.stream.logicalId, source.startingPosition, source.onFailure])).toEqual([['FromStream', 'Stream', 'TRIM_HORIZON', undefined]]);
    expect(stack.rabbitMqEventSources).toEqual([]);
    expect(stack.skipped).toEqual(new Map([
      ['Kinesis on-failure destination(not an SQS queue of the app: given-up records are counted, not described)', 1],
      ['AWS::Lambda::EventSourceMapping(RabbitMQ queue orders: no broker, give one as rabbitmq: { url } or fanout local --rabbitmq-url)', 1],
      ['AWS::Lambda::EventSourceMapping(not an enabled SQS or Kinesis mapping of a local function)', 1],
    ]));
  });

  test('resources with no local stand-in are tallied by kind and never sent', async () => {
    const { stack, requests } = await provision({
      AlarmA: { Type: 'AWS::CloudWatch::Alarm' },
      AlarmB: { Type: 'AWS::CloudWatch::Alarm' },
      Role: { Type: 'AWS::IAM::Role' },
      Python: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'python3.13', Handler: 'index.handler', Code: { S3Key: 'asset1.zip' } } },
      Image: { Type: 'AWS::Lambda::Function', Properties: { PackageType: 'Image' } },
      Topic: { Type: 'AWS::SNS::Topic' },
      ToLambda: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'lambda', TopicArn: { Ref: 'Topic' }, Endpoint: { 'Fn::GetAtt': ['Python', 'Arn'] } } },
    });
    expect(requests).toEqual(['CreateTopic App-Topic']);
    expect(stack.skipped).toEqual(new Map([
      ['AWS::CloudWatch::Alarm', 2],
      ['AWS::IAM::Role', 1],
      ['AWS::Lambda::Function(python3.13)', 1],
      ['AWS::Lambda::Function(container image)', 1],
      ['AWS::SNS::Subscription(lambda)', 1],
    ]));
  });

  test('a resource whose properties cannot be resolved is skipped with the reason; a reference to a skipped resource is a placeholder', async () => {
    const { stack, requests } = await provision({
      Imported: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::ImportValue': 'other-stack-output' } } },
      Topic: { Type: 'AWS::SNS::Topic' },
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: { 'Fn::GetAtt': ['Topic', 'Nope'] } } },
      Key: { Type: 'AWS::KMS::Key' },
      Encrypted: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Join': ['-', [{ Ref: 'Key' }, 'queue']] } } },
    });
    expect(requests).toEqual(['CreateTopic App-Topic', 'CreateQueue local-unresolved:Key-queue {}']);
    expect(stack.skipped).toEqual(new Map([
      ['AWS::SQS::Queue(Imported: Fn::ImportValue is not supported by the local stack)', 1],
      ['AWS::DynamoDB::Table(Table: Topic.Nope is not known to the local stack)', 1],
      ['AWS::KMS::Key', 1],
    ]));
  });

  test('a reference cycle stops provisioning with an error naming it, before any request', async () => {
    const emulators = new RecordingEmulators();
    const cycle = stackOf({
      First: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Second', 'Arn'] }, maxReceiveCount: 3 } } },
      Second: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Sub': '${First.QueueName}-dlq' } } },
    });
    await expect(provisionStack(cycle, emulators.ports)).rejects.toThrow('circular reference: First → Second → First');
    expect(emulators.requests).toEqual([]);
  });

  test('an emulator error names the stack and resource', async () => {
    const failing: ProvisioningPorts = { ...new RecordingEmulators().ports, sns: { send: async () => { throw new Error('connection refused'); } } };
    await expect(provisionStack(stackOf({ Topic: { Type: 'AWS::SNS::Topic' } }), failing)).rejects.toThrow('App/Topic (AWS::SNS::Topic): connection refused');
  });
});
