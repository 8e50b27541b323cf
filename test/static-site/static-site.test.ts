import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { PrivateContent, StaticSite, StaticSiteProps } from '../../src';
import { nagErrors } from '../helpers/nag';

const SITE = path.join(__dirname, '..', '..', 'examples', 'static-site', 'site');
const PUBLIC_KEY = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

function build(props: Partial<StaticSiteProps> = {}, stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } })) {
  const site = new StaticSite(stack, 'Docs', { sourcePath: SITE, ...props });
  return { stack, site, template: Template.fromStack(stack) };
}

function usEast1Certificate(stack: Stack) {
  return acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc');
}

describe('StaticSite infrastructure', () => {
  test('a private, encrypted, TLS-only, versioned bucket with access logs, never website hosting', () => {
    const { stack, site, template } = build();
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: stack.resolve(site.accessLogsBucket.bucketName), LogFilePrefix: 's3/' },
      WebsiteConfiguration: Match.absent(),
    });
  });

  test('a site on CloudFront\'s default certificate synthesizes without warnings (no ignored minimumProtocolVersion)', () => {
    // GIVEN / WHEN a site without a domain
    const { stack } = build();
    // THEN
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('served only through CloudFront with Origin Access Control (no OAI)', () => {
    const { stack, site, template } = build();
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: stack.resolve(site.bucket.bucketName),
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:GetObject',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
        })]),
      },
    });
  });

  test('HTTPS redirect, HTTP/2 and HTTP/3, default root object, price class 100, access logs', () => {
    const { stack, site, template } = build();
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', Compress: true }),
        HttpVersion: 'http2and3',
        DefaultRootObject: 'index.html',
        PriceClass: 'PriceClass_100',
        Logging: { Bucket: stack.resolve(site.accessLogsBucket.bucketRegionalDomainName), Prefix: 'cloudfront/' },
      }),
    });
  });

  test('a security headers policy: HSTS 2 years with preload, nosniff, DENY, referrer policy, CSP', () => {
    const { template } = build({ contentSecurityPolicy: "default-src 'self'" });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Preload: true, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
          XSSProtection: { Protection: true, ModeBlock: true, Override: true },
          ContentSecurityPolicy: { ContentSecurityPolicy: "default-src 'self'", Override: true },
        },
      }),
    });
  });

  test('without singlePageApp a CloudFront Function (the shipped file) rewrites directory URLs on viewer requests', () => {
    const { stack, site, template } = build();
    const code = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'static-site', 'runtime', 'directory-index.js'), 'utf8');
    template.hasResourceProperties('AWS::CloudFront::Function', { FunctionConfig: { Runtime: 'cloudfront-js-2.0', Comment: Match.anyValue() }, FunctionCode: code });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({ FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: stack.resolve(site.directoryIndexFunction!.functionArn) }] }),
        CustomErrorResponses: Match.absent(),
      }),
    });
  });

  test('singlePageApp answers 403 and 404 with /index.html and 200, without the rewrite function', () => {
    const { site, template } = build({ singlePageApp: true });
    expect(site.directoryIndexFunction).toBeUndefined();
    template.resourceCountIs('AWS::CloudFront::Function', 0);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CustomErrorResponses: [
          { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
          { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
        ],
      }),
    });
  });

  test('hashed assets are deployed immutable for a year, other files for an hour, HTML with no-cache last, with an invalidation', () => {
    const { stack, site, template } = build();
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      Exclude: ['*'],
      Include: ['assets/app.7e3d91a0.js', 'assets/site.4f9a2c1b.css'],
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      Exclude: ['*.html', 'assets/app.7e3d91a0.js', 'assets/site.4f9a2c1b.css'],
      SystemMetadata: { 'cache-control': 'public, max-age=3600' },
    });
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      Include: ['*.html'],
      SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionId: stack.resolve(site.distribution.distributionId),
      DistributionPaths: ['/*'],
    });
    const html = template.findResources('Custom::CDKBucketDeployment', { Properties: { Include: ['*.html'] } });
    expect(Object.values(html)[0].DependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^DocsDeployHashedAssets/), expect.stringMatching(/^DocsDeployOtherFiles/),
    ]));
    expect(site.deployments).toHaveLength(3);
    expect(site.deployment).toBe(site.deployments[2]);
  });

  test('one AWS CLI layer per stack, the one the deployment function uses (BucketDeployment makes one per deployment; the singleton keeps the first)', () => {
    // GIVEN two sites (six deployments) in one stack
    const stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
    new StaticSite(stack, 'Docs', { sourcePath: SITE });
    new StaticSite(stack, 'Blog', { sourcePath: SITE });
    // THEN
    const template = Template.fromStack(stack);
    const layers = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    expect(layers).toHaveLength(1);
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.map((f) => f.Properties.Layers)).toEqual([[{ Ref: layers[0] }]]);
    template.resourceCountIs('Custom::CDKBucketDeployment', 6);
  });

  test('a custom domain: certificate, TLS 1.2_2021, A and AAAA alias records, url on the domain', () => {
    const stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' });
    const { site, template } = build({ domainNames: ['www.example.com'], certificate: usEast1Certificate(stack), hostedZone }, stack);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['www.example.com'],
        ViewerCertificate: { AcmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
      }),
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'www.example.com.', Type: 'A', AliasTarget: Match.anyValue() });
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'www.example.com.', Type: 'AAAA', AliasTarget: Match.anyValue() });
    expect(site.url).toBe('https://www.example.com');
  });

  test('an API origin is served under /api/* with caching disabled and all viewer headers but Host', () => {
    const stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
    const api = new apigwv2.HttpApi(stack, 'Api');
    build({ apiOrigin: api }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [Match.objectLike({
          PathPattern: '/api/*',
          AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
          ViewerProtocolPolicy: 'https-only',
        })],
      }),
    });
  });

  test('private content with an existing key group: trusted on the private path, no key created', () => {
    // GIVEN an existing key group
    const stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
    const keyGroup = cloudfront.KeyGroup.fromKeyGroupId(stack, 'Shared', 'kg-123');
    // WHEN
    const { site, template } = build({ privateContent: PrivateContent.fromKeyGroup('/premium/*', keyGroup) }, stack);
    // THEN
    template.resourceCountIs('AWS::CloudFront::PublicKey', 0);
    template.resourceCountIs('AWS::CloudFront::KeyGroup', 0);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ CacheBehaviors: [Match.objectLike({ PathPattern: '/premium/*', TrustedKeyGroups: ['kg-123'] })] }),
    });
    expect(site.keyGroup).toBe(keyGroup);
    expect(site.publicKey).toBeUndefined();
  });

  test('private content with a public key exposes the public key (its id is the key pair id) and its key group', () => {
    const { stack, site, template } = build({ privateContent: PrivateContent.withPublicKey('/premium/*', PUBLIC_KEY) });
    expect(site.publicKey).toBeDefined();
    template.hasResourceProperties('AWS::CloudFront::PublicKey', { PublicKeyConfig: Match.objectLike({ EncodedKey: PUBLIC_KEY }) });
    template.hasResourceProperties('AWS::CloudFront::KeyGroup', { KeyGroupConfig: Match.objectLike({ Items: [stack.resolve(site.publicKey!.publicKeyId)] }) });
  });

  test('private content: a key group from the public key, required on the private path only', () => {
    const { stack, site, template } = build({ privateContent: PrivateContent.withPublicKey('/premium/*', PUBLIC_KEY) });
    template.resourceCountIs('AWS::CloudFront::PublicKey', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CacheBehaviors: [Match.objectLike({ PathPattern: '/premium/*', TrustedKeyGroups: [stack.resolve(site.keyGroup!.keyGroupId)] })],
        DefaultCacheBehavior: Match.objectLike({ TrustedKeyGroups: Match.absent() }),
      }),
    });
  });

  test('a WAF web ACL is attached when given', () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/abc';
    build({ webAclArn: arn }).template.hasResourceProperties('AWS::CloudFront::Distribution', { DistributionConfig: Match.objectLike({ WebACLId: arn }) });
  });

  test('passes the cdk-nag gate (AwsSolutions + Serverless) with 0 errors, SPA or not, with a domain', () => {
    expect(nagErrors(build().stack)).toEqual([]);
    expect(nagErrors(build({ singlePageApp: true }).stack)).toEqual([]);
    const stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
    build({ domainNames: ['www.example.com'], certificate: usEast1Certificate(stack) }, stack);
    expect(nagErrors(stack)).toEqual([]);
  });
});

