import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2Authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApiAuthorization, Handler, ServerlessRestApi, ServerlessRestApiProps } from '../../src';
import { nagErrors } from '../helpers/nag';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123';
const jwt = ApiAuthorization.jwt({ issuer: ISSUER, audience: ['client-id'] });
const SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };

function build(props: Partial<ServerlessRestApiProps> = {}) {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new ServerlessRestApi(stack, 'Catalog', { resources: [{ name: 'items' }], authorization: jwt, ...props } as ServerlessRestApiProps);
  let template: Template | undefined;
  // Synthesized on first use, so a test may add grants before reading the template.
  return { stack, api, get template() { return (template ??= Template.fromStack(stack)); } };
}

function routesOf(template: Template): Record<string, any> {
  const routes = template.findResources('AWS::ApiGatewayV2::Route');
  return Object.fromEntries(Object.values(routes).map((r: any) => [r.Properties.RouteKey, r.Properties]));
}

describe('ServerlessRestApi routes and authorization', () => {
  test('each resource gets list, create, get, replace, patch and delete routes on its function, behind the JWT authorizer', () => {
    // GIVEN / WHEN
    const { stack, api, template } = build({ resources: [{ name: 'items' }, { name: 'order-lines' }] });
    // THEN
    const routes = routesOf(template);
    expect(Object.keys(routes).sort()).toEqual([
      'DELETE /items/{id}', 'DELETE /order-lines/{id}', 'GET /items', 'GET /items/{id}', 'GET /order-lines', 'GET /order-lines/{id}',
      'PATCH /items/{id}', 'PATCH /order-lines/{id}', 'POST /items', 'POST /order-lines', 'PUT /items/{id}', 'PUT /order-lines/{id}',
    ]);
    expect(Object.values(routes).every((r) => r.AuthorizationType === 'JWT')).toBe(true);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: ISSUER, Audience: ['client-id'] },
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 2);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: stack.resolve(api.handlerFunction('order-lines').functionArn),
      PayloadFormatVersion: '2.0',
    });
    expect(api.functions).toHaveLength(2);
    expect(api.authorizationKind).toBe('jwt');
  });

  test('read routes require the read scopes and write routes the write scopes; a resource may override them', () => {
    const { template } = build({
      resources: [{ name: 'items' }, { name: 'secrets', readScopes: ['admin'] }],
      readScopes: ['api/read'],
      writeScopes: ['api/write'],
    });
    const routes = routesOf(template);
    expect(routes['GET /items'].AuthorizationScopes).toEqual(['api/read']);
    expect(routes['GET /items/{id}'].AuthorizationScopes).toEqual(['api/read']);
    for (const key of ['POST /items', 'PUT /items/{id}', 'PATCH /items/{id}', 'DELETE /items/{id}', 'DELETE /secrets/{id}']) {
      expect(routes[key].AuthorizationScopes).toEqual(['api/write']);
    }
    expect(routes['GET /secrets'].AuthorizationScopes).toEqual(['admin']);
  });

  test('no scopes are required by default: any valid token reads and writes', () => {
    const routes = routesOf(build().template);
    expect(Object.values(routes).some((r) => r.AuthorizationScopes !== undefined)).toBe(false);
  });

  test('IAM authorization: routes take SigV4 and grantInvoke allows every route of the stage', () => {
    const built = build({ authorization: ApiAuthorization.iam() });
    const { stack, api } = built;
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantInvoke(role);
    expect(Object.values(routesOf(built.template)).every((r) => r.AuthorizationType === 'AWS_IAM')).toBe(true);
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'execute-api:Invoke', Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }) })] },
    });
  });

  test('a public API (ApiAuthorization.none()) is a warning', () => {
    const { stack } = build({ authorization: ApiAuthorization.none() });
    Annotations.fromStack(stack).hasWarning('/Stack/Catalog', Match.stringLikeRegexp('anyone on the internet'));
  });

  test('no CORS by default', () => {
    build().template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });

  test('CORS allows the listed origins only, with the methods and headers the conventions need', () => {
    build({ corsAllowOrigins: ['https://app.example.com'] }).template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com'],
        AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        AllowHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match'],
        ExposeHeaders: ['etag', 'location'],
        MaxAge: 3600,
      },
    });
  });

  test('the $default stage throttles at 100 requests/s with bursts of 200 and writes JSON access logs', () => {
    const { stack, api, template } = build();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: stack.resolve(api.accessLogGroup.logGroupArn), Format: Match.stringLikeRegexp('"status":"\\$context.status"') },
    });
    const format = JSON.parse(Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0].Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({ apiId: '$context.apiId', routeKey: '$context.routeKey', integrationError: '$context.integrationErrorMessage' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/apigateway/') });
  });
});

