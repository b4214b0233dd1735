import type { Logger } from '../logger.js';
import type { RabbitMqConsumerState, RabbitMqConsumerStateChange } from './consumer.js';

/** Where a `consumeRabbitMq` consumer is, who is told of each change, and the `closed` promise its end settles. */
export class ConsumerLifecycle {
  state: RabbitMqConsumerState = 'consuming';
  readonly closed: Promise<Error | undefined>;
  private resolveClosed!: (error: Error | undefined) => void;

  constructor(private readonly onStateChange: ((change: RabbitMqConsumerStateChange) => void) | undefined, private readonly logger: Logger) {
    this.closed = new Promise<Error | undefined>((resolve) => (this.resolveClosed = resolve));
  }

  get ended(): boolean {
    return this.state === 'stopped' || this.state === 'failed';
  }

  change(change: RabbitMqConsumerStateChange): void {
    this.state = change.state;
    try {
      this.onStateChange?.(change);
    } catch (error) {
      this.logger.warn('onStateChange threw; ignored', { error });
    }
  }

  /** `stopped` without an error, `failed` with one; once. */
  end(error: Error | undefined): void {
    if (this.ended) return;
    if (error) this.logger.error('consumer ended', { error });
    this.change(error ? { state: 'failed', error } : { state: 'stopped' });
    this.resolveClosed(error);
  }
}
