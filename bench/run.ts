/**
 * `npm run bench`: every benchmark, figures printed as tables. Benchmarks are not tests: they
 * print figures and fail only when a correctness check inside them fails (a lost job).
 * `--smoke` runs each at the smallest size so CI keeps them from rotting.
 */
import { benchAsyncPipeline } from './async-pipeline';
import { benchHandlers, handlerTable } from './handlers';

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  console.log(`cdk-serverless-patterns benchmarks${smoke ? ' (smoke mode)' : ''} on node ${process.version}, ${new Date().toISOString()}`);

  console.log('\nShipped handlers: bundle size and cold module init (median of fresh processes)');
  console.table(handlerTable(benchHandlers(smoke ? 3 : 21)));

  const jobs = smoke ? 100 : 10_000;
  console.log(`\nAsyncHttpApi local pipeline: ${jobs} jobs through fauxqs + dynalite`);
  const pipeline = await benchAsyncPipeline(jobs);
  console.table([{
    'jobs': pipeline.jobs,
    'submit jobs/s': Math.round(pipeline.jobs / pipeline.submitSeconds),
    'process jobs/s': Math.round(pipeline.jobs / pipeline.processSeconds),
    'succeeded': pipeline.succeeded,
    'lost': pipeline.lost,
  }]);
  if (pipeline.lost !== 0) throw new Error(`lost ${pipeline.lost} jobs`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
