import { FanOutTopic } from '../../lib';
import { newStack, template, warnings } from './fixtures';

function fanOutWith(consumers: number) {
  const stack = newStack();
  const fanOut = new FanOutTopic(stack, 'Orders');
  for (let i = 0; i < consumers; i++) {
    fanOut.addConsumer(`Consumer${i}`);
  }
  return stack;
}

const resourceCount = (stack: ReturnType<typeof newStack>) => Object.keys(template(stack).toJSON().Resources).length;

describe('stack resource limit', () => {
  test('60 consumers with the default alarms fit in one stack, without a warning', () => {
    const stack = fanOutWith(60);
    const count = resourceCount(stack);
    // 7 per consumer (queue, DLQ, 2 queue policies, subscription, 2 alarms) + topic, policy, 2 alarms.
    expect(count).toBe(60 * 7 + 4);
    expect(count).toBeLessThan(450);
    expect(warnings(stack).join('\n')).not.toContain('near CloudFormation\'s limit');
  });

  test('nearing 500 resources is a warning that names the fix', () => {
    const stack = fanOutWith(65);
    expect(resourceCount(stack)).toBeGreaterThanOrEqual(450);
    expect(warnings(stack).join('\n')).toMatch(/stack Test has 459 resources, near CloudFormation's limit of 500; move some consumers to a FanOutTopic in another stack/);
  });

  test('more than 500 resources fails synth', () => {
    const stack = fanOutWith(72);
    expect(() => template(stack)).toThrow(/stack Test has 508 resources, over CloudFormation's limit of 500/);
  });
});
