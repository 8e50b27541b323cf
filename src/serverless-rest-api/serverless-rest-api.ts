import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as apigwv2Integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ATTR, ENV } from './runtime/env';
import { ApiAuthorization } from '../async-http-api/api-authorization';
import { PatternAlarms } from '../core/alarm-factory';
import { AlarmsOptions } from '../core/alarms';
import { bundledHandlerCode } from '../core/assets';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { Handler } from '../core/handler';
import { acknowledgeNagFindings } from '../core/nag';
import { vendedLogGroupName } from '../core/names';
import { FunctionInvocation } from '../core/serverless-function';
import { validateIntegerRange } from '../core/validation';

/** Defaults of ServerlessRestApi, with their reasons. */
const REST_API_DEFAULTS = {
  /** Steady-state requests per second per stage: a runaway client cannot run up the table bill. */
  throttlingRateLimit: 100,
  /** Burst above the rate (a page of a UI loading several lists at once). */
  throttlingBurstLimit: 200,
  /** CRUD requests are a read or a write: small and quick; the API waits at most 30 s anyway. */
  functionMemorySize: 256,
  functionTimeout: Duration.seconds(10),
  /** Lambda allows 4 KB of environment variables in total; the schema gets most of it. */
  maxSchemaBytes: 3_072,
  /** 5xx answers (the function failed, timed out or was throttled) above this share of requests page. */
  serverErrorRatePercent: 1,
  /** p99 latency (ms) that pages when it lasts: a CRUD call that takes a second is broken. */
  latencyP99Millis: 1_000,
  /** Requests refused by stage throttling (429) above this share: raise the limits or find the client. */
  throttledRatePercent: 1,
  /** The namespace of the throttled-requests metric (from the access logs). */
  metricNamespace: 'cdk-serverless-patterns/ServerlessRestApi',
  /** How long browsers may cache a CORS preflight answer. */
  corsMaxAge: Duration.hours(1),
} as const;

const RESOURCE_NAME = /^[a-z][a-z0-9-]{0,63}$/;
const ID_ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const ORIGIN = /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$/;
const SCOPE = /^[\x21-\x7e]{1,256}$/;

/** One resource of a `ServerlessRestApi`: its routes and the code behind them. */
export interface RestResource {
  /**
   * The resource name and path segment (`items` serves `/items` and `/items/{id}`): lowercase
   * letters, digits and hyphens, starting with a letter, at most 64 characters; unique in the API.
   * It is also the partition key of the resource's records in the table.
   */
  readonly name: string;
  /**
   * The member of request and response bodies that holds the item's id (the sort key of its
   * record): `POST` takes the id from it when present, and every answer carries it.
   *
   * @default 'id'
   */
  readonly idAttribute?: string;
  /**
   * A JSON Schema (draft 2020-12 or 07, as an object, `type: 'object'`) that items must satisfy
   * on `POST` and `PUT`, and after a `PATCH` is merged; violations get 400 listing them. The id
   * member is not part of what is validated. Checked at synth (local `$ref`s only, at most 3 KB as
   * JSON: it travels in an environment variable). A user `handler` receives it in
   * `REST_API_SCHEMA` and must validate itself.
   *
   * @default - any JSON object is accepted
   */
  readonly schema?: { [key: string]: any };
  /**
   * Your code for this resource's routes, instead of the built-in CRUD handler: it receives the
   * same routes (API Gateway payload 2.0) and the environment `REST_API_TABLE_NAME`,
   * `REST_API_RESOURCE`, `REST_API_ID_ATTRIBUTE`, `REST_API_SCHEMA` and `REST_API_REQUIRE_IF_MATCH`,
   * with read and write access to the table.
   *
   * @default - the built-in CRUD handler (shipped with the library, prebundled)
   */
  readonly handler?: Handler;
  /**
   * Scopes a token must hold for `GET` on this resource (any one of them), with JWT authorization.
   *
   * @default - the API's `readScopes`
   */
  readonly readScopes?: string[];
  /**
   * Scopes a token must hold for `POST`, `PUT`, `PATCH` and `DELETE` on this resource (any one of
   * them), with JWT authorization.
   *
   * @default - the API's `writeScopes`
   */
  readonly writeScopes?: string[];
}

