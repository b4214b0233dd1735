import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConsumer } from '../consumer-base';

/**
 * The consumer each function processes. A function has one environment, so one
 * `FANOUT_CONSUMER_NAME` and one `FANOUT_DLQ_URL`: wired to a second consumer it would read the
 * second one's queue under the first one's name (or the other way round), and idempotency keys
 * and poison messages would go to the wrong consumer.
 */
const consumerOfFunction = new WeakMap<lambda.IFunction, IConsumer>();

/** The function whose code and environment a handler runs: an alias or a version runs its function's. */
function functionOf(handler: lambda.IFunction): lambda.IFunction {
  if (handler instanceof lambda.Alias) {
    return functionOf(handler.version);
  }
  if (handler instanceof lambda.Version) {
    return functionOf(handler.lambda);
  }
  return handler;
}

/** The consumer the handler's function already processes, if any. */
export function consumerOfHandler(handler: lambda.IFunction): IConsumer | undefined {
  return consumerOfFunction.get(functionOf(handler));
}

/** Records that the handler's function processes this consumer. */
export function claimHandler(handler: lambda.IFunction, consumer: IConsumer): void {
  consumerOfFunction.set(functionOf(handler), consumer);
}
