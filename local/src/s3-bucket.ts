import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Port } from './provisioners/ports';

/** S3's longest bucket name. */
export const MAX_BUCKET_NAME_LENGTH = 63;

/**
 * A bucket name S3 takes from a local physical name: lower case, only letters, digits, dots and
 * dashes, at most 63 characters (a generated `<stack>-<logical id>` has capitals).
 */
export function localBucketName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').slice(0, MAX_BUCKET_NAME_LENGTH).replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
}

/**
 * Creates a bucket on the emulator; one that already exists (the app ran on these emulators
 * before) is kept with its objects, as a redeployment keeps a bucket.
 */
export async function createBucketUnlessItExists(client: S3Port, name: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    const code = (error as Error).name;
    if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
  }
}
