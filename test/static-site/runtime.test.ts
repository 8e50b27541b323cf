/**
 * StaticSite's runtime pieces run for real: the CloudFront Function file executed in Node against
 * viewer-request events, and the signed-URL helper verified with node:crypto.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { createUrlSigner } from '../../src/runtime';

type CloudFrontRequest = { uri: string; method: string; querystring: Record<string, unknown>; headers: Record<string, unknown> };

/** Loads the shipped function file as CloudFront does: a script that defines `handler(event)`. */
function loadDirectoryIndex(): (event: { request: CloudFrontRequest }) => CloudFrontRequest {
  const code = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'static-site', 'runtime', 'directory-index.js'), 'utf8');
  return vm.runInNewContext(`${code}\nhandler;`, {});
}

describe('the directory-index CloudFront Function', () => {
  const handler = loadDirectoryIndex();
  const rewrite = (uri: string) => handler({ request: { uri, method: 'GET', querystring: {}, headers: {} } }).uri;

  test.each([
    ['/', '/index.html'],
    ['/docs', '/docs/index.html'],
    ['/docs/', '/docs/index.html'],
    ['/deep/path/', '/deep/path/index.html'],
    ['/a.js', '/a.js'],
    ['/assets/site.4f9a2c1b.css', '/assets/site.4f9a2c1b.css'],
    ['/v1.2/guide', '/v1.2/guide/index.html'],
  ])('%s is served as %s', (uri, expected) => {
    expect(rewrite(uri)).toBe(expected);
  });

  test('keeps the rest of the request', () => {
    const request = handler({ request: { uri: '/docs', method: 'GET', querystring: { q: { value: '1' } }, headers: { host: { value: 'x' } } } });
    expect(request).toEqual({ uri: '/docs/index.html', method: 'GET', querystring: { q: { value: '1' } }, headers: { host: { value: 'x' } } });
  });
});

describe('createUrlSigner', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const url = 'https://d111111abcdef8.cloudfront.net/premium/report.pdf';
  const now = new Date('2026-11-22T12:00:00Z');

  /** CloudFront's URL-safe base64: + -> -, = -> _, / -> ~. */
  const fromCloudFrontBase64 = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

  /** Verifies a canned-policy signed URL as CloudFront does, with the public key. */
  function verify(signedUrl: string): boolean {
    const parsed = new URL(signedUrl);
    const expires = parsed.searchParams.get('Expires')!;
    const signature = parsed.searchParams.get('Signature')!;
    for (const p of ['Expires', 'Signature', 'Key-Pair-Id']) parsed.searchParams.delete(p);
    const resource = parsed.toString().replace(/\?$/, '');
    const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': Number(expires) } } }] });
    return crypto.createVerify('RSA-SHA1').update(policy).verify(publicKey, fromCloudFrontBase64(signature));
  }

  test('signs a URL that verifies with the public key and expires after the default 300 seconds', () => {
    const signer = createUrlSigner({ keyPairId: 'K2JCJMDEHXQW5F', privateKey: privatePem });
    const signed = signer.signUrl(url, { now });
    const params = new URL(signed).searchParams;
    expect(params.get('Key-Pair-Id')).toBe('K2JCJMDEHXQW5F');
    expect(Number(params.get('Expires'))).toBe(now.getTime() / 1000 + 300);
    expect(verify(signed)).toBe(true);
  });

  test('a per-URL expiry overrides the default', () => {
    const signer = createUrlSigner({ keyPairId: 'K1', privateKey: privatePem, expiresInSeconds: 60 });
    expect(Number(new URL(signer.signUrl(url, { now, expiresInSeconds: 3600 })).searchParams.get('Expires'))).toBe(now.getTime() / 1000 + 3600);
    expect(Number(new URL(signer.signUrl(url, { now })).searchParams.get('Expires'))).toBe(now.getTime() / 1000 + 60);
  });

  test('a tampered URL (another path, or a later expiry) fails verification', () => {
    const signed = createUrlSigner({ keyPairId: 'K1', privateKey: privatePem }).signUrl(url, { now });
    expect(verify(signed.replace('report.pdf', 'other.pdf'))).toBe(false);
    const later = new URL(signed);
    later.searchParams.set('Expires', String(Number(later.searchParams.get('Expires')) + 3600));
    expect(verify(later.toString())).toBe(false);
  });

  test('signed cookies carry a custom policy for a path pattern that verifies and holds the expiry', () => {
    const cookies = createUrlSigner({ keyPairId: 'K1', privateKey: privatePem }).signCookies('https://d111111abcdef8.cloudfront.net/premium/*', { now });
    const policy = fromCloudFrontBase64(cookies['CloudFront-Policy']).toString('utf8');
    expect(JSON.parse(policy)).toEqual({ Statement: [{ Resource: 'https://d111111abcdef8.cloudfront.net/premium/*', Condition: { DateLessThan: { 'AWS:EpochTime': now.getTime() / 1000 + 300 } } }] });
    expect(crypto.createVerify('RSA-SHA1').update(policy).verify(publicKey, fromCloudFrontBase64(cookies['CloudFront-Signature']))).toBe(true);
    expect(cookies['CloudFront-Key-Pair-Id']).toBe('K1');
  });

  test('fails for an expiry outside 1 second to 7 days, and for a key that is not PEM', () => {
    expect(() => createUrlSigner({ keyPairId: 'K1', privateKey: privatePem, expiresInSeconds: 0 })).toThrow(/expiresInSeconds must be an integer between 1 and 604800 \(7 days\), got 0/);
    expect(() => createUrlSigner({ keyPairId: 'K1', privateKey: 'secret' })).toThrow(/privateKey must be a PEM private key/);
  });
});
