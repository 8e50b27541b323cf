import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readAssembly, selectStacks } from '../../src/local/assembly';
import { parseArguments } from '../../src/local/cli';
import { runLocalCloud } from '../../src/local/cloud';

function tinyAssembly(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-assembly-'));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
    version: '54.0.0',
    artifacts: {
      Api: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: 'Api.template.json' } },
      Tree: { type: 'cdk:tree', properties: { file: 'tree.json' } },
    },
  }));
  fs.writeFileSync(path.join(dir, 'Api.template.json'), JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } }));
  return dir;
}

describe('reading a cloud assembly', () => {
  test('lists its stacks, with a default account and region for environment-agnostic ones', () => {
    const assembly = readAssembly(tinyAssembly());
    expect(assembly.stacks.map((s) => [s.id, s.account, s.region])).toEqual([['Api', '123456789012', 'us-east-1']]);
  });

  test('fails in one line for a missing folder', () => {
    expect(() => readAssembly('/nonexistent/cdk.out')).toThrow(/^no cloud assembly at \/nonexistent\/cdk.out: run `npx cdk synth` first/);
  });

  test('fails in one line for a folder that is not an assembly', () => {
    expect(() => readAssembly(os.tmpdir())).toThrow(/is not a cloud assembly \(no manifest.json\)/);
  });

  test('fails for an unknown stack, naming the stacks there are', () => {
    expect(() => selectStacks(readAssembly(tinyAssembly()), ['Nope'])).toThrow(/^no stack named Nope in .*; stacks: Api$/);
  });

  test('fails to start the local cloud for an unknown stack before starting any emulator', async () => {
    await expect(runLocalCloud({ assemblyDir: tinyAssembly(), stacks: ['Nope'], print: false })).rejects.toThrow(/no stack named Nope/);
  });
});

describe('the command line', () => {
  test('takes the assembly folder, repeated --stack, --port and --logs', () => {
    expect(parseArguments(['out', '--stack', 'A', '--stack=B', '--port', '8080', '--logs']))
      .toEqual({ assemblyDir: 'out', stacks: ['A', 'B'], port: 8080, logs: true });
  });

  test('takes --iam enforce|off, and fails for any other value', () => {
    expect(parseArguments(['--iam', 'off']).iam).toBe('off');
    expect(parseArguments(['--iam=enforce']).iam).toBe('enforce');
    expect(parseArguments([]).iam).toBeUndefined();
    expect(() => parseArguments(['--iam', 'audit'])).toThrow('--iam must be enforce or off, got audit');
  });

  test('defaults the assembly folder to cdk.out', () => {
    expect(parseArguments([])).toEqual({ assemblyDir: 'cdk.out', stacks: [], port: undefined, logs: false });
  });

  test('fails for a port that is not one, an unknown option, or a missing value', () => {
    expect(() => parseArguments(['--port', '0'])).toThrow('--port must be an integer from 1 to 65535, got 0');
    expect(() => parseArguments(['--verbose'])).toThrow(/^unknown option --verbose; usage:/);
    expect(() => parseArguments(['--stack'])).toThrow(/^--stack needs a value/);
  });
});

describe('the cdk-serverless-patterns-local command', () => {
  const cli = path.join(__dirname, '..', '..', 'src', 'local', 'cli.ts');
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 60_000 });

  test('fails with exit code 1 and one line on stderr for a missing cdk.out', () => {
    const result = run('/nonexistent/cdk.out');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('cdk-serverless-patterns-local: no cloud assembly at /nonexistent/cdk.out: run `npx cdk synth` first (or pass the cdk.out folder)\n');
  });

  test('fails with exit code 1 and one line on stderr for an unknown stack', () => {
    const result = run(tinyAssembly(), '--stack', 'Nope');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^cdk-serverless-patterns-local: no stack named Nope in .*; stacks: Api\n$/);
  });
});

describe('the local package', () => {
  test('does not depend on the IAM simulator (AGPL-3.0): it is loaded at run time when the user installed it', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'packages', 'local', 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const declared = ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies'].flatMap((field) => Object.keys(manifest[field] ?? {}));
    expect(declared.filter((name) => name.startsWith('@cloud-copilot/'))).toEqual([]);
  });
});
