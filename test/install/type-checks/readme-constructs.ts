// The README's construct examples for large messages, as written there, against the installed
// cdk-fanout (compiled with the app, tsconfig.app.json). What the README leaves to the reader (a
// stack, the functions) is declared first. Its environments example is
// examples/orders/environments.ts, which the install test copies next to this file.
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FanOutTopic, PayloadBucket } from 'cdk-fanout';

declare const stack: Stack;
declare const billingFn: lambda.Function;
declare const producerFn: lambda.Function;

// "Large messages: PayloadBucket and the topic's size"
export function largeMessages() {
  const payloads = new PayloadBucket(stack, 'Payloads');          // props all optional
  const orders = new FanOutTopic(stack, 'Orders', { payloadBucket: payloads });
  orders.addConsumer('Billing', { handler: billingFn });           // billingFn may read the bucket's objects
  orders.configureProducer(producerFn);  // grantPublish (sns:Publish + s3:PutObject) and FANOUT_PAYLOAD_BUCKET
}

// "The topic's size"
export function topicSize() {
  const orders = new FanOutTopic(stack, 'Orders', { maxMessageSizeBytes: 1024 * 1024 });
  return orders;
}