/** Props of a `ServerlessRestApi`. */
export interface ServerlessRestApiProps {
  /** The resources, each with `GET`/`POST /<name>` and `GET`/`PUT`/`PATCH`/`DELETE /<name>/{id}`. */
  readonly resources: RestResource[];
  /**
   * Who may call the routes: `ApiAuthorization.jwt({ issuer, audience })` for an OpenID Connect
   * provider such as a Cognito user pool (the usual choice, with `readScopes`/`writeScopes`),
   * `ApiAuthorization.authorizer(new HttpUserPoolAuthorizer(...))`, `ApiAuthorization.iam()`
   * (SigV4, `grantInvoke`) or, for public demos, `ApiAuthorization.none()`.
   *
   * Required: the issuer and audience of a JWT authorizer are yours, and an open API must be a
   * decision.
   */
  readonly authorization: ApiAuthorization;
  /**
   * Scopes a token must hold for every `GET` route (any one of them), e.g.
   * `['https://api.example.com/items.read']` for a Cognito resource server. JWT or user pool
   * authorization only.
   *
   * @default - any valid token may read
   */
  readonly readScopes?: string[];
  /**
   * Scopes a token must hold for every `POST`, `PUT`, `PATCH` and `DELETE` route (any one of them).
   * JWT or user pool authorization only.
   *
   * @default - any valid token may write
   */
  readonly writeScopes?: string[];
  /**
   * Origins browsers may call the API from (CORS), e.g. `['https://app.example.com']`; the
   * preflight allows the five methods, `Authorization`, `Content-Type`, `If-Match` and
   * `If-None-Match`, and exposes `ETag` and `Location`.
   *
   * @default - no CORS: only same-origin pages and non-browser clients
   */
  readonly corsAllowOrigins?: string[];
  /**
   * Refuse `PUT` and `PATCH` without `If-Match` (428 Precondition Required), so no client
   * overwrites a change it has not seen. The built-in handler applies it; a user handler reads it.
   *
   * @default true
   */
  readonly requireIfMatch?: boolean;
  /**
   * Stage throttling: steady-state requests per second, 1 to 10000.
   *
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Stage throttling: burst capacity, 1 to 5000.
   *
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * A customer-managed key for the table (the functions and `grantRead`/`grantWrite` get its use).
   *
   * @default - an AWS-managed key (`alias/aws/dynamodb`)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the table when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The alarms: `Api.ServerErrorRate` (5xx >= 1% of requests in 2 of 3 five-minute periods),
   * `Api.LatencyP99` (p99 >= 1 s in 3 five-minute periods), `Api.Throttled` (429 from stage
   * throttling >= 1% of requests in 2 of 3 five-minute periods), and per resource
   * `<Resource>.ErrorRate`, `<Resource>.Throttles` and `<Resource>.Duration` (off by default),
   * where `<Resource>` is the name in PascalCase (`order-lines` → `OrderLines`).
   *
   * @default - the alarms above, without actions
   */
  readonly alarms?: AlarmsOptions;
}

/**
 * A REST API over DynamoDB (Client → API Gateway HTTP API → Lambda → DynamoDB): each resource
 * gets list (cursor pages), get, create, replace, patch and delete routes, served by a built-in
 * CRUD handler or your own; one on-demand table (PITR, encryption) holds every resource.
 *
 * Writes are conditional: `ETag`/`If-Match` map to the record's version (412 on a stale ETag,
 * 428 without one), a create of an existing id gets 409; bodies are validated against the
 * resource's JSON Schema; every error is a JSON body, never a stack trace. Usage, routes,
 * decisions and alarms: docs/patterns/serverless-rest-api.md.
 */
