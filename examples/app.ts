/**
 * The example app: composes every pattern of the library, one stack each, synthesizes it into
 * cdk.out/, prints a per-stack summary and fails on any cdk-nag error (AwsSolutions + Serverless).
 *
 * Run it with `npx cdk synth` (cdk.json at the repository root), or `npm run synth:example`, which
 * bundles the library's handlers first. No AWS account is needed: the app makes no context lookups.
 */
import * as path from 'path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ServerlessDefaults, ServerlessGuardrails } from '../src';
import { AsyncHttpApiExampleStack } from './async-http-api/stack';
import { CoreExampleStack } from './core/stack';
import { DatabaseExampleStack } from './database/stack';
import { FanOutExampleStack } from './fan-out/stack';
import { FileProcessingPipelineExampleStack } from './file-processing-pipeline/stack';
import { SagaOrchestratorExampleStack } from './saga-orchestrator/stack';
import { ScheduledJobExampleStack } from './scheduled-job/stack';
import { ServerlessRestApiExampleStack } from './serverless-rest-api/stack';
import { StaticSiteExampleStack } from './static-site/stack';
import { TableChangeHandlerExampleStack } from './table-change/stack';
import { nagFindings } from '../test/helpers/nag';

export function buildExampleApp(outdir?: string): App {
  // Under the aws-cdk CLI (`npx cdk synth`, cdk.json) the CLI chooses the output folder (CDK_OUTDIR).
  const app = new App({ outdir: outdir ?? (process.env.CDK_OUTDIR ? undefined : path.join(__dirname, '..', 'cdk.out')) });
  const env = { account: '123456789012', region: 'eu-west-1' };

  // One place for every alarm of every pattern: what a platform team wires to its on-call tool.
  const shared = new Stack(app, 'SharedExample', { env });
  const alarmKey = new kms.Key(shared, 'AlarmTopicKey', { enableKeyRotation: true });
  const alarmTopic = new sns.Topic(shared, 'AlarmTopic', { masterKey: alarmKey, enforceSSL: true });

  new CoreExampleStack(app, 'CoreExample', { env, alarmTopic });
  new AsyncHttpApiExampleStack(app, 'AsyncHttpApiExample', { env, alarmTopic });
  new FanOutExampleStack(app, 'FanOutExample', { env, alarmTopic });
  new FileProcessingPipelineExampleStack(app, 'FileProcessingPipelineExample', { env, alarmTopic });
  new ScheduledJobExampleStack(app, 'ScheduledJobExample', { env, alarmTopic });
  new SagaOrchestratorExampleStack(app, 'SagaOrchestratorExample', { env, alarmTopic });
  new StaticSiteExampleStack(app, 'StaticSiteExample', { env, alarmTopic });
  new DatabaseExampleStack(app, 'DatabaseExample', { env, alarmTopic });
  new ServerlessRestApiExampleStack(app, 'ServerlessRestApiExample', { env, alarmTopic });
  new TableChangeHandlerExampleStack(app, 'TableChangeHandlerExample', { env, alarmTopic });

  // The platform team's guardrails: every stack must pass them (errors fail the main job).
  Aspects.of(app).add(new ServerlessDefaults({ arm64RuntimeFamilies: [lambda.RuntimeFamily.NODEJS] }));
  Aspects.of(app).add(new ServerlessGuardrails());
  return app;
}

function main(): void {
  const app = buildExampleApp();
  const assembly = app.synth();
  const findings = nagFindings(app);
  const guardrailErrors = assembly.stacks.flatMap((st) => st.messages.filter((m) => m.level === 'error').map((m) => `${m.id}: ${m.entry.data}`));
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity !== 'error');

  const rows = assembly.stacks.map((s) => {
    const resources = Object.values<{ Type: string }>(s.template.Resources ?? {});
    const count = (type: string) => resources.filter((r) => r.Type === type).length;
    return {
      stack: s.stackName,
      resources: resources.length,
      functions: count('AWS::Lambda::Function'),
      queues: count('AWS::SQS::Queue'),
      alarms: count('AWS::CloudWatch::Alarm'),
      nagErrors: errors.filter((f) => f.path.startsWith(`${s.stackName}/`)).length,
      nagWarnings: warnings.filter((f) => f.path.startsWith(`${s.stackName}/`)).length,
    };
  });
  console.log(`Synthesized ${assembly.stacks.length} stacks into ${assembly.directory}`);
  console.table(rows);
  for (const w of warnings) console.log(`cdk-nag warning: ${w.rule} at ${w.path}`);
  for (const g of guardrailErrors) console.error(`guardrail ERROR at ${g}`);
  console.log(`ServerlessGuardrails: ${guardrailErrors.length} errors`);
  if (errors.length > 0 || guardrailErrors.length > 0) {
    for (const e of errors) console.error(`cdk-nag ERROR: ${e.rule} at ${e.path}`);
    console.error(`${errors.length} cdk-nag errors, ${guardrailErrors.length} guardrail errors`);
    process.exit(1);
  }
  console.log('cdk-nag: 0 errors (AwsSolutions + Serverless packs)');
}

if (require.main === module) {
  main();
}
