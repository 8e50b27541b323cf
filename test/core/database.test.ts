import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FunctionInvocation, Handler, JobSchedule, ProxiedDatabase, ProxiedDatabaseForClusterProps, ProxiedDatabaseProps, SagaOrchestrator, ScheduledJob, ServerlessFunction } from '../../src';
import { nagErrors } from '../helpers/nag';

const code = lambda.Code.fromInline('exports.handler = async () => {}');

function setup() {
  const stack = new Stack(undefined, 'Db', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  return { stack, vpc, vpcSubnets };
}

describe('ProxiedDatabase', () => {
  test('creates an encrypted Aurora Serverless v2 PostgreSQL cluster with IAM auth, backups and deletion protection', () => {
    const { stack, vpc, vpcSubnets } = setup();
    new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({
        Engine: 'aurora-postgresql',
        StorageEncrypted: true,
        EnableIAMDatabaseAuthentication: true,
        DeletionProtection: true,
        BackupRetentionPeriod: 7,
        DatabaseName: 'app',
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      }),
      DeletionPolicy: 'Snapshot',
    });
  });

  test('fronts it with an RDS Proxy with end-to-end IAM authentication (no secrets) and TLS, with the idle timeout and connection share', () => {
    const { stack, vpc, vpcSubnets } = setup();
    new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets, idleClientTimeout: Duration.minutes(10), maxConnectionsPercent: 50 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      IdleClientTimeout: 600,
      DefaultAuthScheme: 'IAM_AUTH',
      Auth: Match.absent(),
    });
    template.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', { ConnectionPoolConfigurationInfo: { MaxConnectionsPercent: 50 } });
  });

  test('grantConnect lets the proxy role log in to the cluster as each granted user (rds-db:connect on the cluster resource id), once per user', () => {
    // GIVEN
    const { stack, vpc, vpcSubnets } = setup();
    const db = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    const fn = (id: string) => new ServerlessFunction(stack, id, { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE, vpc, vpcSubnets });
    // WHEN
    db.grantConnect(fn('A'), 'reports');
    db.grantConnect(fn('B'), 'reports');
    db.grantConnect(fn('C'), 'billing');
    // THEN
    const template = Template.fromStack(stack);
    const dbUserArn = (user: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds-db:eu-west-1:123456789012:dbuser:', stack.resolve((db.cluster as rds.DatabaseCluster).clusterResourceIdentifier), `/${user}`]] });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(db.proxyRole.roleName)],
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 'rds-db:connect', Resource: dbUserArn('reports') },
          { Effect: 'Allow', Action: 'rds-db:connect', Resource: dbUserArn('billing') },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'rds.amazonaws.com' } })] },
    });
    template.hasResourceProperties('AWS::RDS::DBProxy', { RoleArn: stack.resolve(db.proxyRole.roleArn) });
  });

  test('the proxy role reads no secret: the administrator secret stays with the cluster', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const db = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    db.grantConnect(new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE, vpc, vpcSubnets }), 'reports');
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(db.proxyRole.roleName)] } });
    const actions = Object.values(policies)
      .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => st.Action));
    expect(actions).toEqual(['rds-db:connect']);
    expect(db.secret).toBe((db.cluster as rds.DatabaseCluster).secret);
  });

  test('fails when an imported cluster has no clusterResourceIdentifier, saying how to import it', () => {
    const { stack, vpc } = setup();
    const cluster = rds.DatabaseCluster.fromDatabaseClusterAttributes(stack, 'Imported', {
      clusterIdentifier: 'legacy',
      port: 5432,
      securityGroups: [],
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
    });
    const db = ProxiedDatabase.forCluster(stack, 'Orders', { cluster, vpc });
    const fn = new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE, vpc });
    expect(() => db.grantConnect(fn, 'reports')).toThrow(/cluster Db\/Imported has no clusterResourceIdentifier; import it with clusterResourceIdentifier/);
  });

  test('the constructor rejects v0.1\'s cluster and secret props, pointing at forCluster', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const other = new rds.DatabaseCluster(stack, 'Other', { engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }), writer: rds.ClusterInstance.serverlessV2('Writer'), vpc, vpcSubnets });
    const v01 = { vpc, cluster: other, secret: other.secret! } as unknown as ProxiedDatabaseProps;
    expect(() => new ProxiedDatabase(stack, 'Orders', v01))
      .toThrow(/cluster and secret are not a prop of the constructor, which creates a new cluster: front an existing cluster with ProxiedDatabase.forCluster\(scope, id, \{ cluster, vpc, secret\? \}\)/);
  });

  test('forCluster rejects the props that shape a new cluster, naming them', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const cluster = new rds.DatabaseCluster(stack, 'Legacy', { engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }), writer: rds.ClusterInstance.serverlessV2('Writer'), vpc, vpcSubnets });
    const props = { cluster, vpc, maxCapacity: 8, deletionProtection: false } as unknown as ProxiedDatabaseForClusterProps;
    expect(() => ProxiedDatabase.forCluster(stack, 'Orders', props))
      .toThrow(/maxCapacity, deletionProtection shape a cluster the construct creates and cannot apply to the existing cluster given to forCluster/);
  });

  test('forCluster rejects a MySQL cluster, and an imported cluster without engine, with what is supported', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const mysql = new rds.DatabaseCluster(stack, 'MySql', { engine: rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_08_0 }), writer: rds.ClusterInstance.serverlessV2('Writer'), vpc, vpcSubnets });
    expect(() => ProxiedDatabase.forCluster(stack, 'Orders', { cluster: mysql, vpc }))
      .toThrow(/cluster Db\/MySql is a MYSQL cluster; ProxiedDatabase supports Aurora PostgreSQL only \(engine family POSTGRESQL\)/);
    const imported = rds.DatabaseCluster.fromDatabaseClusterAttributes(stack, 'NoEngine', { clusterIdentifier: 'legacy', clusterResourceIdentifier: 'cluster-ABC' });
    expect(() => ProxiedDatabase.forCluster(stack, 'Imported', { cluster: imported, vpc }))
      .toThrow(/cluster Db\/NoEngine has no engine: import it with engine: rds.DatabaseClusterEngine.auroraPostgres\(\{ version \}\)/);
  });

  test('the proxy target group depends on the writer instance (aws/aws-cdk#31304)', () => {
    const { stack, vpc, vpcSubnets } = setup();
    new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    const template = Template.fromStack(stack);
    const writer = Object.keys(template.findResources('AWS::RDS::DBInstance'))[0];
    const targetGroup = Object.values(template.findResources('AWS::RDS::DBProxyTargetGroup'))[0];
    expect(targetGroup.DependsOn).toEqual(expect.arrayContaining([writer]));
  });

  test('grantConnect: ingress from the function to the proxy on 5432 only, rds-db:connect for the user, connection environment', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const db = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    const fn = new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE, vpc, vpcSubnets });
    db.grantConnect(fn, 'orders_app');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      GroupId: stack.resolve(db.proxy.connections.securityGroups[0].securityGroupId),
      SourceSecurityGroupId: stack.resolve(fn.connections.securityGroups[0].securityGroupId),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'rds-db:connect', Resource: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':rds-db:eu-west-1:123456789012:dbuser:', '/orders_app'])] }) })]) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DB_PROXY_ENDPOINT: stack.resolve(db.proxy.endpoint), DB_PORT: '5432', DB_NAME: 'app', DB_USER: 'orders_app' }) },
    });
  });

  test('forCluster fronts an existing cluster with the proxy: port from the engine, no cluster alarm, the proxy alarm', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const cluster = new rds.DatabaseCluster(stack, 'Legacy', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      vpc,
      vpcSubnets,
    });
    const db = ProxiedDatabase.forCluster(stack, 'Orders', { cluster, vpc, secret: cluster.secret!, vpcSubnets });
    expect(db.cluster).toBe(cluster);
    expect(db.secret).toBe(cluster.secret);
    expect(db.port).toBe(5432);
    Template.fromStack(stack).resourceCountIs('AWS::RDS::DBCluster', 1);
    Template.fromStack(stack).resourceCountIs('AWS::RDS::DBProxy', 1);
    expect(db.alarms.map((a) => stack.resolve((a.node.defaultChild as cloudwatch.CfnAlarm).metricName))).toEqual(['DatabaseConnectionsBorrowLatency']);
  });

  test('ScheduledJob and SagaOrchestrator put their user-code functions in the VPC and grant them the proxy', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const database = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    const job = new ScheduledJob(stack, 'Nightly', { schedule: JobSchedule.rate(Duration.hours(1)), handler: Handler.fromCode(code, { handler: 'index.handler' }), database, databaseSubnets: vpcSubnets });
    const saga = new SagaOrchestrator(stack, 'Saga', { steps: [{ name: 'Reserve', action: Handler.fromCode(code, { handler: 'index.handler' }) }], database, databaseSubnets: vpcSubnets });
    const template = Template.fromStack(stack);
    for (const fn of [job.handlerFunction!, saga.step('Reserve').actionFunction]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5432, SourceSecurityGroupId: stack.resolve(fn.connections.securityGroups[0].securityGroupId) });
    }
  });

  test('passes the cdk-nag gate with a connected function', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const db = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    db.grantConnect(new ServerlessFunction(stack, 'Worker', { code, handler: 'index.handler', invocation: FunctionInvocation.QUEUE, vpc, vpcSubnets }));
    expect(nagErrors(stack).filter((e) => !/VPC7/.test(e))).toEqual([]);
  });

  test('fails when the function is not in a VPC, naming it', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const db = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    const fn = new ServerlessFunction(stack, 'Outside', { code, handler: 'index.handler' });
    expect(() => db.grantConnect(fn)).toThrow(/function Db\/Outside is not in a VPC; give it vpc \(the database's VPC\)/);
  });

  test('fails for maxCapacity below minCapacity and for maxConnectionsPercent out of range', () => {
    const { stack, vpc } = setup();
    expect(() => new ProxiedDatabase(stack, 'A', { vpc, minCapacity: 8, maxCapacity: 4 })).toThrow(/maxCapacity must be 1 to 256 in steps of 0.5 and at least minCapacity \(8\), got 4/);
    expect(() => new ProxiedDatabase(stack, 'B', { vpc, maxConnectionsPercent: 0 })).toThrow(/maxConnectionsPercent must be an integer between 1 and 100, got 0/);
  });

  test('names the proxy after the construct\'s unique path (<= 60 characters, a letter first, single hyphens), so two databases in one account and region do not collide', () => {
    // GIVEN two databases in one stack, and one with a long path in another stack
    const { stack, vpc, vpcSubnets } = setup();
    new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets });
    new ProxiedDatabase(stack, 'Invoices', { vpc, vpcSubnets });
    const other = setup();
    const deep = new ProxiedDatabase(new Construct(new Construct(other.stack, 'AVeryLongTeamNameOfTheBillingDepartment'), 'ServiceWithALongName'), 'Db--1', { vpc: other.vpc, vpcSubnets: other.vpcSubnets });
    // WHEN
    const names = [stack, other.stack].flatMap((s) => Object.values(Template.fromStack(s).findResources('AWS::RDS::DBProxy')).map((r) => r.Properties.DBProxyName));
    // THEN
    expect(names.slice(0, 2)).toEqual([expect.stringMatching(/^db-orders-[0-9a-f]{8}$/), expect.stringMatching(/^db-invoices-[0-9a-f]{8}$/)]);
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^[a-z](?!.*--)[a-z0-9-]{0,58}[a-z0-9]$/);
    expect(deep.proxy).toBeDefined();
  });

  test('alarms: Cluster.CapacityUtilization (ACUUtilization >= 90% for 3 five-minute periods) and Proxy.BorrowLatency (>= 500 ms average for 3 periods), to the topic', () => {
    // GIVEN
    const { stack, vpc, vpcSubnets } = setup();
    const topic = new sns.Topic(stack, 'Alarms');
    // WHEN
    const db = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets, alarms: { topic } });
    // THEN
    const template = Template.fromStack(stack);
    expect(db.alarms).toHaveLength(2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/RDS',
      MetricName: 'ACUUtilization',
      Statistic: 'Average',
      Period: 300,
      Threshold: 90,
      EvaluationPeriods: 3,
      Dimensions: [{ Name: 'DBClusterIdentifier', Value: stack.resolve(db.cluster.clusterIdentifier) }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [stack.resolve(topic.topicArn)],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/RDS',
      MetricName: 'DatabaseConnectionsBorrowLatency',
      Statistic: 'Average',
      Period: 300,
      Threshold: 500000,
      EvaluationPeriods: 3,
      Dimensions: [{ Name: 'ProxyName', Value: stack.resolve(db.proxy.dbProxyName) }],
    });
  });

  test('alarm overrides by name; an unknown name fails synth listing the names; metrics for connections', () => {
    const { stack, vpc, vpcSubnets } = setup();
    const db = new ProxiedDatabase(stack, 'Orders', { vpc, vpcSubnets, alarms: { overrides: { 'Proxy.BorrowLatency': { threshold: 100000 }, 'Cluster.CapacityUtilization': { enabled: false } } } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DatabaseConnectionsBorrowLatency', Threshold: 100000 });
    expect(db.metricClientConnections().metricName).toBe('ClientConnections');
    expect(db.metricDatabaseConnections().metricName).toBe('DatabaseConnections');
    const other = setup();
    new ProxiedDatabase(other.stack, 'Orders', { vpc: other.vpc, vpcSubnets: other.vpcSubnets, alarms: { overrides: { 'Cluster.Capacity': { threshold: 80 } } } });
    expect(() => Template.fromStack(other.stack))
      .toThrow(/alarms.overrides names 'Cluster.Capacity', which this construct does not have; its alarms are 'Cluster.CapacityUtilization', 'Proxy.BorrowLatency'/);
  });
});