describe('ServerlessRestApi table and functions', () => {
  test('one on-demand table with pk/sk, point-in-time recovery and encryption, retained by default', () => {
    const { template } = build();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('a customer key encrypts the table, and the functions may use it', () => {
    const stack = new Stack();
    const key = new kms.Key(stack, 'Key');
    const api = new ServerlessRestApi(stack, 'Catalog', { resources: [{ name: 'items' }], authorization: jwt, encryptionKey: key, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: stack.resolve(key.keyArn) } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((api.handlerFunction('items').role as iam.Role).roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['kms:Decrypt', 'kms:Encrypt']) })]) },
    });
  });

  test('the built-in handler gets the environment, ARM64, Node.js 24 and exactly the table actions it uses', () => {
    const { stack, api, template } = build({ resources: [{ name: 'items', idAttribute: 'sku', schema: SCHEMA }], requireIfMatch: false });
    const fn = api.handlerFunction('items');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 10,
      Environment: {
        Variables: Match.objectLike({
          REST_API_TABLE_NAME: stack.resolve(api.table.tableName),
          REST_API_RESOURCE: 'items',
          REST_API_ID_ATTRIBUTE: 'sku',
          REST_API_REQUIRE_IF_MATCH: 'false',
          REST_API_SCHEMA: JSON.stringify(SCHEMA),
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((fn.role as iam.Role).roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
          Effect: 'Allow',
          Resource: [stack.resolve(api.table.tableArn)],
        }]),
      },
    });
  });

  test('a user handler replaces the built-in one for its resource, with read-write access to the table', () => {
    const { stack, api, template } = build({
      resources: [
        { name: 'items' },
        { name: 'reports', handler: Handler.fromCode(lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'), { handler: 'index.handler' }) },
      ],
    });
    const reports = api.handlerFunction('reports');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { ZipFile: Match.stringLikeRegexp('statusCode: 200') },
      Environment: { Variables: Match.objectLike({ REST_API_RESOURCE: 'reports', REST_API_REQUIRE_IF_MATCH: 'true' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve((reports.role as iam.Role).roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['dynamodb:Query', 'dynamodb:BatchWriteItem']) })]) },
    });
    expect(routesOf(template)['GET /reports/{id}']).toBeDefined();
  });

  test('grantRead and grantWrite give a principal the table\'s read and write actions', () => {
    const { stack, api } = build();
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantRead(reader);
    api.grantWrite(writer);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(reader.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['dynamodb:Query', 'dynamodb:GetItem']) })]) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(writer.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['dynamodb:PutItem', 'dynamodb:DeleteItem']) })]) },
    });
  });
});

describe('ServerlessRestApi alarms', () => {
  test('alarms on the 5xx rate, p99 latency, throttled requests and each function, sent to the alarm topic', () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Alarms');
    const api = new ServerlessRestApi(stack, 'Catalog', { resources: [{ name: 'items' }], authorization: jwt, alarms: { topic } });
    const template = Template.fromStack(stack);
    expect(api.alarms.map((a) => a.node.id).sort()).toEqual(['ErrorRateAlarm', 'LatencyP99Alarm', 'ServerErrorRateAlarm', 'ThrottledAlarm', 'ThrottlesAlarm']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      AlarmActions: [stack.resolve(topic.topicArn)],
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' })]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency', Namespace: 'AWS/ApiGateway', ExtendedStatistic: 'p99', Threshold: 1000, EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [Match.objectLike({ MetricName: 'ThrottledRequests', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] })],
    });
  });

  test('overrides change an alarm by name, and an unknown name fails listing the names', () => {
    const { template } = build({ alarms: { overrides: { 'Api.LatencyP99': { threshold: 500 }, 'Items.Duration': { enabled: true } } } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Latency', Threshold: 500 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99' });
    expect(() => build({ alarms: { overrides: { 'Api.Latency': { threshold: 1 } } } }).template)
      .toThrow(/alarms.overrides names 'Api.Latency', which this construct does not have; its alarms are 'Api.LatencyP99', 'Api.ServerErrorRate', 'Api.Throttled', 'Items.Duration', 'Items.ErrorRate', 'Items.Throttles'/);
  });

  test('alarms: { enabled: false } creates none', () => {
    const { api, template } = build({ alarms: { enabled: false } });
    expect(api.alarms).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });
});

