import { Logger } from '@aws-lambda-powertools/logger';

const logger = new Logger();

/** The static payload the schedule sends on every run. */
interface ReportRequest {
  readonly report?: string;
  readonly lookbackDays?: number;
}

/**
 * Builds the nightly report for the last `lookbackDays` days. Throwing makes Lambda retry the run
 * twice, then send it with its error to the function's failure queue.
 */
export const handler = async (event: ReportRequest): Promise<{ report: string; from: string; to: string }> => {
  const report = event.report ?? 'daily-sales';
  const lookbackDays = event.lookbackDays ?? 1;
  if (!Number.isInteger(lookbackDays) || lookbackDays < 1) {
    throw new Error(`lookbackDays must be a positive integer, got ${lookbackDays}`);
  }
  const to = new Date();
  const from = new Date(to.getTime() - lookbackDays * 24 * 60 * 60 * 1000);
  logger.info('building report', { report, from: from.toISOString(), to: to.toISOString() });
  return { report, from: from.toISOString(), to: to.toISOString() };
};