export class ServerlessRestApi extends Construct {
  /** The HTTP API (API Gateway v2). */
  public readonly httpApi: apigwv2.HttpApi;
  /** The API's stage (`$default`), with access logging and throttling. */
  public readonly stage: apigwv2.HttpStage;
  /** Base URL of the API, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/`. */
  public readonly url: string;
  /** How callers are authorized: 'iam', 'jwt', 'none' or 'custom' (see `ApiAuthorization`). */
  public readonly authorizationKind: string;
  /** The access log group of the stage (JSON lines). */
  public readonly accessLogGroup: logs.LogGroup;
  /** The table of every resource: partition key `pk` (the resource name), sort key `sk` (the id). */
  public readonly table: dynamodb.Table;
  /** The functions serving the resources, in the order of `resources`. */
  public readonly functions: lambda.Function[];
  /** Every alarm of the API and its functions. */
  public readonly alarms: cloudwatch.Alarm[];
  private readonly functionsByName = new Map<string, lambda.Function>();

  constructor(scope: Construct, id: string, props: ServerlessRestApiProps) {
    super(scope, id);
    const resources = props.resources ?? [];
    validateResources(this, resources);
    validateIntegerRange(this, 'throttlingRateLimit', props.throttlingRateLimit, 1, 10_000);
    validateIntegerRange(this, 'throttlingBurstLimit', props.throttlingBurstLimit, 1, 5_000);
    const authorization = props.authorization;
    if (!authorization) {
      throw new PatternValidationError(this, 'authorization is required: ApiAuthorization.jwt({ issuer, audience }) for a user pool or another OpenID Connect provider, ApiAuthorization.iam(), or ApiAuthorization.none() for a public API');
    }
    this.authorizationKind = authorization.kind;
    validateScopes(this, 'readScopes', props.readScopes, authorization.kind);
    validateScopes(this, 'writeScopes', props.writeScopes, authorization.kind);
    resources.forEach((r, i) => {
      validateScopes(this, `resources[${i}].readScopes`, r.readScopes, authorization.kind);
      validateScopes(this, `resources[${i}].writeScopes`, r.writeScopes, authorization.kind);
    });
    const corsAllowOrigins = props.corsAllowOrigins;
    if (corsAllowOrigins) validateOrigins(this, corsAllowOrigins);
    const alarms = new PatternAlarms(this, props.alarms);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: ATTR.PK, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTR.SK, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: props.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    const authorizer = authorization._bind(this);
    const anyScopes = props.readScopes ?? props.writeScopes ?? resources.find((r) => r.readScopes ?? r.writeScopes);
    if (anyScopes && (authorizer as { authorizationType?: string }).authorizationType === 'CUSTOM') {
      throw new PatternValidationError(this, 'readScopes and writeScopes apply to JWT authorizers (API Gateway checks a token\'s scopes), but the authorizer is a Lambda authorizer: check scopes in it, and remove them here');
    }
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: `${this.node.path}: REST API over DynamoDB`,
      createDefaultStage: false,
      corsPreflight: corsAllowOrigins ? {
        allowOrigins: corsAllowOrigins,
        allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.PUT,
          apigwv2.CorsHttpMethod.PATCH, apigwv2.CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match'],
        exposeHeaders: ['etag', 'location'],
        maxAge: REST_API_DEFAULTS.corsMaxAge,
      } : undefined,
    });
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: vendedLogGroupName(this, 'apigateway'),
      retention: DEFAULTS.logRetention,
      removalPolicy: DEFAULTS.logRemovalPolicy,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? REST_API_DEFAULTS.throttlingRateLimit,
        burstLimit: props.throttlingBurstLimit ?? REST_API_DEFAULTS.throttlingBurstLimit,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: restAccessLogFormat(),
      },
    });
    this.url = this.stage.url;

    const requireIfMatch = props.requireIfMatch ?? true;
    this.functions = resources.map((resource, i) => {
      const part = pascalCase(resource.name);
      const schema = resource.schema ? JSON.stringify(resource.schema) : undefined;
      const builtIn = resource.handler === undefined;
      const handler = resource.handler ?? Handler.fromCode(bundledHandlerCode('serverless-rest-api', 'crud'), {
        handler: 'index.handler',
        // The bundle carries its Powertools logger: no layer needed.
        powertools: false,
      });
      const bound = handler._bind(this, {
        id: `${part}Function`,
        prop: `resources[${i}].handler`,
        description: `${this.node.path}: /${resource.name} routes`,
        defaultTimeout: REST_API_DEFAULTS.functionTimeout,
        defaultMemorySize: REST_API_DEFAULTS.functionMemorySize,
        environment: {
          [ENV.TABLE_NAME]: this.table.tableName,
          [ENV.RESOURCE]: resource.name,
          [ENV.ID_ATTRIBUTE]: resource.idAttribute ?? 'id',
          [ENV.REQUIRE_IF_MATCH]: String(requireIfMatch),
          ...(schema ? { [ENV.SCHEMA]: schema } : {}),
        },
        invocation: FunctionInvocation.SYNCHRONOUS,
        alarms: alarms.forPart(part),
      });
      const fn = bound.fn;
      if (builtIn) {
        // What the CRUD handler does, nothing more: GetItem (item, cursor key), PutItem (writes,
        // the cursor key once), DeleteItem, Query (pages).
        this.table.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query');
        props.encryptionKey?.grantEncryptDecrypt(fn);
      } else {
        this.table.grantReadWriteData(fn);
      }
      this.functionsByName.set(resource.name, fn);

      const integration = new apigwv2Integrations.HttpLambdaIntegration(`${part}Integration`, fn);
      const readScopes = resource.readScopes ?? props.readScopes;
      const writeScopes = resource.writeScopes ?? props.writeScopes;
      const route = (path: string, methods: apigwv2.HttpMethod[], scopes: string[] | undefined) => this.httpApi.addRoutes({
        path, methods, integration, authorizer, authorizationScopes: scopes,
      });
      route(`/${resource.name}`, [apigwv2.HttpMethod.GET], readScopes);
      route(`/${resource.name}`, [apigwv2.HttpMethod.POST], writeScopes);
      route(`/${resource.name}/{id}`, [apigwv2.HttpMethod.GET], readScopes);
      route(`/${resource.name}/{id}`, [apigwv2.HttpMethod.PUT, apigwv2.HttpMethod.PATCH, apigwv2.HttpMethod.DELETE], writeScopes);
      return fn;
    });

    acknowledgeNagFindings(this.stage, [
      { id: 'Serverless-APIGWXrayEnabled', reason: 'HTTP APIs (API Gateway v2) do not support X-Ray tracing; the resource functions trace actively' },
    ]);
    if (authorization.kind === 'none') {
      acknowledgeNagFindings(this.httpApi, [
        { id: 'AwsSolutions-APIG4', reason: 'ApiAuthorization.none() was set explicitly: the API is public by the owner\'s decision' },
      ]);
      Annotations.of(this).addWarningV2('cdk-serverless-patterns:restApiPublic',
        `${this.node.path}: ApiAuthorization.none(): anyone on the internet can create, change and delete items`);
    }

    const apiAlarms = alarms.forPart('Api');
    const fiveMinutes = Duration.minutes(5);
    const requests = this.apiMetric('Count', cloudwatch.Stats.SUM);
    apiAlarms.create(this, 'ServerErrorRateAlarm', 'ServerErrorRate', {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { errors: this.apiMetric('5xx', cloudwatch.Stats.SUM), requests },
        period: fiveMinutes,
        label: '5xx rate (%)',
      }),
      threshold: REST_API_DEFAULTS.serverErrorRatePercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `${this.node.path}: at least ${REST_API_DEFAULTS.serverErrorRatePercent}% of requests answered 5xx in 2 of the last 3 five-minute periods; see the access logs (integrationError) and the resource functions' logs`,
    });
    apiAlarms.create(this, 'LatencyP99Alarm', 'LatencyP99', {
      metric: this.apiMetric('Latency', cloudwatch.Stats.p(99)),
      threshold: REST_API_DEFAULTS.latencyP99Millis,
      evaluationPeriods: 3,
      description: `${this.node.path}: p99 latency was at least ${REST_API_DEFAULTS.latencyP99Millis} ms for 15 minutes; compare integrationLatency in the access logs with the functions' durations`,
    });
    const throttled = new logs.MetricFilter(this, 'ThrottledRequests', {
      logGroup: this.accessLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: REST_API_DEFAULTS.metricNamespace,
      metricName: 'ThrottledRequests',
      metricValue: '1',
      dimensions: { ApiId: '$.apiId' },
      unit: cloudwatch.Unit.COUNT,
    });
    apiAlarms.create(this, 'ThrottledAlarm', 'Throttled', {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * FILL(throttled, 0) / requests, 0)',
        usingMetrics: {
          throttled: throttled.metric({ dimensionsMap: { ApiId: this.httpApi.apiId }, statistic: cloudwatch.Stats.SUM, period: fiveMinutes }),
          requests,
        },
        period: fiveMinutes,
        label: 'Throttled requests (%)',
      }),
      threshold: REST_API_DEFAULTS.throttledRatePercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `${this.node.path}: stage throttling refused (429) at least ${REST_API_DEFAULTS.throttledRatePercent}% of requests in 2 of the last 3 five-minute periods; raise throttlingRateLimit/throttlingBurstLimit or find the client`,
    });
    this.alarms = alarms.alarms;
  }

  /**
   * The function serving a resource's routes.
   *
   * @param resourceName the resource's `name`
   */
  public handlerFunction(resourceName: string): lambda.Function {
    const fn = this.functionsByName.get(resourceName);
    if (!fn) {
      throw new PatternValidationError(this, `handlerFunction: no resource is named '${resourceName}'; the resources are ${[...this.functionsByName.keys()].map((n) => `'${n}'`).join(', ')}`);
    }
    return fn;
  }

  /** Lets a principal read the table directly (a report job, an export), with the key's use. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadData(grantee);
  }

  /** Lets a principal write the table directly (an import, a back-office job), with the key's use. */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantWriteData(grantee);
  }

  /** Allows a principal (a role, user or service) to call every route of an IAM-authorized API. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [Stack.of(this).formatArn({ service: 'execute-api', resource: this.httpApi.apiId, resourceName: '$default/*/*' })],
    });
  }

  /** Requests answered 5xx, per five minutes. */
  public metricServerErrors(): cloudwatch.Metric {
    return this.apiMetric('5xx', cloudwatch.Stats.SUM);
  }

  /** p99 latency of the API (ms), per five minutes. */
  public metricLatencyP99(): cloudwatch.Metric {
    return this.apiMetric('Latency', cloudwatch.Stats.p(99));
  }

  private apiMetric(metricName: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiId: this.httpApi.apiId, Stage: '$default' },
      statistic,
      period: Duration.minutes(5),
    });
  }
}

