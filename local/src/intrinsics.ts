/**
 * CloudFormation intrinsic functions, resolved against what the local stack created.
 * Only what fan-out templates use: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split.
 */

/** Answers `Ref` and `Fn::GetAtt` for one logical id (or pseudo parameter). */
export type ReferenceResolver = (logicalId: string, attribute?: string) => string;

/** Thrown for an intrinsic or reference the local stack cannot resolve. */
export class UnresolvableError extends Error {}

export function resolveValue(value: unknown, ref: ReferenceResolver): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => resolveValue(v, ref));
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const entries = Object.entries(value);
  if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
    return resolveIntrinsic(entries[0][0], entries[0][1], ref);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveValue(v, ref)]));
}

export function resolveString(value: unknown, ref: ReferenceResolver): string {
  const resolved = resolveValue(value, ref);
  if (typeof resolved !== 'string' && typeof resolved !== 'number' && typeof resolved !== 'boolean') {
    throw new UnresolvableError(`expected a string, got ${JSON.stringify(resolved)}`);
  }
  return String(resolved);
}

function resolveIntrinsic(name: string, arg: unknown, ref: ReferenceResolver): unknown {
  switch (name) {
    case 'Ref':
      return ref(String(arg));
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
      return ref(String(logicalId), String(resolveValue(attribute, ref)));
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return (resolveValue(parts, ref) as unknown[]).map(String).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      return (resolveValue(list, ref) as unknown[])[Number(resolveValue(index, ref))];
    }
    case 'Fn::Split': {
      const [separator, source] = arg as [string, unknown];
      return resolveString(source, ref).split(separator);
    }
    case 'Fn::Sub': {
      const [text, variables] = Array.isArray(arg) ? arg as [string, Record<string, unknown>] : [String(arg), {}];
      return text.replace(/\$\{([^}!][^}]*)\}/g, (_match, expression: string) => {
        if (expression in variables) {
          return resolveString(variables[expression], ref);
        }
        const [logicalId, attribute] = expression.split(/\.(.*)/s);
        return ref(logicalId, attribute);
      });
    }
    default:
      throw new UnresolvableError(`${name} is not supported by the local stack`);
  }
}
