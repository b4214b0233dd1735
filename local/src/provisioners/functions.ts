import * as path from 'node:path';
import { resolveString } from '../intrinsics';
import { functionArn } from './arns';
import { created, skip, type Creation, type CreationContext, type ResourceCreator } from './resource-creator';

/** Lambda's longest function name. */
const MAX_FUNCTION_NAME_LENGTH = 64;

/** Lambda's default timeout, seconds. */
const DEFAULT_TIMEOUT_SECONDS = 3;

const NODE_RUNTIME = /^nodejs\d+\.x$/;

/**
 * `AWS::Lambda::Function` on a Node.js runtime with a staged asset: recorded to run locally (a
 * worker starts it once a mapping needs it). Other runtimes and container images are skipped.
 */
export class FunctionCreator implements ResourceCreator {
  /** `assets`: the cloud assembly's staged assets, by hash (`AssemblyStack.assets`). */
  constructor(private readonly assets: ReadonlyMap<string, string>) {}

  async create(logicalId: string, props: Record<string, unknown>, { ref, names, made }: CreationContext): Promise<Creation> {
    const runtime = String(props.Runtime ?? '');
    const entry = NODE_RUNTIME.test(runtime) ? handlerEntry(this.assets, props) : undefined;
    if (!entry) {
      return skip(`AWS::Lambda::Function(${runtime || 'container image'})`);
    }
    const name = names.of(logicalId, props.FunctionName, MAX_FUNCTION_NAME_LENGTH);
    const variables = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    made.functions.set(logicalId, {
      logicalId,
      name,
      ...entry,
      timeoutSeconds: Number(props.Timeout ?? DEFAULT_TIMEOUT_SECONDS),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolveString(v, ref)])),
    });
    return created({ ref: name, attributes: { Arn: functionArn(name) } });
  }
}

/** The staged asset's handler module: `index.handler` → `<asset>/index.js`, export `handler`. */
function handlerEntry(assets: ReadonlyMap<string, string>, props: Record<string, unknown>): { entry: string; exportName: string } | undefined {
  const code = props.Code as { S3Key?: unknown } | undefined;
  const key = typeof code?.S3Key === 'string' ? code.S3Key.replace(/\.zip$/, '') : undefined;
  const assetDir = key && assets.get(key);
  const handler = String(props.Handler ?? '');
  const dot = handler.lastIndexOf('.');
  if (!assetDir || dot < 1) {
    return undefined;
  }
  return { entry: path.join(assetDir, handler.slice(0, dot)), exportName: handler.slice(dot + 1) };
}
