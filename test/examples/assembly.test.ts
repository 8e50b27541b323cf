/**
 * The example app's cloud assembly is deployable as written: nothing in it waits for a context
 * lookup (an account-less synth leaves lookups unresolved and fills in placeholders such as the
 * availability zones `dummy1a`), and the aws-cdk CLI the project pins reads it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildExampleApp } from '../../examples/app';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-assembly-'));
const assembly = buildExampleApp(outdir).synth();
const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

test('the assembly lists no missing context (no lookup is left for an AWS account to resolve)', () => {
  expect(manifest.missing ?? []).toEqual([]);
});

test.each(assembly.stacks.map((s) => [s.stackName, s.templateFullPath]))('the %s template holds no placeholder value', (_name, file) => {
  const text = fs.readFileSync(file, 'utf8');
  // aws-cdk-lib's dummy values for unresolved lookups: dummy1a/b/c zones, vpc-12345, ami-1234, ...
  expect(text.match(/"[^"]*\bdummy[^"]*"/g) ?? []).toEqual([]);
});

test('the database example spreads its subnets over real zones of its region', () => {
  const db = assembly.getStackByName('DatabaseExample').template;
  const zones = Object.values<any>(db.Resources).filter((r) => r.Type === 'AWS::EC2::Subnet').map((r) => r.Properties.AvailabilityZone);
  expect(zones.length).toBeGreaterThanOrEqual(2);
  for (const zone of zones) expect(zone).toMatch(/^eu-west-1[a-c]$/);
});

test('the pinned aws-cdk CLI lists every stack of the assembly without AWS credentials', () => {
  // GIVEN the CLI from devDependencies, no credentials in the environment
  const cli = require.resolve('aws-cdk/bin/cdk');
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', CDK_DISABLE_CLI_TELEMETRY: 'true' };
  // WHEN
  const listed = execFileSync(process.execPath, [cli, 'ls', '--app', outdir, '--no-notices'], { env, encoding: 'utf8' }).trim().split('\n');
  // THEN
  expect(listed.sort()).toEqual(assembly.stacks.map((s) => s.stackName).sort());
});

test('the thumbnailer (Handler.fromEntry, nodeModules sharp) ships sharp built for Linux arm64 only', () => {
  // GIVEN the processor function of the Thumbnails pipeline and its asset folder in the assembly
  const stack = assembly.getStackByName('FileProcessingPipelineExample');
  const fn = Object.entries<any>(stack.template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('ThumbnailsProcessor'))![1];
  expect(fn.Properties.Architectures).toEqual(['arm64']);
  const assetPath = `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`;
  const modules = path.join(outdir, assetPath, 'node_modules', '@img');
  // THEN the native packages are the arm64 Linux ones, and the addon is an AArch64 ELF file
  const packages = fs.readdirSync(modules).sort();
  expect(packages).toEqual(expect.arrayContaining(['sharp-libvips-linux-arm64', 'sharp-linux-arm64']));
  expect(packages.filter((p) => /x64|darwin|win32|musl|wasm/.test(p))).toEqual([]);
  const addon = fs.readdirSync(path.join(modules, 'sharp-linux-arm64', 'lib')).find((f) => f.endsWith('.node'))!;
  const header = fs.readFileSync(path.join(modules, 'sharp-linux-arm64', 'lib', addon)).subarray(0, 20);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(header.readUInt16LE(18)).toBe(183); // e_machine EM_AARCH64
});

test('the example app passes its platform guardrails (the main job fails on any guardrail error)', () => {
  const errors = assembly.stacks.flatMap((s) => s.messages.filter((m) => m.level === 'error').map((m) => `${m.id}: ${m.entry.data}`));
  expect(errors).toEqual([]);
});
