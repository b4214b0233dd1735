import { CreateTopicCommand } from '@aws-sdk/client-sns';
import type { SnsPort } from './ports';
import { isTrue } from './properties';
import { created, type Creation, type CreationContext, type ResourceCreator } from './resource-creator';

/** SNS's longest topic name. */
const MAX_TOPIC_NAME_LENGTH = 256;

/** `AWS::SNS::Topic`: created on fauxqs (creating a topic that exists returns it). */
export class TopicCreator implements ResourceCreator {
  constructor(private readonly sns: SnsPort) {}

  async create(logicalId: string, props: Record<string, unknown>, { names, made }: CreationContext): Promise<Creation> {
    const fifo = isTrue(props.FifoTopic);
    const name = names.of(logicalId, props.TopicName, MAX_TOPIC_NAME_LENGTH, fifo ? '.fifo' : '');
    const { TopicArn } = await this.sns.send(new CreateTopicCommand({ Name: name, Attributes: topicAttributes(props, fifo) }));
    made.topics.set(logicalId, { logicalId, arn: TopicArn!, name, fifo });
    return created({ ref: TopicArn!, attributes: { TopicArn: TopicArn!, TopicName: name } });
  }
}

function topicAttributes(props: Record<string, unknown>, fifo: boolean): Record<string, string> {
  return fifo ? { FifoTopic: 'true', ContentBasedDeduplication: String(props.ContentBasedDeduplication ?? false) } : {};
}
