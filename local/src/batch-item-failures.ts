/**
 * The identifiers a partial batch response (`{ batchItemFailures: [{ itemIdentifier }] }`) reports
 * failed, read the way Lambda reads it for SQS and for streams: no response, a null or empty list
 * mean every record succeeded; a list that is not one, or an item whose identifier is missing,
 * empty or not in the batch, is malformed — undefined, and Lambda fails the whole batch.
 */
export function failedIds(response: unknown, identifiers: readonly string[]): Set<string> | undefined {
  if (response === null || response === undefined) {
    return new Set();
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) {
    return new Set();
  }
  if (!Array.isArray(failures)) {
    return undefined;
  }
  const known = new Set(identifiers);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown })?.itemIdentifier;
    if (typeof id !== 'string' || !known.has(id)) {
      return undefined;
    }
    failed.add(id);
  }
  return failed;
}
