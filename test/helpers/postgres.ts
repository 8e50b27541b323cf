/**
 * A throwaway PostgreSQL server for a test file, on 127.0.0.1 at a free port: initdb into a
 * temporary folder, password (SCRAM) authentication, started with pg_ctl, stopped and deleted
 * after. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
 * Binaries come from scripts/ensure-postgres.sh (Debian's postgresql package).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface RunningPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  stop(): void;
}

/** The folder holding initdb and pg_ctl, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  const candidates = ['/usr/lib/postgresql'].filter(fs.existsSync)
    .flatMap((root) => fs.readdirSync(root).sort().reverse().map((v) => path.join(root, v, 'bin')));
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'initdb')));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface StartPostgresOptions {
  /** pg_hba.conf lines placed before the default ones (first match wins). @default none */
  readonly hba?: string[];
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found: run scripts/ensure-postgres.sh');
  const root = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-'));
  const data = path.join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(path.join(dir, 'pwfile'), password);
  if (root) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const run = (cmd: string, args: string[]) => execFileSync(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { stdio: 'pipe', cwd: dir });
  run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${path.join(dir, 'pwfile')}`, '-E', 'UTF8']);
  if (options.hba?.length) {
    const hbaFile = path.join(data, 'pg_hba.conf');
    // Rewriting the existing file keeps its owner (the postgres user when running as root).
    fs.writeFileSync(hbaFile, `${options.hba.join('\n')}\n${fs.readFileSync(hbaFile, 'utf8')}`);
  }
  const port = await freePort();
  run(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`, 'start']);
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    stop: () => {
      try {
        run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
