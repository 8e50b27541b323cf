/**
 * Signed URLs and cookies for StaticSite's private content: the application's signer side (e.g.
 * the endpoint that hands a premium user a short-lived link). Built on @aws-sdk/cloudfront-signer.
 */
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';

export interface UrlSignerOptions {
  /** The CloudFront public key id (the key group's key), e.g. `K2JCJMDEHXQW5F`. */
  readonly keyPairId: string;
  /** The PEM private key matching the public key given to StaticSite's `privateContent`. */
  readonly privateKey: string;
  /** How long a signed URL or cookie stays valid, in seconds. @default 300 */
  readonly expiresInSeconds?: number;
}

export interface SignOptions {
  /** Overrides the signer's expiry for this URL, in seconds. */
  readonly expiresInSeconds?: number;
  /** Sign for this moment instead of now (tests, clock skew). @default now */
  readonly now?: Date;
}

export interface UrlSigner {
  /** A URL valid until now + expiry (canned policy). */
  signUrl(url: string, options?: SignOptions): string;
  /** CloudFront-Policy/Signature/Key-Pair-Id cookies for every URL matching `resourcePattern` (custom policy, e.g. `https://d111.cloudfront.net/premium/*`). */
  signCookies(resourcePattern: string, options?: SignOptions): Record<string, string>;
}

/** Validates the options once and returns a signer to keep at module scope. */
export function createUrlSigner(options: UrlSignerOptions): UrlSigner {
  const expiry = options.expiresInSeconds ?? 300;
  if (!Number.isInteger(expiry) || expiry < 1 || expiry > 7 * 24 * 3600) {
    throw new Error(`expiresInSeconds must be an integer between 1 and 604800 (7 days), got ${expiry}`);
  }
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(options.privateKey)) {
    throw new Error('privateKey must be a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)');
  }
  const until = (o?: SignOptions) => new Date((o?.now ?? new Date()).getTime() + (o?.expiresInSeconds ?? expiry) * 1000);
  return {
    signUrl: (url, o) => getSignedUrl({ url, keyPairId: options.keyPairId, privateKey: options.privateKey, dateLessThan: until(o).toISOString() }),
    signCookies: (resourcePattern, o) => {
      const policy = JSON.stringify({
        Statement: [{ Resource: resourcePattern, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(until(o).getTime() / 1000) } } }],
      });
      const cookies = getSignedCookies({ keyPairId: options.keyPairId, privateKey: options.privateKey, policy });
      return Object.fromEntries(Object.entries(cookies).filter(([, v]) => v !== undefined)) as Record<string, string>;
    },
  };
}
