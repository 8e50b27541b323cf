import { createDatabasePool } from 'cdk-serverless-patterns-runtime/database';
import { jobWorker } from 'cdk-serverless-patterns-runtime/job-worker';

// Once per container: connections through the RDS Proxy are reused across invocations, and the
// IAM token is refreshed before it expires.
const db = createDatabasePool();

/** Totals a customer's orders in PostgreSQL; the result becomes the job's result. */
export const handler = jobWorker<{ customerId: string }>(async (job) => {
  const { rows } = await db.query<{ orders: string; total: string | null }>(
    'SELECT count(*) AS orders, sum(amount) AS total FROM orders WHERE customer_id = $1',
    [job.payload.customerId],
  );
  return { customerId: job.payload.customerId, orders: Number(rows[0].orders), total: Number(rows[0].total ?? 0) };
});
