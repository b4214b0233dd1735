import { UnresolvableError, type ReferenceResolver } from '../intrinsics';

/** What one resource resolved to: its `Ref` and its `Fn::GetAtt` attributes. */
export interface Physical {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Answers `Ref` and `Fn::GetAtt` from the resources provisioned so far and the pseudo parameters.
 * Resolution is synchronous, so a resource's references are provisioned before it is resolved.
 */
export class ResolvedReferences {
  private readonly physical = new Map<string, Physical>();

  constructor(private readonly pseudo: Readonly<Record<string, string>>) {}

  /** Records what a resource resolved to; `undefined` for a skipped one. */
  set(logicalId: string, physical: Physical | undefined): void {
    if (physical) this.physical.set(logicalId, physical);
  }

  readonly resolve: ReferenceResolver = (logicalId, attribute) => {
    if (!attribute && logicalId in this.pseudo) {
      return this.pseudo[logicalId];
    }
    const target = this.physical.get(logicalId);
    if (!target) {
      // A resource with no local stand-in (a KMS key, an IAM role): a placeholder keeps the value a string.
      return `local-unresolved:${logicalId}${attribute ? `.${attribute}` : ''}`;
    }
    if (!attribute) {
      return target.ref;
    }
    const value = target.attributes[attribute];
    if (value === undefined) {
      throw new UnresolvableError(`${logicalId}.${attribute} is not known to the local stack`);
    }
    return value;
  };
}

/** Every logical id a resource's properties name in Ref, Fn::GetAtt or Fn::Sub. */
export function referencesOf(properties: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Ref') {
          found.add(String(inner));
        } else if (key === 'Fn::GetAtt') {
          found.add(String(Array.isArray(inner) ? inner[0] : String(inner).split('.')[0]));
        } else if (key === 'Fn::Sub') {
          const text = Array.isArray(inner) ? String(inner[0]) : String(inner);
          for (const match of text.matchAll(/\$\{([^}!.]+)[^}]*\}/g)) {
            found.add(match[1]);
          }
        }
        visit(inner);
      }
    }
  };
  visit(properties);
  return [...found];
}