describe('ServerlessRestApi validation', () => {
  test('fails without resources', () => {
    expect(() => build({ resources: [] })).toThrow(/Catalog: resources must name at least one resource/);
  });

  test('fails for a resource name that is not a path segment', () => {
    expect(() => build({ resources: [{ name: 'Items' }] })).toThrow(/resources\[0\].name must be 1 to 64 lowercase letters, digits and hyphens starting with a letter \(it is the path segment\), got 'Items'/);
    expect(() => build({ resources: [{ name: 'items/{id}' }] })).toThrow(/resources\[0\].name must be/);
  });

  test('fails for two resources with the same name, or names with the same PascalCase', () => {
    expect(() => build({ resources: [{ name: 'items' }, { name: 'items' }] })).toThrow(/resources\[1\].name 'items' is already the name of another resource/);
    expect(() => build({ resources: [{ name: 'order-lines' }, { name: 'order--lines' }] })).toThrow(/resources\[1\].name 'order--lines' and 'order-lines' both become 'OrderLines'/);
  });

  test('fails for an idAttribute that is not a plain member name', () => {
    expect(() => build({ resources: [{ name: 'items', idAttribute: 'a.b' }] })).toThrow(/resources\[0\].idAttribute must be 1 to 64 letters, digits or underscores, not starting with a digit, got 'a.b'/);
  });

  test('fails for a schema that is not of objects, has a remote $ref, requires the id or is too large', () => {
    expect(() => build({ resources: [{ name: 'items', schema: { type: 'array' } }] })).toThrow(/resources\[0\].schema.type must be 'object' \(items are JSON objects\), got "array"/);
    expect(() => build({ resources: [{ name: 'items', schema: { properties: { a: { $ref: 'https://example.com/a.json' } } } }] }))
      .toThrow(/resources\[0\].schema: \$ref at \/properties\/a must point inside the schema/);
    expect(() => build({ resources: [{ name: 'items', schema: { type: 'object', required: ['id'] } }] })).toThrow(/resources\[0\].schema.required lists 'id', the id member/);
    expect(() => build({ resources: [{ name: 'items', schema: { description: 'x'.repeat(4000) } }] })).toThrow(/resources\[0\].schema must be at most 3072 bytes as JSON/);
    expect(() => build({ resources: [{ name: 'items', schema: { $schema: 'http://json-schema.org/draft-04/schema#' } }] })).toThrow(/\$schema must be draft 2020-12 or draft-07/);
  });

  test('fails for scopes with IAM or no authorization', () => {
    expect(() => build({ authorization: ApiAuthorization.iam(), writeScopes: ['w'] })).toThrow(/writeScopes apply to JWT authorization \(ApiAuthorization.jwt or a user pool authorizer\), but authorization is 'iam': remove them/);
    expect(() => build({ authorization: ApiAuthorization.none(), resources: [{ name: 'items', readScopes: ['r'] }] })).toThrow(/resources\[0\].readScopes apply to JWT authorization/);
    expect(() => build({ readScopes: [] })).toThrow(/readScopes must name at least one scope/);
    const lambdaAuthorizer = (stack: Stack) => new apigwv2Authorizers.HttpLambdaAuthorizer('Auth', new lambda.Function(stack, 'AuthFn', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    }));
    const stack = new Stack();
    expect(() => new ServerlessRestApi(stack, 'Catalog', { resources: [{ name: 'items' }], authorization: ApiAuthorization.authorizer(lambdaAuthorizer(stack)), writeScopes: ['w'] }))
      .toThrow(/readScopes and writeScopes apply to JWT authorizers .* but the authorizer is a Lambda authorizer/);
  });

  test('fails for CORS origins that are not origins', () => {
    expect(() => build({ corsAllowOrigins: ['https://app.example.com/path'] })).toThrow(/corsAllowOrigins: an origin is a scheme and host without a path.*got 'https:\/\/app.example.com\/path'/);
    expect(() => build({ corsAllowOrigins: ['*', 'https://a.example.com'] })).toThrow(/'\*' allows every origin; list origins or give '\*' alone/);
    expect(() => build({ corsAllowOrigins: [] })).toThrow(/corsAllowOrigins must list at least one origin/);
  });

  test('fails for throttling limits out of range', () => {
    expect(() => build({ throttlingRateLimit: 0 })).toThrow(/throttlingRateLimit must be an integer between 1 and 10000, got 0/);
    expect(() => build({ throttlingBurstLimit: 5001 })).toThrow(/throttlingBurstLimit must be an integer between 1 and 5000, got 5001/);
  });

  test('fails without authorization', () => {
    expect(() => build({ authorization: undefined })).toThrow(/authorization is required/);
  });

  test('handlerFunction fails for an unknown resource, naming the resources', () => {
    const { api } = build();
    expect(() => api.handlerFunction('orders')).toThrow(/handlerFunction: no resource is named 'orders'; the resources are 'items'/);
  });
});

describe('ServerlessRestApi cdk-nag', () => {
  test('has no cdk-nag errors with JWT, CORS and a schema', () => {
    const { stack } = build({ resources: [{ name: 'items', schema: SCHEMA }], corsAllowOrigins: ['https://app.example.com'], writeScopes: ['w'] });
    expect(nagErrors(stack)).toEqual([]);
  });

  test('has no cdk-nag errors when public by choice', () => {
    const { stack } = build({ authorization: ApiAuthorization.none() });
    expect(nagErrors(stack)).toEqual([]);
  });
});