describe('StaticSite physical names', () => {
  test('names its account-wide CloudFront resources with the region, so the same stack deploys in a second region', () => {
    // GIVEN the same stack in two regions (two apps), with private content (key group, public key)
    const names = ['eu-west-1', 'us-east-1'].map((region) => {
      const stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region } });
      const { template } = build({ privateContent: PrivateContent.withPublicKey('/premium/*', PUBLIC_KEY) }, stack);
      const name = (type: string, config: string) => Object.values(template.findResources(type)).map((r) => r.Properties[config].Name);
      return [
        ...name('AWS::CloudFront::ResponseHeadersPolicy', 'ResponseHeadersPolicyConfig'),
        ...name('AWS::CloudFront::OriginAccessControl', 'OriginAccessControlConfig'),
        ...name('AWS::CloudFront::KeyGroup', 'KeyGroupConfig'),
        ...name('AWS::CloudFront::PublicKey', 'PublicKeyConfig'),
      ];
    });
    // THEN
    expect(names[0]).toEqual([
      expect.stringMatching(/^eu-west-1-Web-Docs-[0-9A-F]{8}-SecurityHeaders$/),
      expect.stringMatching(/^eu-west-1-Web-Docs-[0-9A-F]{8}-OAC$/),
      expect.stringMatching(/^eu-west-1-Web-Docs-[0-9A-F]{8}-KeyGroup$/),
      expect.stringMatching(/^eu-west-1-Web-Docs-[0-9A-F]{8}-PublicKey$/),
    ]);
    expect(names[1].map((n) => n.replace('us-east-1', 'eu-west-1'))).toEqual(names[0]);
    expect(names[0].find((n) => n.endsWith('-OAC'))!.length).toBeLessThanOrEqual(64);
  });

  test('in a stack without a region, the names carry AWS::Region', () => {
    const { template } = build({}, new Stack());
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: { Name: { 'Fn::Join': ['', [{ Ref: 'AWS::Region' }, '-Docs-SecurityHeaders']] } },
    });
  });
});

