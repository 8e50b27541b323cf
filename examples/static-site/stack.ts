import * as fs from 'fs';
import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { StaticSite } from '../../src';

/** A documentation site (SPA routing) and a shop on its own domain with signed-URL downloads. */
export class StaticSiteExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    const sourcePath = path.join(__dirname, 'site');
    new StaticSite(this, 'Docs', { sourcePath, singlePageApp: true });

    // Existing resources are referenced, not looked up, so the example synthesizes offline.
    const certificate = acm.Certificate.fromCertificateArn(this, 'ShopCertificate', 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555');
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
    new StaticSite(this, 'Shop', {
      sourcePath,
      domainNames: ['www.example.com'],
      certificate,
      hostedZone,
      // Premium downloads need a URL signed by the application (createUrlSigner in the runtime package).
      privateContent: { pathPattern: '/premium/*', publicKeyPem: fs.readFileSync(path.join(__dirname, 'premium-public-key.pem'), 'utf8') },
    });
  }
}
