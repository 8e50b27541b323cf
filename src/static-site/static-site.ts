import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { PrivateContent } from './private-content';
import { PatternAlarms } from '../core/alarm-factory';
import { AlarmsOptions } from '../core/alarms';
import { createAccessLogsBucket, NONCURRENT_VERSION_EXPIRATION, PRIVATE_BUCKET_PROPS } from '../core/buckets';
import { DEFAULTS } from '../core/defaults';
import { PatternValidationError } from '../core/errors';
import { acknowledgeNagFindings, wildcardFindingsOf } from '../core/nag';
import { regionalName } from '../core/names';

/** Defaults of StaticSite, with their reasons. */
const STATIC_SITE_DEFAULTS = {
  /** A strict policy for a site that serves its own scripts and styles. */
  contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    + "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  /** HSTS for two years with subdomains, the preload list's requirement. */
  hstsMaxAge: Duration.days(730),
  /** Hashed assets never change under their name. */
  hashedAssetCacheControl: 'public, max-age=31536000, immutable',
  /** HTML must be revalidated so a deployment shows at once. */
  htmlCacheControl: 'no-cache',
  /** Everything else (favicon, robots.txt, unhashed images): an hour. */
  otherCacheControl: 'public, max-age=3600',
  /** File names with a content hash: `app.3f2a9c1b.js`, `index-B4xq7Yc2.js` (8+ characters, at least one digit). */
  hashedFileName: /[.-](?=[A-Za-z0-9_]*\d)[A-Za-z0-9_]{8,}\.[A-Za-z0-9]+$/,
  /** The deployment function copies the whole site: more memory, more network throughput. */
  deploymentMemoryLimit: 1024,
  /**
   * `Distribution.5xxErrorRate`: 5% of requests answered 5xx, averaged over 5 minutes, in 2 of 3
   * periods: an origin that keeps failing (S3, the API), not one failed request a reload absorbs.
   */
  errorRateThreshold: 5,
  errorRateEvaluationPeriods: 3,
  errorRateDatapointsToAlarm: 2,
} as const;

/** CloudFront publishes its metrics in us-east-1 only, with the dimension `Region: Global`. */
const CLOUDFRONT_METRICS_REGION = 'us-east-1';

/**
 * Regions whose S3 buckets CloudFront does not deliver standard logs to (the opt-in Regions; see
 * "Choosing an Amazon S3 bucket for your standard logs" in the CloudFront Developer Guide).
 */
const CLOUDFRONT_LOGS_UNSUPPORTED_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5',
  'ap-southeast-6', 'ap-southeast-7', 'ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1',
  'me-central-1', 'me-south-1', 'mx-central-1',
];

