import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PatternAlarms } from './alarm-factory';
import { AlarmsOptions } from './alarms';
import { PatternValidationError } from './errors';
import { acknowledgeNagFindings } from './nag';
import { uniqueProxyName } from './names';
import { validateDurationRange, validateIntegerRange } from './validation';
import { DB_ENV } from '../runtime/database-env';


/** Defaults of ProxiedDatabase, with their reasons. */
const DATABASE_DEFAULTS = {
  /** Aurora Serverless v2 scales down to half an ACU when idle. */
  minCapacity: 0.5,
  /** 4 ACU (8 GiB) caps the cost of a runaway workload; raise it for production load. */
  maxCapacity: 4,
  /** RDS Proxy's own default: idle client connections are closed after 30 minutes. */
  idleClientTimeout: Duration.minutes(30),
  /** Leave 10% of max_connections for administration and failover. */
  maxConnectionsPercent: 90,
  /** A week of automated backups. */
  backupRetention: Duration.days(7),
  databaseName: 'app',
  /**
   * `Cluster.CapacityUtilization`: the cluster at >= 90% of maxCapacity (ACUUtilization, average of
   * 5 minutes) for 15 minutes cannot absorb more load: queries slow down and connections wait.
   */
  capacityUtilizationThreshold: 90,
  capacityUtilizationPeriods: 3,
  /**
   * `Proxy.BorrowLatency`: a 5-minute average of >= 500 ms to get a database connection from the
   * pool, for 15 minutes: the pool is exhausted (maxConnectionsPercent) or the database refuses
   * connections. A pooled borrow takes microseconds, a new IAM login tens of milliseconds.
   */
  borrowLatencyThresholdMicros: 500_000,
  borrowLatencyPeriods: 3,
} as const;

/** The port RDS Proxy listens on, per engine family (a proxy always listens on its family's default port). */
const PROXY_PORTS: Record<string, number> = { POSTGRESQL: 5432 };

/** Props that only shape the cluster the constructor creates; `forCluster` rejects them. */
const NEW_CLUSTER_PROPS = ['engineVersion', 'minCapacity', 'maxCapacity', 'deletionProtection', 'removalPolicy', 'backupRetention'] as const;

/** The existing cluster of a `forCluster` call, handed to the constructor beside its public props. */
const EXISTING_CLUSTERS = new WeakMap<object, ProxiedDatabaseForClusterProps>();

/** Props of a `ProxiedDatabase`. */
export interface ProxiedDatabaseProps {
  /** The VPC of the database, its proxy and the functions that connect. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of the cluster and the proxy.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Name of the database created in the cluster.
   *
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * Aurora PostgreSQL version.
   *
   * @default rds.AuroraPostgresEngineVersion.VER_16_4
   */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
  /**
   * Minimum Aurora capacity units, 0 to 256 (0 pauses an idle cluster).
   *
   * @default 0.5
   */
  readonly minCapacity?: number;
  /**
   * Maximum Aurora capacity units, 1 to 256.
   *
   * @default 4
   */
  readonly maxCapacity?: number;
  /**
   * Deletion protection on the cluster.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the cluster when it is removed from the stack.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long automated backups are kept, 1 to 35 days.
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /**
   * How long the proxy keeps an idle client connection, 1 minute to 8 hours.
   *
   * @default Duration.minutes(30)
   */
  readonly idleClientTimeout?: Duration;
  /**
   * Share of the database's max_connections the proxy may use, 1 to 100.
   *
   * @default 90
   */
  readonly maxConnectionsPercent?: number;
  /**
   * The database's alarms: `Cluster.CapacityUtilization` (the cluster at >= 90% of `maxCapacity`
   * for 15 minutes) and `Proxy.BorrowLatency` (>= 500 ms on average to get a pooled connection for
   * 15 minutes). Overrides by these names; an unknown name fails synth.
   *
   * @default - both alarms with their defaults, without actions
   */
  readonly alarms?: AlarmsOptions;
}

