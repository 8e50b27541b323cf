#!/usr/bin/env node
/**
 * cdk-serverless-patterns-local <cdk.out> [--stack NAME]... [--port N] [--logs] [--iam enforce|off]
 *
 * Runs the synthesized app on this machine until Ctrl-C: prints each HTTP API's URL, what is not
 * emulated, and one line per delivery. Errors in the input are one line on stderr, exit code 1.
 */
import { runLocalCloud } from './cloud';
import { LocalCloudError } from './errors';
import type { IamMode } from './iam';

export const USAGE = 'usage: cdk-serverless-patterns-local <cdk.out> [--stack NAME]... [--port N] [--logs] [--iam enforce|off]';

export interface CliArguments {
  readonly assemblyDir: string;
  readonly stacks: string[];
  readonly port?: number;
  readonly logs: boolean;
  /** Unset: enforce when the simulator is installed. */
  readonly iam?: IamMode;
}

/** Parses the command line (without `node` and the script). */
export function parseArguments(argv: readonly string[]): CliArguments {
  const stacks: string[] = [];
  const positional: string[] = [];
  let port: number | undefined;
  let logs = false;
  let iam: IamMode | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new LocalCloudError(`${arg} needs a value; ${USAGE}`);
      return v;
    };
    if (arg === '--stack') {stacks.push(value());} else if (arg.startsWith('--stack=')) {stacks.push(arg.slice('--stack='.length));} else if (arg === '--port' || arg.startsWith('--port=')) {
      const text = arg === '--port' ? value() : arg.slice('--port='.length);
      port = Number(text);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new LocalCloudError(`--port must be an integer from 1 to 65535, got ${text}`);
    } else if (arg === '--iam' || arg.startsWith('--iam=')) {
      const text = arg === '--iam' ? value() : arg.slice('--iam='.length);
      if (text !== 'enforce' && text !== 'off') throw new LocalCloudError(`--iam must be enforce or off, got ${text}`);
      iam = text;
    } else if (arg === '--logs') {logs = true;} else if (arg === '--help' || arg === '-h') {throw new LocalCloudError(USAGE);} else if (arg.startsWith('--')) {throw new LocalCloudError(`unknown option ${arg}; ${USAGE}`);} else {positional.push(arg);}
  }
  if (positional.length > 1) throw new LocalCloudError(`one cloud assembly folder, got ${positional.join(' ')}; ${USAGE}`);
  return { assemblyDir: positional[0] ?? 'cdk.out', stacks, port, logs, iam };
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const cloud = await runLocalCloud({
    assemblyDir: args.assemblyDir,
    stacks: args.stacks,
    port: args.port,
    iam: args.iam,
    onFunctionLog: args.logs ? (fn, line) => process.stdout.write(`  ${fn} | ${line}\n`) : undefined,
  });
  process.stdout.write(`local cloud running (${cloud.stacks.map((s) => s.id).join(', ')}); Ctrl-C to stop\n`);
  const stop = () => {
    cloud.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`cdk-serverless-patterns-local: ${error instanceof LocalCloudError ? error.message : error.stack ?? error.message}\n`);
    process.exit(1);
  });
}
