import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNagFindings } from './nag';

/** What every bucket the library creates has: private, encrypted, TLS-only. */
export const PRIVATE_BUCKET_PROPS = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
} as const;

/** Access logs are kept a year: long enough for an audit, bounded storage. */
export const ACCESS_LOG_RETENTION = Duration.days(365);

/** Noncurrent object versions are kept 30 days: time to recover an overwrite, bounded cost. */
export const NONCURRENT_VERSION_EXPIRATION = Duration.days(30);

/**
 * A private bucket that receives access logs (S3 server access logs, CloudFront standard logs),
 * with the AwsSolutions-S1 finding acknowledged: logging the log bucket into itself would loop.
 *
 * @param contents what it receives, for the acknowledgement's reason ("the site's CloudFront and S3 access logs")
 * @param objectOwnership OBJECT_WRITER for CloudFront standard logs (delivered with ACLs); left to aws-cdk-lib otherwise
 */
export function createAccessLogsBucket(scope: Construct, id: string, contents: string, removalPolicy: RemovalPolicy,
  objectOwnership?: s3.ObjectOwnership): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    ...PRIVATE_BUCKET_PROPS,
    objectOwnership,
    lifecycleRules: [{ expiration: ACCESS_LOG_RETENTION }],
    removalPolicy,
  });
  acknowledgeNagFindings(bucket, [
    { id: 'AwsSolutions-S1', reason: `This bucket receives ${contents}; logging it into itself would loop` },
  ]);
  return bucket;
}