function validateResources(scope: Construct, resources: RestResource[]): void {
  if (resources.length === 0) {
    throw new PatternValidationError(scope, 'resources must name at least one resource, e.g. [{ name: \'items\' }], got none');
  }
  const seen = new Set<string>();
  resources.forEach((resource, i) => {
    const prop = `resources[${i}]`;
    if (Token.isUnresolved(resource.name) || !RESOURCE_NAME.test(resource.name)) {
      throw new PatternValidationError(scope, `${prop}.name must be 1 to 64 lowercase letters, digits and hyphens starting with a letter (it is the path segment), got '${resource.name}'`);
    }
    if (seen.has(resource.name)) {
      throw new PatternValidationError(scope, `${prop}.name '${resource.name}' is already the name of another resource: names must be unique`);
    }
    seen.add(resource.name);
    const pascal = pascalCase(resource.name);
    const clash = resources.find((other, j) => j < i && pascalCase(other.name) === pascal);
    if (clash) {
      throw new PatternValidationError(scope, `${prop}.name '${resource.name}' and '${clash.name}' both become '${pascal}' in construct ids and alarm names: rename one`);
    }
    const idAttribute = resource.idAttribute ?? 'id';
    if (!ID_ATTRIBUTE.test(idAttribute)) {
      throw new PatternValidationError(scope, `${prop}.idAttribute must be 1 to 64 letters, digits or underscores, not starting with a digit, got '${idAttribute}'`);
    }
    if (resource.schema !== undefined) validateSchema(scope, `${prop}.schema`, resource.schema, idAttribute);
  });
}

