import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Kinds of explicit physical names, and where each must be unique. */
export enum NameScope {
  /** Unique in an account and region: topics, queues, tables. */
  ACCOUNT_REGION = 'account-region',
  /** Unique in the whole partition: S3 buckets. */
  GLOBAL = 'global',
}

/** One explicit physical name a construct gives a resource. */
export interface PhysicalName {
  /** What is named, for the key and the message: `SNS topic`, `SQS queue`, `DynamoDB table`, `S3 bucket`, `Kafka consumer group`. */
  readonly kind: string;
  readonly name: string;
  readonly scope: NameScope;
  /** A further scope of the name (a Kafka cluster's id), when it has one. */
  readonly within?: string;
}

/** Explicit physical names of each app: name key → path of the construct that gave it first. */
const namesOfApp = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Where the name must be unique, as a string: the kind, and the account and region of the
 * construct's stack for names unique per account and region. An environment-agnostic stack's
 * account and region are the same tokens in every stack of the app, so such stacks count as one
 * account and region (they may well be deployed to one).
 */
function nameKey(construct: IConstruct, physical: PhysicalName): { key: string; where: string } {
  if (physical.scope === NameScope.GLOBAL) {
    return { key: `${physical.kind}|${physical.within ?? ''}|${physical.name}`, where: 'every account' };
  }
  const stack = Stack.of(construct);
  const where = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)
    ? 'the account and region of an environment-agnostic stack'
    : `account ${stack.account} region ${stack.region}`;
  return { key: `${physical.kind}|${physical.within ?? ''}|${stack.account}|${stack.region}|${physical.name}`, where };
}

/**
 * Records the explicit physical names a construct gives its resources; a name another construct
 * of the app already gave (same kind, same account and region, or anywhere for a bucket) fails
 * synth with one line naming both constructs. Names only known at deploy time are not checked.
 */
export function claimPhysicalNames(construct: IConstruct, names: ReadonlyArray<PhysicalName | undefined>): void {
  const root = construct.node.root;
  let claimed = namesOfApp.get(root);
  if (!claimed) {
    claimed = new Map();
    namesOfApp.set(root, claimed);
  }
  const collisions: string[] = [];
  for (const physical of names) {
    if (!physical || Token.isUnresolved(physical.name)) {
      continue;
    }
    const { key, where } = nameKey(construct, physical);
    const owner = claimed.get(key);
    if (owner === undefined) {
      claimed.set(key, construct.node.path);
    } else if (owner !== construct.node.path) {
      collisions.push(`${physical.kind} name '${physical.name}' is already the name ${owner} gives in ${where}; `
        + 'physical names must be unique there, so give one of them another name or another environment');
    }
  }
  if (collisions.length > 0) {
    construct.node.addValidation({ validate: () => collisions });
  }
}
