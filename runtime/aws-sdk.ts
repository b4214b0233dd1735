/*
 * The SQS and SNS clients, loaded on first use. A consumer sends to SQS only for a poison message
 * and publishes to SNS not at all, yet `cdk-fanout/runtime` also exports the Publisher and the
 * redrive: loading both SDK clients at import would add ~18 ms to every cold start (see
 * bench/README.md). DynamoDB, needed by every idempotent record, loads as usual.
 */
export type SqsSdk = typeof import('@aws-sdk/client-sqs');
export type SnsSdk = typeof import('@aws-sdk/client-sns');

let sqs: SqsSdk | undefined;
let sns: SnsSdk | undefined;

export const sqsSdk = (): SqsSdk => (sqs ??= require('@aws-sdk/client-sqs') as SqsSdk);
export const snsSdk = (): SnsSdk => (sns ??= require('@aws-sdk/client-sns') as SnsSdk);

/** The value `create` makes on the first call, reused after: a client made only when needed. */
export function lazy<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}