/** What can be checked of a JSON Schema without a validator at synth: its shape, its references and its size. */
function validateSchema(scope: Construct, prop: string, schema: { [key: string]: any }, idAttribute: string): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new PatternValidationError(scope, `${prop} must be a JSON Schema object, got ${Array.isArray(schema) ? 'an array' : typeof schema}`);
  }
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch (error) {
    throw new PatternValidationError(scope, `${prop} must be plain JSON (${(error as Error).message})`);
  }
  if (Token.isUnresolved(text)) {
    throw new PatternValidationError(scope, `${prop} contains tokens; the schema is checked at synth and must be literal JSON`);
  }
  const type = schema.type;
  if (type !== undefined && type !== 'object' && !(Array.isArray(type) && type.length === 1 && type[0] === 'object')) {
    throw new PatternValidationError(scope, `${prop}.type must be 'object' (items are JSON objects), got ${JSON.stringify(type)}`);
  }
  const draft = schema.$schema;
  if (draft !== undefined && !/json-schema\.org\/(draft\/2020-12|draft-07)\/schema#?$/.test(String(draft))) {
    throw new PatternValidationError(scope, `${prop}.$schema must be draft 2020-12 or draft-07 (or absent, for 2020-12), got '${draft}'`);
  }
  if (Array.isArray(schema.required) && schema.required.includes(idAttribute)) {
    throw new PatternValidationError(scope, `${prop}.required lists '${idAttribute}', the id member, which is not part of what is validated (it comes from the path or is generated): remove it`);
  }
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, `${at}/${i}`));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && (typeof value !== 'string' || !value.startsWith('#'))) {
          throw new PatternValidationError(scope, `${prop}: $ref at ${at || '/'} must point inside the schema ('#/$defs/...'), got '${value}'; remote schemas are not fetched`);
        }
        walk(value, `${at}/${key}`);
      }
    }
  };
  walk(schema, '');
  const bytes = Buffer.byteLength(text);
  if (bytes > REST_API_DEFAULTS.maxSchemaBytes) {
    throw new PatternValidationError(scope, `${prop} must be at most ${REST_API_DEFAULTS.maxSchemaBytes} bytes as JSON (it is passed in an environment variable, and Lambda allows 4 KB in total), got ${bytes}`);
  }
}

