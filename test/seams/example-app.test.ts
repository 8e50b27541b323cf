/**
 * Every service-to-service edge of every stack of the example app, simulated with the template's
 * identity, resource and key policies (see edges.ts and simulate.ts). The table of edges is
 * printed; a failure names the edge, and an edge the simulator cannot model is named too.
 */
import { uncoveredResources } from './edges';
import { EXAMPLE_STACKS, synthExampleApp } from './helpers';
import { SeamModel } from './model';
import { EdgeResult, evaluateModel, failuresOf, formatEdgeTable, notModelledOf } from './simulate';

let results: EdgeResult[] = [];
let model: SeamModel;
let cleanup = () => {};

beforeAll(async () => {
  const synth = synthExampleApp();
  cleanup = synth.cleanup;
  model = SeamModel.fromAssembly(synth.assembly);
  results = await evaluateModel(model);
  const notModelled = notModelledOf(results);
  console.log(`Seams of the example app (caller → action → resource → result)\n\n${formatEdgeTable(results)}\n`
    + `Not modelled (${notModelled.length}):\n${notModelled.map((n) => `  ${n}`).join('\n')}`);
}, 300_000);

afterAll(() => cleanup());

test.each(EXAMPLE_STACKS.filter((s) => s !== 'SharedExample'))('%s: every edge is allowed and every stranger is denied', (stack) => {
  expect(results.filter((r) => r.edge.stack === stack).length).toBeGreaterThan(0);
  expect(failuresOf(results.filter((r) => r.edge.stack === stack))).toEqual([]);
});

test('SharedExample: its alarm topic and key are reached by the alarms of every other stack', () => {
  const reached = results.filter((r) => r.edge.resourceLabel.startsWith('SharedExample/'));
  expect(new Set(reached.map((r) => r.edge.stack))).toEqual(new Set(EXAMPLE_STACKS.filter((s) => !['SharedExample', 'StaticSiteExample'].includes(s))));
  expect(new Set(reached.map((r) => `${r.edge.kind} ${r.edge.action}`))).toEqual(new Set([
    'alarm → topic sns:Publish', 'alarm → topic key kms:GenerateDataKey', 'alarm → topic key kms:Decrypt',
  ]));
});

test('every resource that calls across a seam (alarm with actions, notification, subscription, schedule, state machine, function, event source, destination, proxy, distribution, route) has its edges', () => {
  expect(uncoveredResources(model, results.map((r) => r.edge))).toEqual([]);
});

test('covers the kinds of seam every composition of the example app has', () => {
  const kinds = new Set(results.map((r) => r.edge.kind));
  for (const kind of [
    'alarm → topic', 'alarm → topic key', 's3 → queue', 'sns → queue', 'sns → subscription DLQ',
    'schedule → target', 'schedule → DLQ', 'state machine → task', 'state machine → logs', 'state machine → X-Ray',
    'service → role (trust)', 'function → logs', 'function → X-Ray', 'function → VPC', 'function ← queue',
    'function → table', 'function → queue', 'function → topic', 'function → topic key', 'function → eventbus',
    'function → bucket', 'function → notified bucket', 'function → rds-db:connect', 'cloudfront → origin', 'http api → function', 's3 → access logs',
  ]) {
    expect(kinds).toContain(kind);
  }
});

test('names every edge it cannot model, with the reason', () => {
  expect(notModelledOf(results).map((n) => n.replace(/^(\w+): .* not modelled: /, '$1: '))).toEqual([
    expect.stringMatching(/^StaticSiteExample: CloudFront standard logs \(legacy\)/),
    expect.stringMatching(/^StaticSiteExample: CloudFront standard logs \(legacy\)/),
    expect.stringMatching(/^StaticSiteExample: the log bucket grants the S3 log delivery group through its LogDeliveryWrite ACL/),
    expect.stringMatching(/^StaticSiteExample: the log bucket grants the S3 log delivery group through its LogDeliveryWrite ACL/),
    expect.stringMatching(/^FileProcessingPipelineExample: the log bucket grants the S3 log delivery group through its LogDeliveryWrite ACL/),
    expect.stringMatching(/^FileProcessingPipelineExample: the log bucket grants the S3 log delivery group through its LogDeliveryWrite ACL/), // the thumbnail pipeline's own log bucket,
  ]);
});
