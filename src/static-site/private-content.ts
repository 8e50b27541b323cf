import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';
import { BoundPrivateContent } from './internals';
import { PatternValidationError } from '../core/errors';
import { regionalName } from '../core/names';


/**
 * Paths of a `StaticSite` that need a CloudFront signed URL or signed cookies, and the keys that
 * verify the signatures.
 *
 * - `PrivateContent.withPublicKey(pathPattern, publicKeyPem)`: the site creates a CloudFront public
 *   key from the PEM and a key group holding it (`StaticSite.publicKey`, `StaticSite.keyGroup`); the
 *   application signs with the matching private key and the public key's id as key pair id.
 * - `PrivateContent.fromKeyGroup(pathPattern, keyGroup)`: an existing key group (for example one
 *   shared by several distributions); the site creates no key.
 *
 * @example
 * declare const publicKeyPem: string;
 * new StaticSite(this, 'Shop', {
 *   sourcePath: 'shop/dist',
 *   privateContent: PrivateContent.withPublicKey('/premium/*', publicKeyPem),
 * });
 */
export class PrivateContent {
  /**
   * The site creates a CloudFront public key from `publicKeyPem` and a key group for it.
   *
   * @param pathPattern the paths that require a signature, e.g. `/premium/*` (not `/*`, the whole site)
   * @param publicKeyPem the PEM public key (`-----BEGIN PUBLIC KEY-----`) whose private key signs the URLs
   */
  public static withPublicKey(pathPattern: string, publicKeyPem: string): PrivateContent {
    return new PrivateContent(pathPattern, publicKeyPem, undefined);
  }

  /**
   * An existing key group verifies the signatures; the site creates no key.
   *
   * @param pathPattern the paths that require a signature, e.g. `/premium/*` (not `/*`, the whole site)
   * @param keyGroup the key group
   */
  public static fromKeyGroup(pathPattern: string, keyGroup: cloudfront.IKeyGroup): PrivateContent {
    return new PrivateContent(pathPattern, undefined, keyGroup);
  }

  /** The paths that require a signature. */
  public readonly pathPattern: string;

  private constructor(
    pathPattern: string,
    private readonly publicKeyPem: string | undefined,
    private readonly keyGroup: cloudfront.IKeyGroup | undefined,
  ) {
    this.pathPattern = pathPattern;
  }

  /**
   * Validates the path and key, and creates the public key and key group when the PEM was given.
   *
   * @internal
   */
  public _bind(scope: Construct): BoundPrivateContent {
    if (!this.pathPattern.startsWith('/') || this.pathPattern === '/*') {
      throw new PatternValidationError(scope, `privateContent's pathPattern must start with / and not be /* (the whole site), got '${this.pathPattern}'`);
    }
    if (this.keyGroup) return { keyGroup: this.keyGroup };
    const pem = this.publicKeyPem!;
    if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) {
      throw new PatternValidationError(scope, 'privateContent: PrivateContent.withPublicKey needs a PEM public key (-----BEGIN PUBLIC KEY-----), got something else');
    }
    const publicKey = new cloudfront.PublicKey(scope, 'PublicKey', {
      publicKeyName: regionalName(scope, 'PublicKey', 128), encodedKey: pem, comment: `${scope.node.path}: verifies signed URLs`,
    });
    const keyGroup = new cloudfront.KeyGroup(scope, 'KeyGroup', { keyGroupName: regionalName(scope, 'KeyGroup', 128), items: [publicKey] });
    return { keyGroup, publicKey };
  }
}
