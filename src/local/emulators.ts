/**
 * The emulators the local cloud runs on, bound to 127.0.0.1 only: fauxqs (SQS, SNS, S3) in a child
 * process (it is ESM-only) and dynalite (DynamoDB) in this process. See ../shared/EMULATORS.md.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import type { AddressInfo, Server } from 'net';
import * as path from 'path';
import * as readline from 'readline';
import { LocalCloudError } from './errors';

/** A running emulator: its endpoint and how to stop it. */
export interface RunningEmulator {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The fauxqs server script: next to this module, both in the repository and in the package. */
export const FAUXQS_SERVER = path.join(__dirname, 'fauxqs-server.mjs');

/**
 * Starts fauxqs on 127.0.0.1 (at `port`, or a free one) in a child process. The child stops with
 * this process (its stdin closes).
 */
export async function startFauxqsProcess(port = 0): Promise<RunningEmulator> {
  if (!fs.existsSync(FAUXQS_SERVER)) throw new LocalCloudError(`fauxqs server script missing at ${FAUXQS_SERVER}`);
  const child: ChildProcess = spawn(process.execPath, [FAUXQS_SERVER], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, FAUXQS_PORT: String(port) },
  });
  const actual = await new Promise<number>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new LocalCloudError(`fauxqs exited with code ${code} before listening`)));
  });
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    port: actual,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; path?: string }) => Server;

/** Starts dynalite (DynamoDB, in memory) on 127.0.0.1 at `port` or a free one, in this process. */
export async function startDynaliteServer(port = 0, options: { readonly path?: string } = {}): Promise<RunningEmulator> {
  // With `path`, tables live on disk (LevelDB): a restart on the same path and port finds them.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    port: actual,
    // Also drops the open (keep-alive) connections, as a crashed server would.
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    }),
  };
}