describe('StaticSite validation', () => {
  test('fails for a source folder that does not exist', () => {
    expect(() => build({ sourcePath: '/no/such/dir' })).toThrow(/sourcePath must be a folder of the built site, got '\/no\/such\/dir', which does not exist/);
  });

  test('fails for a source folder without the index document', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'site-'));
    fs.writeFileSync(path.join(dir, 'app.js'), '');
    expect(() => build({ sourcePath: dir })).toThrow(/holds no index.html \(the index document\)/);
  });

  test('fails for a certificate outside us-east-1, with the reason', () => {
    const stack = new Stack(undefined, 'Web', { env: { account: '123456789012', region: 'eu-west-1' } });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc');
    expect(() => build({ domainNames: ['www.example.com'], certificate }, stack))
      .toThrow(/certificate must be in us-east-1, because CloudFront only uses certificates from us-east-1; got one in eu-west-1/);
  });

  test('fails for domain names without a certificate', () => {
    expect(() => build({ domainNames: ['www.example.com'] })).toThrow(/domainNames need a certificate \(in us-east-1\)/);
  });

  test('fails for private content given as v0.1\'s plain object, naming the union\'s factories', () => {
    const v01 = { pathPattern: '/premium/*', publicKeyPem: PUBLIC_KEY } as unknown as PrivateContent;
    expect(() => build({ privateContent: v01 }))
      .toThrow(/privateContent must be PrivateContent.withPublicKey\(pathPattern, publicKeyPem\) or PrivateContent.fromKeyGroup\(pathPattern, keyGroup\), got a plain object/);
  });

  test('fails for a public key that is not a PEM public key', () => {
    expect(() => build({ privateContent: PrivateContent.withPublicKey('/premium/*', 'ssh-rsa AAAA') }))
      .toThrow(/PrivateContent.withPublicKey needs a PEM public key \(-----BEGIN PUBLIC KEY-----\)/);
  });

  test('fails for private content over the whole site', () => {
    expect(() => build({ privateContent: PrivateContent.withPublicKey('/*', PUBLIC_KEY) })).toThrow(/pathPattern must start with \/ and not be \/\*/);
  });
});

describe('StaticSite in an opt-in Region (CloudFront standard logs)', () => {
  const stackIn = (region: string) => new Stack(undefined, 'Web', { env: { account: '123456789012', region } });

  test.each(['af-south-1', 'ap-east-1', 'me-south-1', 'eu-south-1'])('fails in %s without cloudFrontLogsBucket, saying why and what to give', (region) => {
    expect(() => build({}, stackIn(region)))
      .toThrow(new RegExp(`CloudFront does not deliver standard logs to S3 buckets in ${region} \\(an opt-in Region\\); give cloudFrontLogsBucket: a bucket in another Region`));
  });

  test('sends the CloudFront logs to a bucket in another Region; the S3 access logs stay in the stack\'s Region', () => {
    const stack = stackIn('af-south-1');
    const logs = s3.Bucket.fromBucketAttributes(stack, 'UsEast1Logs', { bucketName: 'site-logs-us-east-1', region: 'us-east-1' });
    const { site, template } = build({ cloudFrontLogsBucket: logs }, stack);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Logging: { Bucket: 'site-logs-us-east-1.s3.us-east-1.amazonaws.com', Prefix: 'cloudfront/' } }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: stack.resolve(site.accessLogsBucket.bucketName), LogFilePrefix: 's3/' } });
    expect(site.cloudFrontLogsBucket).toBe(logs);
  });

  test('fails for a cloudFrontLogsBucket that is itself in an opt-in Region', () => {
    const stack = stackIn('eu-west-1');
    const logs = s3.Bucket.fromBucketAttributes(stack, 'Logs', { bucketName: 'logs-bahrain', region: 'me-south-1' });
    expect(() => build({ cloudFrontLogsBucket: logs }, stack)).toThrow(/cloudFrontLogsBucket must be in a Region CloudFront delivers standard logs to, got a bucket in me-south-1/);
  });

  test('keeps the logs in the stack\'s own bucket in a Region CloudFront delivers to, and warns in a stack without a Region', () => {
    const { stack, site, template } = build({}, stackIn('eu-west-1'));
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Logging: { Bucket: stack.resolve(site.accessLogsBucket.bucketRegionalDomainName), Prefix: 'cloudfront/' } }),
    });
    const agnostic = new Stack(undefined, 'Agnostic');
    build({}, agnostic);
    Annotations.fromStack(agnostic).hasWarning('*', Match.stringLikeRegexp('the stack has no Region, so the CloudFront logs bucket\'s Region cannot be checked'));
  });
});

