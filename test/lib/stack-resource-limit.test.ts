import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { FanOutTopic } from '../../lib';

/**
 * cdk-fanout has no resource count of its own: aws-cdk-lib stops a stack over
 * `@aws-cdk/core:stackResourceLimit` (500 by default) at synth, and says so at 80 %.
 * These tests show that it still does for a fan-out, and that its context value is respected.
 */
function fanOutWith(consumers: number, context: Record<string, unknown> = {}): Stack {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false, context }), 'Test', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const fanOut = new FanOutTopic(stack, 'Orders');
  for (let i = 0; i < consumers; i++) {
    fanOut.addConsumer(`Consumer${i}`);
  }
  return stack;
}

describe('stack resource limit (aws-cdk-lib\'s own)', () => {
  test('72 consumers (7 resources each + 4 of the topic = 508) fail synth with CDK\'s message', () => {
    expect(() => Template.fromStack(fanOutWith(72)))
      .toThrow(/Number of resources in stack 'Test': 508 is greater than allowed maximum of 500: .*AWS::SQS::Queue \(144\)/);
  });

  test('with @aws-cdk/core:stackResourceLimit raised to 600 the same stack synthesizes', () => {
    const stack = fanOutWith(72, { '@aws-cdk/core:stackResourceLimit': 600 });
    expect(Object.keys(Template.fromStack(stack).toJSON().Resources)).toHaveLength(508);
    expect(Annotations.fromStack(stack).findInfo('/Test', Match.stringLikeRegexp('Number of resources: 508 is approaching allowed maximum of 600'))).toHaveLength(1);
  });
});