/** Props of `ProxiedDatabase.forCluster`: an RDS Proxy in front of a cluster you have. */
export interface ProxiedDatabaseForClusterProps {
  /**
   * The existing Aurora PostgreSQL cluster: IAM database authentication enabled; an imported one
   * imported with `engine` (a PostgreSQL engine) and `clusterResourceIdentifier`. A MySQL cluster
   * fails at synth (the runtime helper speaks PostgreSQL only).
   */
  readonly cluster: rds.IDatabaseCluster;
  /** Its VPC. */
  readonly vpc: ec2.IVpc;
  /**
   * The cluster's administrator credentials, exposed as `secret` (migrations, creating users). The
   * proxy does not use it: it authenticates to the database with IAM.
   *
   * @default - none
   */
  readonly secret?: secretsmanager.ISecret;
  /**
   * The database functions connect to.
   *
   * @default 'app'
   */
  readonly databaseName?: string;
  /**
   * Subnets of the proxy.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * How long the proxy keeps an idle client connection, 1 minute to 8 hours.
   *
   * @default Duration.minutes(30)
   */
  readonly idleClientTimeout?: Duration;
  /**
   * Share of the database's max_connections the proxy may use, 1 to 100.
   *
   * @default 90
   */
  readonly maxConnectionsPercent?: number;
  /**
   * The proxy's alarm: `Proxy.BorrowLatency` (>= 500 ms on average to get a pooled connection for
   * 15 minutes). The cluster is yours: it gets no alarm from this construct.
   *
   * @default - the alarm with its defaults, without actions
   */
  readonly alarms?: AlarmsOptions;
}

/**
 * A relational database behind an RDS Proxy: Aurora Serverless v2 PostgreSQL (encrypted, IAM
 * authentication, backups, deletion protection, private subnets) or an existing Aurora PostgreSQL
 * cluster (`ProxiedDatabase.forCluster`), and a proxy with end-to-end IAM authentication and TLS
 * required. Functions connect through the proxy
 * only: `grantConnect(fn, user)` opens the proxy's port to the function's security group, grants
 * the function `rds-db:connect` on the proxy for the database user and the proxy's role
 * `rds-db:connect` on the cluster for the same user, and sets the connection environment.
 *
 * End-to-end IAM authentication (`DefaultAuthScheme: IAM_AUTH`): the function presents an IAM token
 * to the proxy, and the proxy logs in to the database as the same user with a token of its own
 * role. No password or secret per user exists; each database user must be created for IAM login,
 * once, by the administrator (`secret`), connected to the cluster itself:
 * `CREATE USER reports; GRANT rds_iam TO reports;` plus the user's table privileges.
 *
 * @example
 * declare const vpc: ec2.IVpc;
 * declare const worker: lambda.Function;
 * const db = new ProxiedDatabase(this, 'Orders', { vpc });
 * db.grantConnect(worker);
 */
export class ProxiedDatabase extends Construct {
  /**
   * Creates an RDS Proxy (end-to-end IAM authentication, TLS required) in front of an existing
   * Aurora PostgreSQL cluster with IAM database authentication enabled. (v0.1's `fromCluster`: it
   * creates resources, so it is not a `from…` import.) The cluster's security group is yours: let
   * the proxy in (`cluster.connections.allowDefaultPortFrom(db.proxy)` for a cluster of the app). A
   * MySQL cluster, or an imported cluster without `engine`, fails at synth.
   *
   * @param scope the scope
   * @param id the construct id
   * @param props the cluster, its VPC and the proxy settings
   */
  public static forCluster(scope: Construct, id: string, props: ProxiedDatabaseForClusterProps): ProxiedDatabase {
    const publicProps: ProxiedDatabaseProps = {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      databaseName: props.databaseName,
      idleClientTimeout: props.idleClientTimeout,
      maxConnectionsPercent: props.maxConnectionsPercent,
      alarms: props.alarms,
    };
    EXISTING_CLUSTERS.set(publicProps, props);
    return new ProxiedDatabase(scope, id, publicProps);
  }

