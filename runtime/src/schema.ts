import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Envelope } from './envelope.js';
import { PoisonMessageError } from './poison-message-error.js';

const MAX_ISSUES_IN_MESSAGE = 5;

/**
 * Validates an envelope's data with any Standard Schema (zod, valibot, arktype, …) and returns
 * the schema's output. Failure is poison (`schema`): the same bytes fail the same way every time.
 */
export async function validateData<S extends StandardSchemaV1>(schema: S, envelope: Envelope): Promise<StandardSchemaV1.InferOutput<S>> {
  const result = await schema['~standard'].validate(envelope.data);
  if (result.issues) {
    throw new PoisonMessageError('schema', `data of ${envelope.type} version ${envelope.version} failed its schema: ${formatIssues(result.issues)}`);
  }
  return result.value;
}

function formatIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((issue) => {
    const path = issue.path?.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
