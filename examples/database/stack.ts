import * as path from 'path';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AsyncHttpApi, Handler, ProxiedDatabase } from '../../src';
import { exampleHandlerCode } from '../bundle';

/** An AsyncHttpApi whose worker reads an Aurora PostgreSQL database through its RDS Proxy. */
export class DatabaseExampleStack extends Stack {
  /**
   * The stack's zones, stated instead of looked up: no availability-zone lookup, so the app
   * synthesizes without an AWS account and the assembly holds real zone names (a lookup that never
   * ran leaves `dummy1a` placeholders in the subnets).
   */
  public get availabilityZones(): string[] {
    return [`${this.region}a`, `${this.region}b`, `${this.region}c`];
  }

  constructor(scope: Construct, id: string, props: StackProps & { alarmTopic: sns.ITopic }) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH })) } },
    });
    // The worker records job state in DynamoDB: a gateway endpoint keeps that traffic in the VPC, no NAT.
    vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    const database = new ProxiedDatabase(this, 'Orders', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, alarms: { topic: props.alarmTopic } });
    new AsyncHttpApi(this, 'OrderReports', {
      worker: Handler.fromCode(exampleHandlerCode(path.join(__dirname, 'handlers', 'order-report.ts')), { handler: 'index.handler' }),
      database,
      databaseSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      // Created once by the administrator (database.secret) on the cluster: CREATE USER reports;
      // GRANT rds_iam TO reports; GRANT SELECT ON orders TO reports; (no password: the proxy uses IAM end to end).
      databaseUser: 'reports',
      alarms: { topic: props.alarmTopic },
    });
  }
}
