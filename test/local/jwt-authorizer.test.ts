/** The local cloud's JWT authorizer: API Gateway's claim checks (issuer, audience, time, scopes), without the signature. */
import { checkJwt } from '../../src/local/http-api';

const AUTHORIZER = { issuer: 'https://issuer.example.com', audience: ['app'] };
const NOW = Date.parse('2026-12-01T12:00:00Z');

function bearer(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `Bearer ${part({ alg: 'none' })}.${part({ iss: AUTHORIZER.issuer, aud: 'app', exp: NOW / 1000 + 60, ...claims })}.sig`;
}

describe('checkJwt', () => {
  test('passes a token with the issuer, an audience and a scope of the route, with its claims as strings', () => {
    expect(checkJwt(bearer({ sub: 'u1', scope: 'catalog/read catalog/write' }), AUTHORIZER, ['catalog/write'], NOW)).toEqual({
      claims: { iss: AUTHORIZER.issuer, aud: 'app', exp: String(NOW / 1000 + 60), sub: 'u1', scope: 'catalog/read catalog/write' },
      scopes: ['catalog/read', 'catalog/write'],
    });
  });

  test('accepts a Cognito access token: the audience is in client_id', () => {
    expect(checkJwt(bearer({ aud: undefined, client_id: 'app' }), AUTHORIZER, undefined, NOW)).not.toHaveProperty('status');
  });

  test('fails with 401 without a bearer token, or with a wrong issuer, audience, or an expired or not yet valid token', () => {
    const verdicts = [
      checkJwt(undefined, AUTHORIZER, undefined, NOW),
      checkJwt('Bearer not-a-jwt', AUTHORIZER, undefined, NOW),
      checkJwt(bearer({ iss: 'https://other.example.com' }), AUTHORIZER, undefined, NOW),
      checkJwt(bearer({ aud: 'other' }), AUTHORIZER, undefined, NOW),
      checkJwt(bearer({ exp: NOW / 1000 - 1 }), AUTHORIZER, undefined, NOW),
      checkJwt(bearer({ nbf: NOW / 1000 + 60 }), AUTHORIZER, undefined, NOW),
    ];
    expect(verdicts).toEqual(Array(6).fill({ status: 401 }));
  });

  test('fails with 403 when the token holds none of the route\'s scopes', () => {
    expect(checkJwt(bearer({ scope: 'catalog/read' }), AUTHORIZER, ['catalog/write'], NOW)).toEqual({ status: 403 });
    expect(checkJwt(bearer({}), AUTHORIZER, ['catalog/write'], NOW)).toEqual({ status: 403 });
  });
});
