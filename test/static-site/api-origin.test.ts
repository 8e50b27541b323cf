/**
 * StaticSite in front of an AsyncHttpApi, end to end as far as it runs here: the synthesized
 * CloudFront behaviour and origin, the synthesized prefix-stripping CloudFront Function executed
 * in `vm` against viewer requests, the rewritten paths matched against the API's route keys, and
 * the real submit and status handlers (dynalite, fauxqs) invoked with the rewritten path and the
 * event a JWT authorizer produces. Not run: CloudFront itself and API Gateway's JWT verification.
 */
import * as path from 'path';
import * as vm from 'vm';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ApiAuthorization, AsyncHttpApi, Handler, StaticSite } from '../../src';
import { jobStatus } from '../../src/async-http-api/runtime/status.handler';
import { submitJob } from '../../src/async-http-api/runtime/submit.handler';
import { httpApiEvent } from '../fixtures/events';
import { RunningEmulator, startDynalite, startFauxqs } from '../helpers/emulators';
import { createJobPipeline } from '../helpers/job-pipeline';

const SITE = path.join(__dirname, '..', '..', 'examples', 'static-site', 'site');
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
type ViewerRequest = { uri: string; method: string; querystring: Record<string, unknown>; headers: Record<string, { value: string }> };

function compose(apiPathPattern?: string) {
  const stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
  const jobs = new AsyncHttpApi(stack, 'Jobs', {
    worker: Handler.fromCode(lambda.Code.fromInline('exports.handler = async () => {}'), { handler: 'index.handler' }),
    authorization: ApiAuthorization.jwt({ issuer: ISSUER, audience: ['web-client'] }),
  });
  const site = new StaticSite(stack, 'Site', { sourcePath: SITE, singlePageApp: true, apiOrigin: jobs.httpApi, apiPathPattern });
  return { stack, jobs, site, template: Template.fromStack(stack) };
}

/** Loads the CloudFront Function code as synthesized (prefix included) and returns its handler. */
function synthesizedFunction(template: Template, logicalId: string): (event: { request: ViewerRequest }) => ViewerRequest {
  const code = template.toJSON().Resources[logicalId].Properties.FunctionCode as string;
  return vm.runInNewContext(`${code}\nhandler;`, {});
}

