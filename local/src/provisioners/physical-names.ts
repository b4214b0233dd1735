import { resolveString, type ReferenceResolver } from '../intrinsics';

/**
 * How the local stack names what it creates: the template's name, or `<stack>-<logical id>` where
 * it gives none (CloudFormation would generate one), behind the deployment's prefix so several
 * copies of an app can share the emulators, cut to the service's longest name.
 */
export class PhysicalNames {
  constructor(private readonly stackName: string, private readonly prefix: string, private readonly ref: ReferenceResolver) {}

  /**
   * The name of `logicalId`, from `given` (the template's name property, intrinsics allowed).
   * `suffix` (`.fifo`) is kept past the cut; a given name's own `.fifo` is dropped for it.
   */
  of(logicalId: string, given: unknown, maxLength: number, suffix = ''): string {
    const base = given === undefined ? `${this.stackName}-${logicalId}` : resolveString(given, this.ref).replace(/\.fifo$/, '');
    return `${this.prefix}${base}`.slice(0, maxLength - suffix.length) + suffix;
  }
}
