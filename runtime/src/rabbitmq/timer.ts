/** Where `consumeRabbitMq` schedules its waits (requeue delays, reconnection backoff): the system's timers, or a test's. */
export interface Timer {
  /** Runs `run` after `ms` milliseconds; the returned function cancels it. */
  after(ms: number, run: () => void): () => void;
}

export const systemTimer: Timer = {
  after(ms, run) {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};
