/**
 * Shared by the seams tests: synthesizes the example app (examples/app.ts) into a temporary
 * cloud assembly and reads it back, as `cdk synth` would leave it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildExampleApp } from '../../examples/app';

/** The stacks of the example app, in the order examples/app.ts creates them. */
export const EXAMPLE_STACKS = [
  'SharedExample', 'CoreExample', 'AsyncHttpApiExample', 'FanOutExample', 'FileProcessingPipelineExample',
  'ScheduledJobExample', 'SagaOrchestratorExample', 'StaticSiteExample', 'DatabaseExample',
  'ServerlessRestApiExample',
  'TableChangeHandlerExample',
];

/** Synthesizes the example app into a new temporary folder; `cleanup()` removes it. */
export function synthExampleApp(): { assembly: CloudAssembly; cleanup: () => void } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'seams-example-'));
  const assembly = buildExampleApp(outdir).synth();
  return { assembly, cleanup: () => fs.rmSync(outdir, { recursive: true, force: true }) };
}