/** Props of a `StaticSite`. */
export interface StaticSiteProps {
  /** The local folder to deploy (e.g. `site/dist`); must exist and hold the index document. */
  readonly sourcePath: string;
  /**
   * The index document, served for `/` and (without `singlePageApp`) for directory URLs.
   *
   * @default 'index.html'
   */
  readonly indexDocument?: string;
  /**
   * A single-page app: 403 and 404 from the bucket answer `/index.html` with 200, so the app's
   * router handles deep links. Otherwise a CloudFront Function maps `/docs/` and `/docs` to
   * `/docs/index.html`.
   *
   * @default false
   */
  readonly singlePageApp?: boolean;
  /**
   * Custom domain names; needs `certificate`.
   *
   * @default - the distribution's `*.cloudfront.net` name
   */
  readonly domainNames?: string[];
  /**
   * The certificate of `domainNames`; it must be in us-east-1 (CloudFront's requirement).
   *
   * @default - none
   */
  readonly certificate?: acm.ICertificate;
  /**
   * A hosted zone in which A and AAAA alias records are created for every domain name.
   *
   * @default - no DNS records
   */
  readonly hostedZone?: route53.IHostedZone;
  /**
   * The price class (edge locations used).
   *
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;
  /**
   * The Content-Security-Policy header.
   *
   * @default - "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
   */
  readonly contentSecurityPolicy?: string;
  /**
   * The ARN of an AWS WAF web ACL (scope CLOUDFRONT, in us-east-1) to attach.
   *
   * @default - no WAF
   */
  readonly webAclArn?: string;
  /**
   * An HTTP API (for example `AsyncHttpApi.httpApi`, on its `$default` stage) served under
   * `apiPathPattern` on the same domain: the prefix is stripped (`/api/jobs` reaches the API as
   * `/jobs`), caching is disabled and every viewer header but Host is forwarded, `Authorization`
   * included, so a browser can call a JWT-authorized API (`ApiAuthorization.jwt`). An IAM-authorized
   * API cannot be called this way (browsers cannot sign requests for the API's host).
   *
   * @default - no API behaviour
   */
  readonly apiOrigin?: apigwv2.IHttpApi;
  /**
   * The path pattern routed to `apiOrigin`: a fixed prefix followed by `/*`.
   *
   * @default '/api/*'
   */
  readonly apiPathPattern?: string;
  /**
   * Remove the prefix of `apiPathPattern` before the request reaches `apiOrigin` (a CloudFront
   * Function on the API behaviour). Turn it off only for an API whose routes include the prefix.
   *
   * @default true
   */
  readonly stripApiPathPrefix?: boolean;
  /**
   * Paths that need a signed URL or signed cookies: `PrivateContent.withPublicKey(pathPattern, pem)`
   * (the site creates the public key and key group) or `PrivateContent.fromKeyGroup(pathPattern, keyGroup)`.
   *
   * @default - all content is public
   */
  readonly privateContent?: PrivateContent;
  /**
   * The bucket CloudFront writes its standard logs to, for a site in a Region whose buckets
   * CloudFront does not deliver logs to (the opt-in Regions: af-south-1, ap-east-1, eu-south-1,
   * me-south-1 …, where synth fails without it). It must be in another Region (e.g. a bucket of a
   * us-east-1 stack) and accept ACLs (`ObjectOwnership.OBJECT_WRITER` or `BUCKET_OWNER_PREFERRED`).
   *
   * @default - `accessLogsBucket`, created in the stack's Region (with the S3 access logs)
   */
  readonly cloudFrontLogsBucket?: s3.IBucket;
  /**
   * What happens to the content and log buckets when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The site's alarm: `Distribution.5xxErrorRate` (5xx responses >= 5% of requests, averaged over
   * 5 minutes, in 2 of 3 periods). CloudFront publishes its metrics in us-east-1 only and a
   * CloudWatch alarm must be in its metric's Region, so the alarm is created only in a stack in
   * us-east-1; elsewhere the site has no alarm and `topic`, `actions` and `overrides` fail at synth
   * (alarm on `metric5xxErrorRate()` in a us-east-1 stack instead).
   *
   * @default - the alarm with its defaults (in us-east-1), without actions
   */
  readonly alarms?: AlarmsOptions;
}

/**
 * A static website: a private S3 bucket served only through CloudFront with Origin Access
 * Control, HTTPS only (HTTP/2 and HTTP/3), security headers, SPA routing or directory indexes,
 * cache-control set per file type at deployment, access logs, and optional custom domain, WAF,
 * API origin and signed-URL private content.
 *
 * @example
 * new StaticSite(this, 'Docs', { sourcePath: 'site/dist', singlePageApp: true });
 */
