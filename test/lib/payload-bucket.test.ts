import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { FanOutTopic, PayloadBucket, StreamConsumer, WorkQueue } from '../../lib';
import { newHandler, newStack, template } from './fixtures';

describe('PayloadBucket', () => {
  test('encrypted, TLS-only, public access blocked, unversioned, retained, payloads expire after 19 days by default', () => {
    const stack = newStack();
    new PayloadBucket(stack, 'Payloads');
    const t = template(stack);
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        VersioningConfiguration: Match.absent(),
        // 4 days in a queue (SQS's default retention here), 14 in a dead-letter queue, 1 day of margin.
        LifecycleConfiguration: { Rules: [{ Id: 'ExpirePayloads', Status: 'Enabled', ExpirationInDays: 19, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] },
      },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the default expiration covers the longest-lived reader: a queue keeping messages 10 days makes 25', () => {
    const stack = newStack();
    const payloads = new PayloadBucket(stack, 'Payloads');
    const orders = new FanOutTopic(stack, 'Orders', { payloadBucket: payloads });
    orders.addConsumer('Billing');
    orders.addConsumer('Archive', { retentionPeriod: Duration.days(10) });
    new WorkQueue(stack, 'Jobs', { payloadBucket: payloads, retentionPeriod: Duration.days(2) });
    template(stack).hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 25 })] } });
  });

  test('a stream consumer counts its maxRecordAge; an explicit expiration wins; versioned buckets expire old versions too', () => {
    const stack = newStack();
    const payloads = new PayloadBucket(stack, 'Payloads', { versioned: true, expiration: Duration.days(30), removalPolicy: RemovalPolicy.DESTROY });
    new StreamConsumer(stack, 'Clicks', { stream: new kinesis.Stream(stack, 'Stream'), handler: newHandler(stack, 'Fn'), payloadBucket: payloads, maxRecordAge: Duration.days(7) });
    template(stack).hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, NoncurrentVersionExpiration: { NoncurrentDays: 1 } })] },
      },
    });
    const other = newStack();
    const defaulted = new PayloadBucket(other, 'Payloads');
    new StreamConsumer(other, 'Clicks', { stream: new kinesis.Stream(other, 'Stream'), handler: newHandler(other, 'Fn'), payloadBucket: defaulted, maxRecordAge: Duration.days(7) });
    // 7 days of record age is longer than a queue's 4: 7 + 14 + 1.
    template(other).hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 22 })] } });
  });

  test('an expiration that is not whole hours or days is rounded up to whole days', () => {
    const stack = newStack();
    new PayloadBucket(stack, 'Payloads', { expiration: Duration.minutes(1530) });
    template(stack).hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 2 })] } });
    const other = newStack();
    new PayloadBucket(other, 'Payloads', { expiration: Duration.seconds(172_801) });
    template(other).hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 3 })] } });
  });

  test('a reader whose lifetime is not whole hours counts as whole days: a record age of 4 days 12.5 hours makes 5 + 14 + 1', () => {
    const stack = newStack();
    const payloads = new PayloadBucket(stack, 'Payloads');
    new StreamConsumer(stack, 'Clicks', { stream: new kinesis.Stream(stack, 'Stream'), handler: newHandler(stack, 'Fn'), payloadBucket: payloads, maxRecordAge: Duration.minutes(6_510) });
    template(stack).hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 20 })] } });
  });

  test('grantPublish grants s3:PutObject on the objects only; grantRead s3:GetObject only; a customer key adds its actions', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const payloads = new PayloadBucket(stack, 'Payloads', { encryptionKey: key });
    const producer = newHandler(stack, 'Producer');
    const reader = newHandler(stack, 'Reader');
    payloads.grantPublish(producer);
    payloads.grantRead(reader);
    const t = template(stack);
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^PayloadsBucket'), 'Arn'] }, '/*']] };
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProducerServiceRole') }],
      PolicyDocument: { Statement: [
        { Effect: 'Allow', Action: 's3:PutObject', Resource: objects },
        { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
      ] },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ReaderServiceRole') }],
      PolicyDocument: { Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: objects },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
      ] },
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
    });
  });

  test('on a fan-out: every consumer handler reads, the topic\'s producers write, and configureProducer sets the bucket and environment', () => {
    const stack = newStack();
    const payloads = new PayloadBucket(stack, 'Payloads', { environment: 'prod' });
    const orders = new FanOutTopic(stack, 'Orders', { payloadBucket: payloads, environment: 'prod' });
    orders.addConsumer('Billing', { handler: newHandler(stack, 'BillingFn') });
    orders.addConsumer('Analytics');
    const producer = newHandler(stack, 'Producer');
    orders.configureProducer(producer);
    const t = template(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^BillingFnServiceRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProducerServiceRole') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'sns:Publish' }), Match.objectLike({ Action: 's3:PutObject' })] },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { FANOUT_PAYLOAD_BUCKET: { Ref: Match.stringLikeRegexp('^PayloadsBucket') }, FANOUT_ENVIRONMENT: 'prod' } },
    });
    // Consumers read the bucket named in each pointer: they get the grant, not the variable.
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectEquals({ FANOUT_CONSUMER_NAME: 'billing', FANOUT_DLQ_URL: Match.anyValue(), FANOUT_ENVIRONMENT: 'prod' }) },
    });
  });

  test('a work queue\'s configureProducer grants sending and writing the bucket, and sets the bucket and environment', () => {
    const stack = newStack();
    const payloads = new PayloadBucket(stack, 'Payloads', { environment: 'dev' });
    const jobs = new WorkQueue(stack, 'Jobs', { payloadBucket: payloads, environment: 'dev' });
    jobs.configureProducer(newHandler(stack, 'Producer'));
    const t = template(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProducerServiceRole') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'] }), Match.objectLike({ Action: 's3:PutObject' })] },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { FANOUT_PAYLOAD_BUCKET: { Ref: Match.stringLikeRegexp('^PayloadsBucket') }, FANOUT_ENVIRONMENT: 'dev' } },
    });
  });

  test('a work queue\'s grantSendMessages also grants writing its payload bucket', () => {
    const stack = newStack();
    const payloads = new PayloadBucket(stack, 'Payloads');
    const jobs = new WorkQueue(stack, 'Jobs', { payloadBucket: payloads });
    jobs.grantSendMessages(newHandler(stack, 'Producer'));
    template(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProducerServiceRole') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'] }), Match.objectLike({ Action: 's3:PutObject' })] },
    });
  });

  test('bad props are refused in one error that names each and its fix', () => {
    const stack = newStack();
    expect(() => new PayloadBucket(stack, 'Payloads', { bucketName: 'Orders_Payloads', environment: 'Prod', expiration: Duration.hours(6) })).toThrow(new Error([
      'Test/Payloads: 3 invalid props:',
      '  - environment \'Prod\' is invalid; use 1 to 20 lower-case letters, digits and dashes, starting with a letter (e.g. \'prod\', \'staging\', \'dev-alice\')',
      '  - bucketName \'Orders_Payloads\' makes the bucket name \'Prod-Orders_Payloads\', which S3 refuses; use 3 to 63 lower-case letters, digits, dots and dashes in all (with the environment and its dash), starting and ending with a letter or digit',
      '  - expiration must be at least 1 day (S3 expires objects after whole days), got 6 hours',
    ].join('\n')));
    expect(() => new PayloadBucket(stack, 'Managed', { encryptionKey: kms.Alias.fromAliasName(stack, 'S3Key', 'alias/aws/s3') }))
      .toThrow('Test/Managed: encryptionKey is the AWS-managed key alias/aws/s3');
  });

  test('a fan-out and its payload bucket of two environments are refused', () => {
    const stack = newStack();
    const payloads = new PayloadBucket(stack, 'Payloads', { environment: 'staging' });
    expect(() => new FanOutTopic(stack, 'Orders', { payloadBucket: payloads, environment: 'prod' })).toThrow(new Error(
      'Test/Orders: environment \'prod\' differs from the environment \'staging\' of its payload bucket Test/Payloads; give the fan-out the payload bucket of its own environment',
    ));
  });
});