  /**
   * The cluster.
   */
  public readonly cluster: rds.IDatabaseCluster;
  /** The proxy functions connect through. */
  public readonly proxy: rds.DatabaseProxy;
  /**
   * The cluster's administrator credentials (the new cluster's generated secret, or the `secret`
   * given with an existing cluster), for migrations and creating users. The proxy does not use it.
   */
  public readonly secret?: secretsmanager.ISecret;
  /**
   * The role the proxy uses to log in to the database with IAM: `grantConnect` allows it
   * `rds-db:connect` on the cluster for each user it is called with.
   */
  public readonly proxyRole: iam.IRole;
  /** The database functions connect to. */
  public readonly databaseName: string;
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /**
   * The port the proxy listens on, from the cluster's engine family (RDS Proxy listens on the
   * family's default port: 5432 for PostgreSQL, whatever port the cluster uses).
   */
  public readonly port: number;
  /** The database's alarms (`Cluster.CapacityUtilization` for a cluster it created, `Proxy.BorrowLatency`). */
  public readonly alarms: cloudwatch.Alarm[];
  /** Database users the proxy's role may already log in as. */
  private readonly proxyUsers = new Set<string>();

  constructor(scope: Construct, id: string, props: ProxiedDatabaseProps) {
    super(scope, id);
    const existing = EXISTING_CLUSTERS.get(props);
    rejectMovedProps(this, props, existing);
    this.vpc = props.vpc;
    this.databaseName = props.databaseName ?? DATABASE_DEFAULTS.databaseName;
    validateDurationRange(this, 'idleClientTimeout', props.idleClientTimeout, Duration.minutes(1), Duration.hours(8));
    validateIntegerRange(this, 'maxConnectionsPercent', props.maxConnectionsPercent, 1, 100);
    const alarms = new PatternAlarms(this, props.alarms);
    const existingCluster = existing?.cluster;

    let writer: Construct | undefined;
    let maxCapacity: number | undefined;
    if (existingCluster) {
      this.port = proxyPortOf(this, existingCluster);
      this.cluster = existingCluster;
      this.secret = existing?.secret;
    } else {
      this.port = PROXY_PORTS.POSTGRESQL;
      const minCapacity = props.minCapacity ?? DATABASE_DEFAULTS.minCapacity;
      maxCapacity = props.maxCapacity ?? DATABASE_DEFAULTS.maxCapacity;
      if (minCapacity < 0 || minCapacity > 256 || (minCapacity * 2) % 1 !== 0) {
        throw new PatternValidationError(this, `minCapacity must be 0 to 256 in steps of 0.5, got ${minCapacity}`);
      }
      if (maxCapacity < 1 || maxCapacity > 256 || (maxCapacity * 2) % 1 !== 0 || maxCapacity < minCapacity) {
        throw new PatternValidationError(this, `maxCapacity must be 1 to 256 in steps of 0.5 and at least minCapacity (${minCapacity}), got ${maxCapacity}`);
      }
      validateDurationRange(this, 'backupRetention', props.backupRetention, Duration.days(1), Duration.days(35));
      const cluster = new rds.DatabaseCluster(this, 'Cluster', {
        engine: rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_16_4 }),
        writer: rds.ClusterInstance.serverlessV2('Writer'),
        serverlessV2MinCapacity: minCapacity,
        serverlessV2MaxCapacity: maxCapacity,
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets,
        defaultDatabaseName: this.databaseName,
        storageEncrypted: true,
        iamAuthentication: true,
        deletionProtection: props.deletionProtection ?? true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
        backup: { retention: props.backupRetention ?? DATABASE_DEFAULTS.backupRetention },
        cloudwatchLogsExports: ['postgresql'],
      });
      writer = cluster.node.findChild('Writer');
      this.cluster = cluster;
      this.secret = cluster.secret!;
      acknowledgeNagFindings(cluster, [
        { id: 'AwsSolutions-RDS11', reason: 'The standard PostgreSQL port is used: the cluster is reachable only from the proxy\'s security group, a non-standard port adds no protection' },
        { id: 'AwsSolutions-SMG4', reason: 'The administrator secret is used only for migrations and creating users; applications and the proxy authenticate with short-lived IAM tokens and never read it. Add cluster.addRotationSingleUser() to rotate it' },
      ]);
    }

    // End-to-end IAM authentication: clients and the proxy both log in with IAM tokens, so any
    // database user created with `GRANT rds_iam` works without a secret per user (with SECRETS the
    // proxy could log in only as the users whose secrets it holds).
    this.proxyRole = new iam.Role(this, 'ProxyRole', { assumedBy: new iam.ServicePrincipal('rds.amazonaws.com') });
    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromCluster(this.cluster),
      defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
      role: this.proxyRole,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      requireTLS: true,
      idleClientTimeout: props.idleClientTimeout ?? DATABASE_DEFAULTS.idleClientTimeout,
      maxConnectionsPercent: props.maxConnectionsPercent ?? DATABASE_DEFAULTS.maxConnectionsPercent,
      debugLogging: false,
      dbProxyName: uniqueProxyName(this),
    });
    if (!existingCluster) this.cluster.connections.allowDefaultPortFrom(this.proxy, 'from the RDS Proxy only');
    // aws/aws-cdk#31304: the target group registers the cluster's instances, so it must wait for
    // the writer instance, or the first deployment fails with "DB instance not in available state".
    if (writer) {
      const targetGroup = this.proxy.node.findChild('ProxyTargetGroup');
      targetGroup.node.addDependency(writer);
    }

    if (!existingCluster) {
      alarms.create(this, 'CapacityUtilizationAlarm', 'Cluster.CapacityUtilization', {
        metric: this.metricCapacityUtilization(),
        threshold: DATABASE_DEFAULTS.capacityUtilizationThreshold,
        evaluationPeriods: DATABASE_DEFAULTS.capacityUtilizationPeriods,
        description: `${this.node.path}: the Aurora Serverless v2 cluster ran at >= ${DATABASE_DEFAULTS.capacityUtilizationThreshold}% of its maxCapacity (${maxCapacity} ACU) for 15 minutes `
          + 'and cannot scale further: queries slow down and connections wait. Raise maxCapacity or find the expensive queries (Performance Insights, the postgresql log)',
      });
    }
    alarms.create(this, 'BorrowLatencyAlarm', 'Proxy.BorrowLatency', {
      metric: this.metricBorrowLatency(),
      threshold: DATABASE_DEFAULTS.borrowLatencyThresholdMicros,
      evaluationPeriods: DATABASE_DEFAULTS.borrowLatencyPeriods,
      description: `${this.node.path}: the RDS Proxy took >= ${DATABASE_DEFAULTS.borrowLatencyThresholdMicros / 1000} ms on average to get a database connection for 15 minutes: `
        + 'its pool is exhausted (maxConnectionsPercent of max_connections) or the database refuses connections. Check DatabaseConnections, session pinning '
        + '(DatabaseConnectionsCurrentlySessionPinned) and the cluster\'s capacity',
    });
    this.alarms = alarms.alarms;
  }

  /**
   * The cluster's Aurora Serverless v2 capacity in use, in percent of its maximum (`ACUUtilization`,
   * Average over 5 minutes). Only for a Serverless v2 cluster (the one the constructor creates).
   *
   * @param props changes to the metric (period, statistic, label...)
   */
  public metricCapacityUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'ACUUtilization',
      dimensionsMap: { DBClusterIdentifier: this.cluster.clusterIdentifier },
      statistic: 'Average',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * The time the proxy takes to get a database connection for a client, in microseconds
   * (`DatabaseConnectionsBorrowLatency`, Average over 5 minutes, dimension `ProxyName`).
   *
   * @param props changes to the metric (period, statistic, label...)
   */
  public metricBorrowLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.proxyMetric('DatabaseConnectionsBorrowLatency', { statistic: 'Average', ...props });
  }

  /**
   * The client connections open to the proxy (`ClientConnections`, Maximum over 5 minutes,
   * dimension `ProxyName`): the functions' concurrency as the database sees it.
   *
   * @param props changes to the metric (period, statistic, label...)
   */
  public metricClientConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.proxyMetric('ClientConnections', { statistic: 'Maximum', ...props });
  }

  /**
   * The database connections the proxy holds (`DatabaseConnections`, Maximum over 5 minutes,
   * dimension `ProxyName`), at most `maxConnectionsPercent` of the database's max_connections.
   *
   * @param props changes to the metric (period, statistic, label...)
   */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.proxyMetric('DatabaseConnections', { statistic: 'Maximum', ...props });
  }

  private proxyMetric(metricName: string, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName,
      dimensionsMap: { ProxyName: this.proxy.dbProxyName },
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Lets a function connect through the proxy as `dbUser`: the function must be in this database's
   * VPC (a clear error names it otherwise); its security group may reach the proxy on the PostgreSQL
   * port and nothing wider; it may `rds-db:connect` to the proxy as `dbUser`; the proxy's role may
   * `rds-db:connect` to the cluster as `dbUser`; and (for a `lambda.Function`) it gets
   * DB_PROXY_ENDPOINT, DB_PORT, DB_NAME and DB_USER.
   *
   * The user must exist in the database and log in with IAM, which the administrator sets up once
   * (connected to the cluster with `secret`): `CREATE USER <user>; GRANT rds_iam TO <user>;` and
   * its table privileges. It has no password: with `rds_iam`, PostgreSQL accepts only IAM tokens.
   *
   * @param fn the function
   * @param dbUser the database user it connects as (created with `GRANT rds_iam TO <user>`)
   * @returns the function's grant (the proxy role's grant is added alongside)
   */
  public grantConnect(fn: lambda.IFunction, dbUser: string = 'app_user'): iam.Grant {
    if (fn instanceof lambda.Function && !fn.isBoundToVpc) {
      throw new PatternValidationError(this, `function ${fn.node.path} is not in a VPC; give it vpc (the database's VPC) to connect through the proxy`);
    }
    this.proxy.connections.allowFrom(fn, ec2.Port.tcp(this.port), `${fn.node.path} connects through the proxy`);
    if (fn instanceof lambda.Function) {
      fn.addEnvironment(DB_ENV.DB_PROXY_ENDPOINT, this.proxy.endpoint);
      fn.addEnvironment(DB_ENV.DB_PORT, String(this.port));
      fn.addEnvironment(DB_ENV.DB_NAME, this.databaseName);
      fn.addEnvironment(DB_ENV.DB_USER, dbUser);
    }
    this.allowProxyToConnectAs(dbUser);
    return this.proxy.grantConnect(fn, dbUser);
  }

  /** The proxy's own IAM login to the cluster as `dbUser` (end-to-end IAM authentication), once per user. */
  private allowProxyToConnectAs(dbUser: string): void {
    if (this.proxyUsers.has(dbUser)) return;
    this.proxyUsers.add(dbUser);
    let clusterResourceId: string;
    try {
      clusterResourceId = this.cluster.clusterResourceIdentifier;
    } catch {
      throw new PatternValidationError(this, `cluster ${this.cluster.node.path} has no clusterResourceIdentifier; import it with clusterResourceIdentifier (the proxy's role needs rds-db:connect on dbuser:<cluster resource id>/${dbUser})`);
    }
    iam.Grant.addToPrincipal({
      grantee: this.proxyRole,
      actions: ['rds-db:connect'],
      resourceArns: [Stack.of(this).formatArn({ service: 'rds-db', resource: 'dbuser', resourceName: `${clusterResourceId}/${dbUser}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    });
  }
}

/**
 * Props that would be ignored fail: v0.1's `cluster` and `secret` on the constructor (they moved to
 * `forCluster`), and, through `forCluster`, the props that shape a new cluster.
 */
function rejectMovedProps(scope: Construct, props: ProxiedDatabaseProps, existing: ProxiedDatabaseForClusterProps | undefined): void {
  const given = props as unknown as Record<string, unknown>;
  if (!existing) {
    const moved = ['cluster', 'secret'].filter((name) => given[name] !== undefined);
    if (moved.length > 0) {
      throw new PatternValidationError(scope, `${moved.join(' and ')} ${moved.length > 1 ? 'are' : 'is'} not a prop of the constructor, which creates a new cluster: `
        + 'front an existing cluster with ProxiedDatabase.forCluster(scope, id, { cluster, vpc, secret? })');
    }
    return;
  }
  const forCluster = existing as unknown as Record<string, unknown>;
  const ignored = NEW_CLUSTER_PROPS.filter((name) => forCluster[name] !== undefined);
  if (ignored.length > 0) {
    throw new PatternValidationError(scope, `${ignored.join(', ')} shape${ignored.length > 1 ? '' : 's'} a cluster the construct creates and cannot apply to the existing cluster given to forCluster: `
      + 'remove them (set them on your cluster), or let the constructor create the cluster');
  }
}

/** The proxy's port from an existing cluster's engine; only PostgreSQL is supported (the runtime helper speaks PostgreSQL). */
function proxyPortOf(scope: Construct, cluster: rds.IDatabaseCluster): number {
  const family = cluster.engine?.engineFamily;
  if (family === undefined) {
    throw new PatternValidationError(scope, `cluster ${cluster.node.path} has no engine: import it with engine: rds.DatabaseClusterEngine.auroraPostgres({ version }) `
      + '(the proxy\'s engine family and port come from it; ProxiedDatabase supports Aurora PostgreSQL only)');
  }
  const port = PROXY_PORTS[family];
  if (port === undefined) {
    throw new PatternValidationError(scope, `cluster ${cluster.node.path} is a ${family} cluster; ProxiedDatabase supports Aurora PostgreSQL only (engine family POSTGRESQL): `
      + 'its runtime helper (createDatabasePool) speaks PostgreSQL and the proxy would be opened on the PostgreSQL port. Use rds.DatabaseProxy directly for MySQL');
  }
  return port;
}

/** Lets a pattern's user-code functions reach a `ProxiedDatabase`. */
export interface DatabaseAccessOptions {
  /**
   * A database the pattern's user-code functions connect to, through its RDS Proxy: they are placed
   * in its VPC and `grantConnect` is called for each.
   *
   * @default - no database access; the functions are not in a VPC
   */
  readonly database?: ProxiedDatabase;
  /**
   * Subnets of the database's VPC for those functions.
   *
   * @default - the VPC's private subnets
   */
  readonly databaseSubnets?: ec2.SubnetSelection;
  /**
   * The database user the functions connect as: created once by the administrator for IAM login
   * (`CREATE USER <user>; GRANT rds_iam TO <user>;`, no password), see `ProxiedDatabase.grantConnect`.
   *
   * @default 'app_user'
   */
  readonly databaseUser?: string;
}

/** The function props that put a user-code function into the database's VPC (empty without a database). */
export function databaseFunctionProps(options: DatabaseAccessOptions): { vpc?: ec2.IVpc; vpcSubnets?: ec2.SubnetSelection } {
  return options.database ? { vpc: options.database.vpc, vpcSubnets: options.databaseSubnets } : {};
}
