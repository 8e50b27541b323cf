import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { fanOutConsumer } from 'cdk-serverless-patterns-runtime/fan-out-consumer';

const metrics = new Metrics();

/** Counts orders and their value as custom metrics; independent of the other consumers. */
export const handler = async (...args: Parameters<ReturnType<typeof fanOutConsumer>>) => {
  try {
    return await consume(...args);
  } finally {
    metrics.publishStoredMetrics();
  }
};

const consume = fanOutConsumer<{ orderId: string; total?: number }>(async ({ message }) => {
  metrics.addMetric('OrdersPlaced', MetricUnit.Count, 1);
  if (typeof message.total === 'number') metrics.addMetric('OrderValue', MetricUnit.NoUnit, message.total);
});