describe('StaticSite alarms and metrics (CloudFront metrics are in us-east-1)', () => {
  const stackIn = (region: string) => new Stack(undefined, 'Web', { env: { account: '123456789012', region } });

  test('in us-east-1: Distribution.5xxErrorRate, >= 5% in 2 of 3 five-minute periods, on the metric CloudFront publishes (DistributionId + Region Global)', () => {
    // GIVEN / WHEN
    const stack = stackIn('us-east-1');
    const topic = new sns.Topic(stack, 'Alarms');
    const { site, template } = build({ alarms: { topic } }, stack);
    // THEN
    expect(site.alarms).toHaveLength(1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/CloudFront',
      MetricName: '5xxErrorRate',
      Statistic: 'Average',
      Period: 300,
      Dimensions: Match.arrayWith([{ Name: 'DistributionId', Value: stack.resolve(site.distribution.distributionId) }, { Name: 'Region', Value: 'Global' }]),
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [stack.resolve(topic.topicArn)],
    });
  });

  test('an override changes the alarm; an unknown alarm name fails, listing the names', () => {
    const { template } = build({ alarms: { overrides: { 'Distribution.5xxErrorRate': { threshold: 1 } } } }, stackIn('us-east-1'));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xxErrorRate', Threshold: 1 });
    const stack = stackIn('us-east-1');
    new StaticSite(stack, 'Docs', { sourcePath: SITE, alarms: { overrides: { 'Distribution.Errors': { threshold: 1 } } } });
    expect(() => Template.fromStack(stack)).toThrow(/alarms.overrides names 'Distribution.Errors', which this construct does not have; its alarms are 'Distribution.5xxErrorRate'/);
  });

  test('outside us-east-1 there is no alarm, and options that would act on one fail, saying why and what to do', () => {
    // GIVEN / WHEN a site in eu-west-1
    const { site, template } = build({}, stackIn('eu-west-1'));
    // THEN
    expect(site.alarms).toEqual([]);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    const stack = stackIn('eu-west-1');
    const topic = new sns.Topic(stack, 'Alarms');
    expect(() => build({ alarms: { topic } }, stack))
      .toThrow(/alarms.topic cannot apply: a StaticSite creates its alarm \(Distribution.5xxErrorRate\) only in a us-east-1 stack, because CloudFront publishes its metrics in us-east-1 only.*this site is in a stack in eu-west-1/);
    expect(() => build({ alarms: { overrides: { 'Distribution.5xxErrorRate': { threshold: 1 } } } }, stackIn('eu-west-1')))
      .toThrow(/alarms.overrides\['Distribution.5xxErrorRate'\] cannot apply/);
    expect(build({ alarms: { enabled: false } }, stackIn('eu-west-1')).site.alarms).toEqual([]);
  });

  test('the metrics carry us-east-1 and the Region: Global dimension, so a us-east-1 stack can alarm on them', () => {
    const { stack, site } = build({}, stackIn('eu-west-1'));
    for (const [metric, name, statistic] of [[site.metric5xxErrorRate(), '5xxErrorRate', 'Average'], [site.metric4xxErrorRate(), '4xxErrorRate', 'Average'], [site.metricRequests(), 'Requests', 'Sum']] as const) {
      expect(metric.region).toBe('us-east-1');
      expect(metric.metricName).toBe(name);
      expect(metric.statistic).toBe(statistic);
      expect(stack.resolve(metric.dimensions)).toEqual({ DistributionId: stack.resolve(site.distribution.distributionId), Region: 'Global' });
    }
  });
});