function validateScopes(scope: Construct, prop: string, scopes: string[] | undefined, kind: string): void {
  if (scopes === undefined) return;
  if (kind !== 'jwt' && kind !== 'custom') {
    throw new PatternValidationError(scope, `${prop} apply to JWT authorization (ApiAuthorization.jwt or a user pool authorizer), but authorization is '${kind}': remove them`);
  }
  if (scopes.length === 0) {
    throw new PatternValidationError(scope, `${prop} must name at least one scope, or be left out for none`);
  }
  for (const s of scopes) {
    if (!Token.isUnresolved(s) && !SCOPE.test(s)) {
      throw new PatternValidationError(scope, `${prop}: a scope is 1 to 256 visible characters without spaces, got '${s}'`);
    }
  }
}

function validateOrigins(scope: Construct, origins: string[]): void {
  if (origins.length === 0) {
    throw new PatternValidationError(scope, 'corsAllowOrigins must list at least one origin (e.g. \'https://app.example.com\'), or be left out for no CORS');
  }
  for (const origin of origins) {
    if (Token.isUnresolved(origin)) continue;
    if (origin === '*') {
      if (origins.length > 1) throw new PatternValidationError(scope, 'corsAllowOrigins: \'*\' allows every origin; list origins or give \'*\' alone');
      continue;
    }
    if (!ORIGIN.test(origin)) {
      throw new PatternValidationError(scope, `corsAllowOrigins: an origin is a scheme and host without a path, e.g. 'https://app.example.com' or 'http://localhost:3000', got '${origin}'`);
    }
  }
}

/** `order-lines` → `OrderLines`: the resource's part in construct ids and alarm names. */
function pascalCase(name: string): string {
  return name.split('-').filter((s) => s.length > 0).map((s) => s[0].toUpperCase() + s.slice(1)).join('');
}

/** JSON access logs (cdk-nag Serverless-APIGWStructuredLogging); `status` and `apiId` feed the throttled-requests metric. */
function restAccessLogFormat(): apigateway.AccessLogFormat {
  return apigateway.AccessLogFormat.custom(JSON.stringify({
    apiId: '$context.apiId',
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    principal: '$context.authorizer.claims.sub',
    iamCaller: '$context.identity.userArn',
    latency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationStatus: '$context.integrationStatus',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    responseLength: '$context.responseLength',
  }));
}