export class StaticSite extends Construct {
  /** The private content bucket. */
  public readonly bucket: s3.Bucket;
  /**
   * The bucket of the content bucket's S3 server access logs (prefix `s3/`) and, unless
   * `cloudFrontLogsBucket` is given, of the CloudFront standard logs (prefix `cloudfront/`).
   */
  public readonly accessLogsBucket: s3.Bucket;
  /** The bucket of the CloudFront standard logs: `cloudFrontLogsBucket`, or `accessLogsBucket`. */
  public readonly cloudFrontLogsBucket: s3.IBucket;
  /** The distribution. */
  public readonly distribution: cloudfront.Distribution;
  /** The security headers policy. */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /**
   * The CloudFront Function that serves directory indexes.
   *
   * @default - undefined for a single-page app
   */
  public readonly directoryIndexFunction?: cloudfront.Function;
  /**
   * The CloudFront Function that strips the API path prefix.
   *
   * @default - undefined without `apiOrigin` or with `stripApiPathPrefix: false`
   */
  public readonly apiPrefixFunction?: cloudfront.Function;
  /** The deployment of the HTML files (the last one, which invalidates the distribution). */
  public readonly deployment: s3deploy.BucketDeployment;
  /** Every deployment: HTML, hashed assets (when any), other files. */
  public readonly deployments: s3deploy.BucketDeployment[];
  /**
   * The key group of the private content (created for `PrivateContent.withPublicKey`, or the one of
   * `PrivateContent.fromKeyGroup`).
   *
   * @default - undefined without private content
   */
  public readonly keyGroup?: cloudfront.IKeyGroup;
  /**
   * The CloudFront public key created by `PrivateContent.withPublicKey`: its `publicKeyId` is the key
   * pair id the application signs with (`createUrlSigner({ keyPairId })`).
   *
   * @default - undefined without private content or with `PrivateContent.fromKeyGroup`
   */
  public readonly publicKey?: cloudfront.IPublicKey;
  /**
   * The site's alarms (`Distribution.5xxErrorRate`), empty outside us-east-1 (CloudFront's metrics
   * are there only).
   */
  public readonly alarms: cloudwatch.Alarm[];
  /** `https://` + the first custom domain, or the distribution's domain name. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: StaticSiteProps) {
    super(scope, id);
    const indexDocument = props.indexDocument ?? 'index.html';
    const files = this.validate(props, indexDocument);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // CloudFront standard logs are delivered with ACLs. The construct id stays 'LogBucket' (v0.1's),
    // so renaming the property does not replace the bucket.
    this.accessLogsBucket = createAccessLogsBucket(this, 'LogBucket', 'the site\'s CloudFront and S3 access logs', removalPolicy, s3.ObjectOwnership.OBJECT_WRITER);
    this.cloudFrontLogsBucket = props.cloudFrontLogsBucket ?? this.accessLogsBucket;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET_PROPS,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 's3/',
      lifecycleRules: [{ noncurrentVersionExpiration: NONCURRENT_VERSION_EXPIRATION }],
      removalPolicy,
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `${this.node.path}: security headers`,
      // Response-headers policy names are unique per account: with the region, a second region works.
      responseHeadersPolicyName: regionalName(this, 'SecurityHeaders', 128),
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: STATIC_SITE_DEFAULTS.hstsMaxAge, includeSubdomains: true, preload: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
        contentSecurityPolicy: { contentSecurityPolicy: props.contentSecurityPolicy ?? STATIC_SITE_DEFAULTS.contentSecurityPolicy, override: true },
      },
    });

    if (!props.singlePageApp) {
      this.directoryIndexFunction = new cloudfront.Function(this, 'DirectoryIndex', {
        code: cloudfront.FunctionCode.fromFile({ filePath: path.join(__dirname, 'runtime', 'directory-index.js') }),
        runtime: cloudfront.FunctionRuntime.JS_2_0,
        comment: 'Serves the index document of directory URLs',
      });
    }
    const s3Origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket, {
      originAccessControl: new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', { originAccessControlName: regionalName(this, 'OAC', 64) }),
    });
    const siteBehavior: cloudfront.BehaviorOptions = {
      origin: s3Origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: this.responseHeadersPolicy,
      compress: true,
      functionAssociations: this.directoryIndexFunction
        ? [{ function: this.directoryIndexFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }]
        : undefined,
    };
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    if (props.privateContent) {
      const bound = props.privateContent._bind(this);
      this.keyGroup = bound.keyGroup;
      this.publicKey = bound.publicKey;
      additionalBehaviors[props.privateContent.pathPattern] = { ...siteBehavior, trustedKeyGroups: [this.keyGroup] };
    }
    if (props.apiOrigin) {
      const apiPathPattern = props.apiPathPattern ?? '/api/*';
      if (props.stripApiPathPrefix ?? true) {
        const prefix = apiPathPattern.slice(0, -2);
        const code = fs.readFileSync(path.join(__dirname, 'runtime', 'strip-api-prefix.js'), 'utf8')
          .replace("var PREFIX = '/api';", `var PREFIX = ${JSON.stringify(prefix)};`);
        this.apiPrefixFunction = new cloudfront.Function(this, 'ApiPrefix', {
          code: cloudfront.FunctionCode.fromInline(code),
          runtime: cloudfront.FunctionRuntime.JS_2_0,
          comment: `Strips ${prefix} before the API origin`,
        });
      }
      const apiDomain = `${props.apiOrigin.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
      additionalBehaviors[apiPathPattern] = {
        origin: new origins.HttpOrigin(apiDomain, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // With caching disabled, this policy forwards Authorization too (it may not when caching).
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: this.responseHeadersPolicy,
        functionAssociations: this.apiPrefixFunction
          ? [{ function: this.apiPrefixFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }]
          : undefined,
      };
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: this.node.path.slice(0, 128),
      defaultBehavior: siteBehavior,
      additionalBehaviors,
      defaultRootObject: indexDocument,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      domainNames: props.domainNames,
      certificate: props.certificate,
      // Only a custom certificate takes a minimum protocol; with CloudFront's default certificate
      // the setting is ignored (and aws-cdk-lib warns on every synth).
      minimumProtocolVersion: props.certificate ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      enableLogging: true,
      logBucket: this.cloudFrontLogsBucket,
      logFilePrefix: 'cloudfront/',
      webAclId: props.webAclArn,
      errorResponses: props.singlePageApp
        ? [403, 404].map((httpStatus) => ({ httpStatus, responseHttpStatus: 200, responsePagePath: `/${indexDocument}`, ttl: Duration.seconds(0) }))
        : undefined,
    });
    const findings = [
      { id: 'AwsSolutions-CFR1', reason: 'A public website: geo restrictions are a business decision, off by default (use the distribution to add them)' },
    ];
    if (!props.webAclArn) {
      findings.push({ id: 'AwsSolutions-CFR2', reason: 'WAF is opt-in (webAclArn): a web ACL costs at least $5/month and its rules depend on the site' });
    }
    if (!props.certificate) {
      findings.push({ id: 'AwsSolutions-CFR4', reason: 'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose minimum TLS version cannot be set; with domainNames + certificate TLSv1.2_2021 is enforced' });
    }
    acknowledgeNagFindings(this.distribution, findings);

    this.deployments = this.deploy(props.sourcePath, files);
    this.deployment = this.deployments[this.deployments.length - 1];

    if (props.hostedZone && props.domainNames) {
      const target = route53.RecordTarget.fromAlias(new route53Targets.CloudFrontTarget(this.distribution));
      props.domainNames.forEach((domainName, i) => {
        const recordName = domainName;
        new route53.ARecord(this, `AliasA${i}`, { zone: props.hostedZone!, recordName, target });
        new route53.AaaaRecord(this, `AliasAAAA${i}`, { zone: props.hostedZone!, recordName, target });
      });
    }
    this.url = props.domainNames?.length ? `https://${props.domainNames[0]}` : `https://${this.distribution.distributionDomainName}`;
    this.alarms = this.createAlarms(props.alarms);
  }

  /**
   * The share of requests CloudFront answered with a 5xx status, in percent (Average), over 5
   * minutes. The metric is in us-east-1 with the dimensions `DistributionId` and `Region: Global`,
   * where CloudFront publishes it (aws-cdk-lib's `distribution.metric5xxErrorRate()` lacks the
   * `Region` dimension and matches no data); alarm on it in a us-east-1 stack.
   *
   * @param props changes to the metric (period, statistic, label...)
   */
  public metric5xxErrorRate(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cloudFrontMetric('5xxErrorRate', { statistic: 'Average', ...props });
  }

