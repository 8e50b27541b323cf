import * as fs from 'fs';
import * as path from 'path';
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PrivateContent, StaticSite } from '../../src';

/** A documentation site (SPA routing) and a shop on its own domain with signed-URL downloads. */
export class StaticSiteExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    const sourcePath = path.join(__dirname, 'site');
    new StaticSite(this, 'Docs', { sourcePath, singlePageApp: true });

    // Existing resources are referenced, not looked up, so the example synthesizes offline.
    const certificate = acm.Certificate.fromCertificateArn(this, 'ShopCertificate', 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555');
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
    const shop = new StaticSite(this, 'Shop', {
      sourcePath,
      domainNames: ['www.example.com'],
      certificate,
      hostedZone,
      // Premium downloads need a URL signed by the application (createUrlSigner in the runtime package).
      privateContent: PrivateContent.withPublicKey('/premium/*', fs.readFileSync(path.join(__dirname, 'premium-public-key.pem'), 'utf8')),
    });
    // The key pair id the application signs with (KEY_PAIR_ID of createUrlSigner).
    new CfnOutput(this, 'ShopKeyPairId', { value: shop.publicKey!.publicKeyId });
    // No alarms here: CloudFront's metrics are in us-east-1 only and this stack is in eu-west-1
    // (a StaticSite in a us-east-1 stack gets Distribution.5xxErrorRate; see docs/patterns/static-site.md).
  }
}
