import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';

/** What a `PrivateContent` gives the site: the key group its path trusts, and the public key when the site created it (not exported from the package). */
export interface BoundPrivateContent {
  readonly keyGroup: cloudfront.IKeyGroup;
  readonly publicKey?: cloudfront.IPublicKey;
}
