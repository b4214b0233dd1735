import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';

/**
 * A stack in an app without aws-cdk-lib's built-in CloudFormation validation (≈5 s CPU per
 * synth); `cfn-validation.test.ts` keeps one synth with it on.
 */
export function newStack(id = 'Test'): Stack {
  return new Stack(new App({ builtinCloudFormationValidation: false }), id, {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
}

/** Stacks of one app (same account and region): consumers of one idempotency table in two stacks. */
export function newStacks(...ids: string[]): Stack[] {
  const app = new App({ builtinCloudFormationValidation: false });
  return ids.map((id) => new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } }));
}

/** A small inline handler; the construct tests look at wiring, not at handler code. */
export function newHandler(scope: Construct, id: string, timeout?: Duration): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout,
  });
}

export const template = (stack: Stack): Template => Template.fromStack(stack);

/** Warnings of a stack by their id (e.g. `cdk-fanout:visibilityTimeout`), with their text. */
export function warnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
}
