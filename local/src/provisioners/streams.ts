import { createStream } from '../kinesis-stream';
import type { KinesisPort } from './ports';
import { created, type Creation, type CreationContext, type ResourceCreator } from './resource-creator';

/** Kinesis's longest stream name. */
const MAX_STREAM_NAME_LENGTH = 128;

/** `AWS::Kinesis::Stream`: created on kinesalite with its shards. */
export class StreamCreator implements ResourceCreator {
  /** `kinesis` is absent when the deployment started no kinesalite. */
  constructor(private readonly kinesis: KinesisPort | undefined) {}

  async create(logicalId: string, props: Record<string, unknown>, { names, made }: CreationContext): Promise<Creation> {
    if (!this.kinesis) {
      throw new Error('the stack has a Kinesis stream and no Kinesis client was given (LocalClients.kinesis)');
    }
    const stream = await createStream(this.kinesis, logicalId, names.of(logicalId, props.Name, MAX_STREAM_NAME_LENGTH), props);
    made.streams.set(logicalId, stream);
    return created({ ref: stream.name, attributes: { Arn: stream.arn } });
  }
}
