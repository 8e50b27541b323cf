import { createHash } from 'crypto';
import { jobWorker } from 'cdk-serverless-patterns-runtime/job-worker';

interface ReportRequest {
  readonly customerId: string;
  readonly lines: { readonly sku: string; readonly quantity: number; readonly unitPrice: number }[];
}

/**
 * Builds an invoice summary: the kind of work that outlives an HTTP timeout when the real report
 * renders a PDF. The resolved value becomes the job's result; a throw is retried by SQS.
 */
export const handler = jobWorker<ReportRequest>(async (job) => {
  const total = job.payload.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
  const digest = createHash('sha256').update(JSON.stringify(job.payload)).digest('hex').slice(0, 16);
  return {
    customerId: job.payload.customerId,
    lineCount: job.payload.lines.length,
    total: Math.round(total * 100) / 100,
    reportId: `rpt-${digest}`,
  };
});