  /**
   * The share of requests CloudFront answered with a 4xx status, in percent (Average), over 5
   * minutes (us-east-1, dimensions `DistributionId` and `Region: Global`). Signed-URL failures on
   * `privateContent` paths and missing pages count here.
   *
   * @param props changes to the metric (period, statistic, label...)
   */
  public metric4xxErrorRate(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cloudFrontMetric('4xxErrorRate', { statistic: 'Average', ...props });
  }

  /**
   * The number of viewer requests (Sum) over 5 minutes (us-east-1, dimensions `DistributionId` and
   * `Region: Global`).
   *
   * @param props changes to the metric (period, statistic, label...)
   */
  public metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cloudFrontMetric('Requests', { statistic: 'Sum', ...props });
  }

  private cloudFrontMetric(metricName: string, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/CloudFront',
      metricName,
      dimensionsMap: { DistributionId: this.distribution.distributionId, Region: 'Global' },
      period: Duration.minutes(5),
      region: CLOUDFRONT_METRICS_REGION,
      ...props,
    });
  }

  /**
   * `Distribution.5xxErrorRate`, in a us-east-1 stack only: a CloudWatch alarm must be in its
   * metric's Region. Elsewhere, options that would act on an alarm fail instead of doing nothing.
   */
  private createAlarms(options: AlarmsOptions = {}): cloudwatch.Alarm[] {
    const alarms = new PatternAlarms(this, options);
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region) || region !== CLOUDFRONT_METRICS_REGION) {
      const given = [
        options.topic ? 'alarms.topic' : undefined,
        options.actions?.length ? 'alarms.actions' : undefined,
        ...Object.keys(options.overrides ?? {}).map((name) => `alarms.overrides['${name}']`),
      ].filter((p): p is string => p !== undefined);
      if (options.enabled !== false && given.length > 0) {
        const where = Token.isUnresolved(region) ? 'a stack without a Region' : `a stack in ${region}`;
        throw new PatternValidationError(this, `${given.join(', ')} cannot apply: a StaticSite creates its alarm (Distribution.5xxErrorRate) only in a us-east-1 stack, `
          + `because CloudFront publishes its metrics in us-east-1 only and a CloudWatch alarm must be in its metric's Region; this site is in ${where}. `
          + 'Alarm on site.metric5xxErrorRate() in a us-east-1 stack (crossRegionReferences: true), or remove them');
      }
      return alarms.alarms;
    }
    alarms.create(this, 'Distribution5xxErrorRateAlarm', 'Distribution.5xxErrorRate', {
      metric: this.metric5xxErrorRate(),
      threshold: STATIC_SITE_DEFAULTS.errorRateThreshold,
      evaluationPeriods: STATIC_SITE_DEFAULTS.errorRateEvaluationPeriods,
      datapointsToAlarm: STATIC_SITE_DEFAULTS.errorRateDatapointsToAlarm,
      description: `${this.node.path}: CloudFront answered >= ${STATIC_SITE_DEFAULTS.errorRateThreshold}% of requests with 5xx in 2 of 3 five-minute periods: `
        + 'the origin (the content bucket or the API origin) is failing; see the CloudFront standard logs (cloudfront/ in the logs bucket) for the paths and the origin\'s own alarms',
    });
    return alarms.alarms;
  }

  /**
   * Deploys the folder in up to three parts, each with its own cache-control: hashed assets
   * (immutable, a year), other non-HTML files (an hour), then HTML (no-cache), which also
   * invalidates the distribution. HTML goes last so no page refers to an asset not yet uploaded.
   */
  private deploy(sourcePath: string, files: string[]): s3deploy.BucketDeployment[] {
    const hashed = files.filter((f) => STATIC_SITE_DEFAULTS.hashedFileName.test(path.basename(f)) && !f.endsWith('.html'));
    const source = s3deploy.Source.asset(sourcePath);
    const logGroup = new logs.LogGroup(this, 'DeploymentLogs', { retention: DEFAULTS.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const common = { sources: [source], destinationBucket: this.bucket, memoryLimit: STATIC_SITE_DEFAULTS.deploymentMemoryLimit, logGroup };
    const deployments: s3deploy.BucketDeployment[] = [];
    if (hashed.length) {
      deployments.push(new s3deploy.BucketDeployment(this, 'DeployHashedAssets', {
        ...common,
        exclude: ['*'],
        include: hashed,
        cacheControl: [s3deploy.CacheControl.fromString(STATIC_SITE_DEFAULTS.hashedAssetCacheControl)],
      }));
    }
    deployments.push(new s3deploy.BucketDeployment(this, 'DeployOtherFiles', {
      ...common,
      exclude: ['*.html', ...hashed],
      cacheControl: [s3deploy.CacheControl.fromString(STATIC_SITE_DEFAULTS.otherCacheControl)],
    }));
    const html = new s3deploy.BucketDeployment(this, 'DeployHtml', {
      ...common,
      exclude: ['*'],
      include: ['*.html'],
      cacheControl: [s3deploy.CacheControl.fromString(STATIC_SITE_DEFAULTS.htmlCacheControl)],
      distribution: this.distribution,
      distributionPaths: ['/*'],
    });
    for (const d of deployments) html.node.addDependency(d);
    deployments.push(html);
    this.removeUnusedCliLayers(deployments);
    this.acknowledgeDeploymentFunction();
    return deployments;
  }

  /**
   * Every BucketDeployment creates an AWS CLI layer (an AWS::Lambda::LayerVersion), but its
   * function is a singleton per stack that keeps only the layer of the deployment that created it:
   * the others would be published and never used (two per site, and all three of a second site).
   * The layers no deployment function uses are removed; the function and its layer are unchanged.
   */
  private removeUnusedCliLayers(deployments: s3deploy.BucketDeployment[]): void {
    const stack = Stack.of(this);
    const used = new Set<string>();
    for (const fn of stack.node.children) {
      if (!(fn instanceof lambda.Function) || !fn.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      const layers = stack.resolve((fn.node.defaultChild as lambda.CfnFunction).layers) as unknown;
      for (const layer of Array.isArray(layers) ? layers : []) {
        if (typeof layer?.Ref === 'string') used.add(layer.Ref);
      }
    }
    if (used.size === 0) return; // not the shape expected: keep every layer
    for (const deployment of deployments) {
      const layer = deployment.node.tryFindChild('AwsCliLayer');
      if (!(layer instanceof lambda.LayerVersion)) continue;
      const ref = (stack.resolve(layer.layerVersionArn) as { Ref?: string }).Ref;
      if (ref !== undefined && !used.has(ref)) deployment.node.tryRemoveChild(layer.node.id);
    }
  }

  /**
   * Findings of aws-cdk-lib's BucketDeployment function (a singleton at the stack root, run by
   * CloudFormation at deploy time only), acknowledged one by one with the reason.
   */
  private acknowledgeDeploymentFunction(): void {
    const fn = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!fn) return;
    const policy = fn.node.tryFindChild('ServiceRole')?.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    acknowledgeNagFindings(fn, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'aws-cdk-lib\'s BucketDeployment function always attaches AWSLambdaBasicExecutionRole to its role',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'aws-cdk-lib\'s BucketDeployment copies the site from the CDK asset bucket and prunes the site bucket: it grants s3:GetObject*/GetBucket*/List*/'
          + 'DeleteObject*/Abort* on those two buckets\' objects and cloudfront:CreateInvalidation, which has no resource-level scope',
        appliesTo: policy ? wildcardFindingsOf(fn, policy.document) : [],
      },
      { id: 'AwsSolutions-L1', reason: 'aws-cdk-lib pins the BucketDeployment function\'s Python runtime to the version its AWS CLI layer supports' },
      { id: 'Serverless-LambdaLatestVersion', reason: 'aws-cdk-lib pins the BucketDeployment function\'s Python runtime to the version its AWS CLI layer supports' },
      { id: 'Serverless-LambdaDLQ', reason: 'BucketDeployment\'s function is invoked synchronously by CloudFormation, which reports its errors; a DLQ would never receive anything' },
      { id: 'Serverless-LambdaTracing', reason: 'aws-cdk-lib\'s deploy-time BucketDeployment function does not expose tracing' },
    ]);
  }

  /** CloudFront does not deliver standard logs to buckets in the opt-in Regions: fail at synth rather than at deployment. */
  private validateCloudFrontLogsRegion(given: s3.IBucket | undefined): void {
    const unsupported = (region: string) => CLOUDFRONT_LOGS_UNSUPPORTED_REGIONS.includes(region);
    const stackRegion = Stack.of(this).region;
    if (given) {
      const region = given.env.region;
      if (!Token.isUnresolved(region) && unsupported(region)) {
        throw new PatternValidationError(this, `cloudFrontLogsBucket must be in a Region CloudFront delivers standard logs to, got a bucket in ${region} (an opt-in Region); use a bucket in e.g. us-east-1`);
      }
      return;
    }
    if (Token.isUnresolved(stackRegion)) {
      Annotations.of(this).addWarningV2('cdk-serverless-patterns:cloudFrontLogsRegion',
        `the stack has no Region, so the CloudFront logs bucket's Region cannot be checked; in an opt-in Region (${CLOUDFRONT_LOGS_UNSUPPORTED_REGIONS.join(', ')}) give cloudFrontLogsBucket`);
      return;
    }
    if (unsupported(stackRegion)) {
      throw new PatternValidationError(this, `CloudFront does not deliver standard logs to S3 buckets in ${stackRegion} (an opt-in Region); give cloudFrontLogsBucket: `
        + 'a bucket in another Region (e.g. us-east-1) with ACLs enabled (ObjectOwnership.OBJECT_WRITER)');
    }
  }

  /** Synth-time checks; returns the site's files (relative paths) for cache-control. */
  private validate(props: StaticSiteProps, indexDocument: string): string[] {
    if (!fs.existsSync(props.sourcePath) || !fs.statSync(props.sourcePath).isDirectory()) {
      throw new PatternValidationError(this, `sourcePath must be a folder of the built site, got '${props.sourcePath}', which does not exist (build the site first)`);
    }
    if (!fs.existsSync(path.join(props.sourcePath, indexDocument))) {
      throw new PatternValidationError(this, `sourcePath '${props.sourcePath}' holds no ${indexDocument} (the index document); build the site or set indexDocument`);
    }
    if (props.domainNames?.length && !props.certificate) {
      throw new PatternValidationError(this, 'domainNames need a certificate (in us-east-1) that covers them');
    }
    if (props.certificate && !props.domainNames?.length) {
      throw new PatternValidationError(this, 'certificate needs domainNames');
    }
    if (props.hostedZone && !props.domainNames?.length) {
      throw new PatternValidationError(this, 'hostedZone needs domainNames: the alias records are created for them');
    }
    const arn = props.certificate?.certificateArn;
    if (arn && !Token.isUnresolved(arn)) {
      const region = arn.split(':')[3];
      if (region !== 'us-east-1') {
        throw new PatternValidationError(this, `certificate must be in us-east-1, because CloudFront only uses certificates from us-east-1; got one in ${region} (${arn})`);
      }
    }
    this.validateCloudFrontLogsRegion(props.cloudFrontLogsBucket);
    if (props.apiPathPattern !== undefined && !props.apiOrigin) {
      throw new PatternValidationError(this, 'apiPathPattern needs apiOrigin (the API it routes to)');
    }
    if (props.stripApiPathPrefix !== undefined && !props.apiOrigin) {
      throw new PatternValidationError(this, 'stripApiPathPrefix needs apiOrigin (the API it routes to)');
    }
    if (props.privateContent !== undefined && !(props.privateContent instanceof PrivateContent)) {
      throw new PatternValidationError(this, 'privateContent must be PrivateContent.withPublicKey(pathPattern, publicKeyPem) or PrivateContent.fromKeyGroup(pathPattern, keyGroup), '
        + 'got a plain object (v0.1\'s { pathPattern, publicKeyPem | keyGroup })');
    }
    if (props.apiPathPattern !== undefined && !/^(\/[A-Za-z0-9_.~-]+)+\/\*$/.test(props.apiPathPattern)) {
      throw new PatternValidationError(this, `apiPathPattern must be a fixed path prefix followed by /* (e.g. '/api/*', '/v1/api/*'), got '${props.apiPathPattern}'`);
    }
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else files.push(path.relative(props.sourcePath, full).split(path.sep).join('/'));
      }
    };
    walk(props.sourcePath);
    return files.sort();
  }
}
