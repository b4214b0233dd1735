import { LOCAL_REGION } from '../emulators';
import { createBucketUnlessItExists, localBucketName, MAX_BUCKET_NAME_LENGTH } from '../s3-bucket';
import type { S3Port } from './ports';
import { created, type Creation, type CreationContext, type ResourceCreator } from './resource-creator';

/** `AWS::S3::Bucket`: created on fauxqs's S3 under a name S3 takes. */
export class BucketCreator implements ResourceCreator {
  constructor(private readonly s3: S3Port) {}

  async create(logicalId: string, props: Record<string, unknown>, { names, made }: CreationContext): Promise<Creation> {
    const name = localBucketName(names.of(logicalId, props.BucketName, MAX_BUCKET_NAME_LENGTH));
    await createBucketUnlessItExists(this.s3, name);
    made.buckets.set(logicalId, name);
    return created({ ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com` } });
  }
}
