import { Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as apigwv2Authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { IConstruct } from 'constructs';
import { PatternValidationError } from '../core/errors';

/** Options of `ApiAuthorization.jwt`. */
export interface JwtAuthorizationOptions {
  /**
   * The token issuer (`iss`), an https URL whose `/.well-known/openid-configuration` API Gateway
   * reads, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123`.
   */
  readonly issuer: string;
  /**
   * Accepted audiences: the token's `aud` (or, for Cognito access tokens, `client_id`) must be one
   * of them, e.g. the user pool app client id.
   */
  readonly audience: string[];
  /**
   * Where API Gateway reads the token.
   *
   * @default ['$request.header.Authorization'] (`Authorization: Bearer <token>`)
   */
  readonly identitySource?: string[];
}

enum AuthorizationKind { IAM = 'iam', JWT = 'jwt', NONE = 'none', CUSTOM = 'custom' }

/**
 * Who may call an API's routes.
 *
 * - `iam()`: SigV4-signed requests from AWS principals (servers, other functions); `grantInvoke`
 *   gives access. Browsers cannot sign, and CloudFront does not forward a viewer's signature to
 *   an origin of another host, so an IAM API is not reachable through `StaticSite.apiOrigin`.
 * - `jwt({ issuer, audience })`: a bearer token from an OpenID Connect provider (Amazon Cognito,
 *   Auth0, Entra ID …), which a browser sends as `Authorization: Bearer …`; works through
 *   `StaticSite.apiOrigin`. The job owner is derived from the verified claims.
 * - `none()`: anyone on the internet (public demos only).
 * - `authorizer(a)`: any HTTP API route authorizer (Lambda, user pool …).
 */
export abstract class ApiAuthorization {
  /** SigV4-signed requests, allowed by IAM policies (`grantInvoke`). */
  public static iam(): ApiAuthorization {
    return new BoundAuthorization(AuthorizationKind.IAM, () => new apigwv2Authorizers.HttpIamAuthorizer());
  }

  /** A JWT authorizer: API Gateway verifies the bearer token's signature, issuer, audience and expiry. */
  public static jwt(options: JwtAuthorizationOptions): ApiAuthorization {
    return new BoundAuthorization(AuthorizationKind.JWT, (scope) => {
      if (!Token.isUnresolved(options.issuer) && !/^https:\/\/[^/\s]+/.test(options.issuer)) {
        throw new PatternValidationError(scope, `authorization: ApiAuthorization.jwt issuer must be an https:// URL (the OpenID Connect issuer), got '${options.issuer}'`);
      }
      if (options.audience.length === 0) {
        throw new PatternValidationError(scope, 'authorization: ApiAuthorization.jwt audience must name at least one audience (e.g. the app client id), got none');
      }
      return new apigwv2Authorizers.HttpJwtAuthorizer('JwtAuthorizer', options.issuer, {
        jwtAudience: options.audience,
        identitySource: options.identitySource,
      });
    });
  }

  /** No authorization: the routes are open to anyone on the internet. */
  public static none(): ApiAuthorization {
    return new BoundAuthorization(AuthorizationKind.NONE, () => new apigwv2.HttpNoneAuthorizer());
  }

  /** Any HTTP API route authorizer. */
  public static authorizer(authorizer: apigwv2.IHttpRouteAuthorizer): ApiAuthorization {
    return new BoundAuthorization(AuthorizationKind.CUSTOM, () => authorizer);
  }

  /** 'iam', 'jwt', 'none' or 'custom'. */
  public abstract readonly kind: string;

  /**
   * The route authorizer for one API in `scope` (validates the options there); bind once per API.
   *
   * @internal
   */
  public abstract _bind(scope: IConstruct): apigwv2.IHttpRouteAuthorizer;
}

/** A new route authorizer per bind: an authorizer belongs to one API, and one value may serve several. */
class BoundAuthorization extends ApiAuthorization {
  constructor(public readonly kind: string, private readonly create: (scope: IConstruct) => apigwv2.IHttpRouteAuthorizer) {
    super();
  }

  public _bind(scope: IConstruct): apigwv2.IHttpRouteAuthorizer {
    return this.create(scope);
  }
}
