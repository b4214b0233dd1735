import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/** CloudFormation's limit of resources in one stack. */
export const STACK_RESOURCE_LIMIT = 500;
/** From this count on, synth warns that the stack is nearing the limit. */
export const STACK_RESOURCE_WARNING = 450;

const guarded = new WeakSet<Stack>();

/**
 * Checks, once per stack and after the whole app is built, how many resources the stack holds:
 * an error above CloudFormation's limit (the deployment would fail), a warning near it.
 */
export function guardStackResourceLimit(scope: Construct): void {
  const stack = Stack.of(scope);
  if (guarded.has(stack)) {
    return;
  }
  guarded.add(stack);
  stack.node.addValidation({
    validate: () => {
      const count = countResources(stack);
      const fix = 'move some consumers to a FanOutTopic in another stack (adopt the topic with the `topic` prop) or turn off optional alarms';
      if (count > STACK_RESOURCE_LIMIT) {
        return [`stack ${stack.stackName} has ${count} resources, over CloudFormation's limit of ${STACK_RESOURCE_LIMIT}; ${fix}`];
      }
      if (count >= STACK_RESOURCE_WARNING) {
        Annotations.of(stack).addWarningV2('cdk-fanout:stackResourceLimit',
          `stack ${stack.stackName} has ${count} resources, near CloudFormation's limit of ${STACK_RESOURCE_LIMIT}; ${fix}`);
      }
      return [];
    },
  });
}

function countResources(stack: Stack): number {
  return stack.node.findAll().filter((c: IConstruct) => CfnResource.isCfnResource(c) && Stack.of(c) === stack).length;
}
