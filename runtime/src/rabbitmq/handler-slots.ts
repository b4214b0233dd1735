/** The handlers `consumeRabbitMq` runs at once, at most `limit`; a message waits for a free slot in delivery order. */
export class HandlerSlots {
  running = 0;
  /** The most handlers running at once so far. */
  maxRunning = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
  }

  release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