/** The route key of the API that an (already rewritten) request matches, as API Gateway selects it. */
function matchingRoute(template: Template, method: string, uri: string): { routeKey: string; pathParameters?: Record<string, string> } | undefined {
  const keys = Object.values<Json>(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey as string);
  for (const routeKey of keys) {
    const [m, pattern] = routeKey.split(' ');
    if (m !== method) continue;
    const names: string[] = [];
    const regex = new RegExp(`^${pattern.replace(/\{(\w+)\}/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
    const match = regex.exec(uri);
    if (match) return { routeKey, pathParameters: names.length ? Object.fromEntries(names.map((n, i) => [n, match[i + 1]])) : undefined };
  }
  return undefined;
}

describe('StaticSite apiOrigin + AsyncHttpApi with a JWT authorizer: synthesized', () => {
  test('the API behaviour: no caching, every viewer header but Host (Authorization included), the prefix-stripping function on viewer requests', () => {
    const { stack, site, template } = compose();
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [Match.objectLike({
          PathPattern: '/api/*',
          CachePolicyId: CACHING_DISABLED,
          OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
          AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
          FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: stack.resolve(site.apiPrefixFunction!.functionArn) }],
        })],
      }),
    });
  });

  test('the API origin is the HTTP API\'s execute-api domain, over HTTPS, with no origin path', () => {
    const { stack, jobs, template } = compose();
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: Match.arrayWith([Match.objectLike({
          DomainName: { 'Fn::Join': ['', [stack.resolve(jobs.httpApi.apiId), '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] },
          CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }),
          OriginPath: Match.absent(),
        })]),
      }),
    });
  });

  test('both API routes use a JWT authorizer reading the Authorization header, with the issuer and audience', () => {
    const { jobs, template } = compose();
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: ISSUER, Audience: ['web-client'] },
    });
    for (const routeKey of ['POST /jobs', 'GET /jobs/{jobId}']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'JWT', AuthorizerId: Match.anyValue() });
    }
    expect(jobs.authorizationKind).toBe('jwt');
  });
});

describe('the synthesized prefix-stripping CloudFront Function', () => {
  const { template, site, stack } = compose();
  const handler = synthesizedFunction(template, stack.getLogicalId(site.apiPrefixFunction!.node.defaultChild as never));
  const viewer = (uri: string, method = 'GET'): ViewerRequest => ({
    uri, method, querystring: { wait: { value: '1' } } as Record<string, unknown>, headers: { authorization: { value: 'Bearer eyJ.x.y' }, host: { value: 'd111.cloudfront.net' } },
  });

  test.each([
    ['/api/jobs', '/jobs'],
    ['/api/jobs/0b7c1a6e-2f39-4c8e-9d51-7a2f0c3e4b5d', '/jobs/0b7c1a6e-2f39-4c8e-9d51-7a2f0c3e4b5d'],
    ['/api', '/'],
    ['/api/', '/'],
  ])('%s reaches the API as %s', (uri, expected) => {
    expect(handler({ request: viewer(uri) }).uri).toBe(expected);
  });

  test('keeps the method, query string and the Authorization header', () => {
    const request = handler({ request: viewer('/api/jobs', 'POST') });
    expect(request).toEqual({ ...viewer('/jobs', 'POST') });
  });

  test('every path the site\'s JavaScript calls lands on an API route after the rewrite (404 on main: /api/jobs matched no route)', () => {
    expect(matchingRoute(template, 'POST', handler({ request: viewer('/api/jobs', 'POST') }).uri)?.routeKey).toBe('POST /jobs');
    expect(matchingRoute(template, 'GET', handler({ request: viewer('/api/jobs/abc') }).uri)).toEqual({ routeKey: 'GET /jobs/{jobId}', pathParameters: { jobId: 'abc' } });
    expect(matchingRoute(template, 'POST', '/api/jobs')).toBeUndefined();
  });

  test('a longer prefix is stripped whole', () => {
    const custom = compose('/v1/api/*');
    const strip = synthesizedFunction(custom.template, custom.stack.getLogicalId(custom.site.apiPrefixFunction!.node.defaultChild as never));
    expect(strip({ request: viewer('/v1/api/jobs') }).uri).toBe('/jobs');
    expect(strip({ request: viewer('/v1/apix/jobs') }).uri).toBe('/v1/apix/jobs');
  });
});

describe('through CloudFront to the real handlers, with a JWT-authorized caller', () => {
  let emulators: RunningEmulator[];
  beforeAll(async () => {
    emulators = await Promise.all([startFauxqs(), startDynalite()]);
  });
  afterAll(async () => Promise.all(emulators.map((e) => e.stop())));

  const { template, site, stack } = compose();
  const strip = synthesizedFunction(template, stack.getLogicalId(site.apiPrefixFunction!.node.defaultChild as never));

  /** The event API Gateway gives the handler for a viewer request that went through CloudFront and the JWT authorizer. */
  function throughCloudFront(method: string, viewerUri: string, claims: Record<string, string>, body?: string): APIGatewayProxyEventV2 {
    const uri = strip({ request: { uri: viewerUri, method, querystring: {}, headers: {} } }).uri;
    const route = matchingRoute(template, method, uri);
    if (!route) throw new Error(`${method} ${uri}: no route (API Gateway answers 404)`);
    const event = httpApiEvent({ method, path: uri, routeKey: route.routeKey, pathParameters: route.pathParameters, body, headers: { 'content-type': 'application/json', 'authorization': 'Bearer eyJ.x.y' } });
    (event.requestContext as Json).authorizer = { jwt: { claims: { ...claims, aud: 'web-client' }, scopes: null } };
    return event;
  }

  test('a browser user submits at /api/jobs and reads its job at /api/jobs/{jobId} through the rewrite; another user gets 404', async () => {
    // GIVEN
    const pipeline = await createJobPipeline(3);
    const alice = { iss: ISSUER, sub: 'alice-sub' };
    // WHEN
    const accepted = await submitJob(throughCloudFront('POST', '/api/jobs', alice, '{"report":"q3"}'), pipeline.config, pipeline.store, new SQSClient({}));
    const { jobId } = JSON.parse(accepted.body!);
    const own = await jobStatus(throughCloudFront('GET', `/api/jobs/${jobId}`, alice), pipeline.store);
    const bobs = await jobStatus(throughCloudFront('GET', `/api/jobs/${jobId}`, { iss: ISSUER, sub: 'bob-sub' }), pipeline.store);
    const sameSubOtherIssuer = await jobStatus(throughCloudFront('GET', `/api/jobs/${jobId}`, { iss: 'https://other.example.com', sub: 'alice-sub' }), pipeline.store);
    // THEN
    expect(accepted.statusCode).toBe(202);
    expect(own.statusCode).toBe(200);
    expect(JSON.parse(own.body!)).toMatchObject({ jobId, status: 'PENDING' });
    expect(await pipeline.store.get(jobId)).toMatchObject({ owner: `${ISSUER}|alice-sub` });
    expect([bobs.statusCode, sameSubOtherIssuer.statusCode]).toEqual([404, 404]);
    expect(JSON.parse(bobs.body!).error).toBe('JobNotFound');
  });
});

describe('API origin and authorization: invalid props', () => {
  const stack = () => new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
  const worker = Handler.fromCode(lambda.Code.fromInline('exports.handler = async () => {}'), { handler: 'index.handler' });

  test.each(['/api*', '/*', 'api/*', '/api/*/x', '/a pi/*'])('fails for apiPathPattern %s, naming the prop and the allowed form', (apiPathPattern) => {
    const s = stack();
    expect(() => new StaticSite(s, 'Site', { sourcePath: SITE, apiOrigin: new apigwv2.HttpApi(s, 'Api'), apiPathPattern }))
      .toThrow(/apiPathPattern must be a fixed path prefix followed by \/\* \(e\.g\. '\/api\/\*', '\/v1\/api\/\*'\), got/);
  });

  test('fails for apiPathPattern or stripApiPathPrefix without apiOrigin', () => {
    expect(() => new StaticSite(stack(), 'Site', { sourcePath: SITE, apiPathPattern: '/api/*' })).toThrow(/apiPathPattern needs apiOrigin/);
    expect(() => new StaticSite(stack(), 'Site', { sourcePath: SITE, stripApiPathPrefix: false })).toThrow(/stripApiPathPrefix needs apiOrigin/);
  });

  test('stripApiPathPrefix: false leaves the path as it is (no function on the API behaviour)', () => {
    const s = stack();
    const site = new StaticSite(s, 'Site', { sourcePath: SITE, apiOrigin: new apigwv2.HttpApi(s, 'Api'), stripApiPathPrefix: false });
    expect(site.apiPrefixFunction).toBeUndefined();
    Template.fromStack(s).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ CacheBehaviors: [Match.objectLike({ PathPattern: '/api/*', FunctionAssociations: Match.absent() })] }),
    });
  });

  test('fails for a JWT issuer that is not an https URL, and for no audience', () => {
    expect(() => new AsyncHttpApi(stack(), 'Jobs', { worker, authorization: ApiAuthorization.jwt({ issuer: 'http://issuer.example.com', audience: ['a'] }) }))
      .toThrow(/authorization: ApiAuthorization.jwt issuer must be an https:\/\/ URL \(the OpenID Connect issuer\), got 'http:\/\/issuer.example.com'/);
    expect(() => new AsyncHttpApi(stack(), 'Jobs', { worker, authorization: ApiAuthorization.jwt({ issuer: ISSUER, audience: [] }) }))
      .toThrow(/authorization: ApiAuthorization.jwt audience must name at least one audience/);
  });

  test('defaults to IAM authorization; one ApiAuthorization value serves two APIs', () => {
    const s = stack();
    const auth = ApiAuthorization.jwt({ issuer: ISSUER, audience: ['a'] });
    expect(new AsyncHttpApi(s, 'Iam', { worker }).authorizationKind).toBe('iam');
    new AsyncHttpApi(s, 'A', { worker, authorization: auth });
    new AsyncHttpApi(s, 'B', { worker, authorization: auth });
    Template.fromStack(s).resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
    Template.fromStack(s).hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /jobs', AuthorizationType: 'AWS_IAM' });
  });
});
