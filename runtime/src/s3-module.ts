/**
 * Loads `@aws-sdk/client-s3` (an optional peer dependency) when a claim check is first written or
 * read: a consumer that never meets one does not pay for loading it at cold start.
 */
export function loadS3Module(): Promise<typeof import('@aws-sdk/client-s3')> {
  return import('@aws-sdk/client-s3');
}
