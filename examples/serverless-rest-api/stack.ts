import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ApiAuthorization, Handler, ServerlessRestApi } from '../../src';
import { acknowledgeNagFindings } from '../../src/core/nag';
import { exampleHandlerCode } from '../bundle';

/**
 * A product catalog (the seeds' Pattern 1): Client → HTTP API → Lambda → DynamoDB. A Cognito user
 * pool issues access tokens with `catalog/read` and `catalog/write` scopes; `products` is served
 * by the built-in CRUD handler with a JSON Schema, `stock-levels` by a handler of our own.
 */
export class ServerlessRestApiExampleStack extends Stack {
  public readonly api: ServerlessRestApi;
  public readonly userPool: cognito.UserPool;

  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
    });
    acknowledgeNagFindings(this.userPool, [
      { id: 'AwsSolutions-COG3', reason: 'Example user pool: threat protection needs the Plus feature plan, billed per active user; a production pool decides it' },
      { id: 'AwsSolutions-COG8', reason: 'Example user pool: the Plus feature plan is billed per active user; a production pool decides it' },
    ]);
    const read = new cognito.ResourceServerScope({ scopeName: 'read', scopeDescription: 'Read the catalog' });
    const write = new cognito.ResourceServerScope({ scopeName: 'write', scopeDescription: 'Change the catalog' });
    const server = this.userPool.addResourceServer('Catalog', { identifier: 'catalog', scopes: [read, write] });
    const client = this.userPool.addClient('WebApp', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.resourceServer(server, read), cognito.OAuthScope.resourceServer(server, write)],
        callbackUrls: ['https://app.example.com/callback'],
      },
    });

    this.api = new ServerlessRestApi(this, 'Catalog', {
      resources: [
        {
          name: 'products',
          schema: {
            type: 'object',
            required: ['name', 'price'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              price: { type: 'number', minimum: 0 },
              stock: { type: 'integer', minimum: 0 },
              tags: { type: 'array', items: { type: 'string' }, maxItems: 20 },
            },
          },
        },
        {
          name: 'stock-levels',
          handler: Handler.fromCode(exampleHandlerCode(path.join(__dirname, 'handlers', 'stock-levels.ts')), { handler: 'index.handler' }),
        },
      ],
      authorization: ApiAuthorization.jwt({
        issuer: `https://cognito-idp.${this.region}.amazonaws.com/${this.userPool.userPoolId}`,
        // Cognito access tokens carry the app client in `client_id`, which API Gateway checks against the audience.
        audience: [client.userPoolClientId],
      }),
      readScopes: ['catalog/read'],
      writeScopes: ['catalog/write'],
      corsAllowOrigins: ['https://app.example.com'],
      alarms: { topic: props.alarmTopic },
    });
  }
}
