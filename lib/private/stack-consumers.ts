import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { IConsumer } from '../consumer-base';

/**
 * The consumers of each stack, by the key the command line finds them by: `fanout dlq … --stack S
 * --consumer NAME` compares names without case and punctuation (`order-history` is
 * `OrderHistory`), over every kind of consumer in the stack's template. One consumer per key and
 * stack, so that lookup finds exactly one.
 */
const consumersOfStack = new WeakMap<Stack, Map<string, IConsumer>>();

/** What `--consumer` compares: letters and digits, lower case (the runtime's lookup by tag does the same). */
export function consumerLookupKey(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}

/** The consumer of `scope`'s stack that `name` would also find, if there is one. */
export function consumerOfStackNamed(scope: IConstruct, name: string): IConsumer | undefined {
  return consumersOfStack.get(Stack.of(scope))?.get(consumerLookupKey(name));
}

/** Records a consumer once it is built (its rules refused a name already taken in its stack). */
export function registerStackConsumer(consumer: IConsumer): void {
  const stack = Stack.of(consumer);
  let consumers = consumersOfStack.get(stack);
  if (!consumers) {
    consumers = new Map();
    consumersOfStack.set(stack, consumers);
  }
  consumers.set(consumerLookupKey(consumer.consumerName), consumer);
}
