/**
 * Lambda's asynchronous invocation (InvocationType Event), as S3, EventBridge and EventBridge
 * Scheduler use it: the caller is answered at once; a failed invocation is retried
 * `MaximumRetryAttempts` times (AWS::Lambda::EventInvokeConfig, default 2), then the event goes to
 * the OnFailure destination (a destination record) and/or the function's dead-letter queue (the
 * event itself); a success goes to the OnSuccess destination. Retries run at once locally (AWS
 * waits about one and then two minutes).
 */
import type { DeliverySink } from './deliveries';
import type { LocalFunction } from './lambda';

/** Sends a message body (and SQS/SNS message attributes) to a destination. */
export type DestinationSender = (body: string, attributes?: Record<string, string>) => Promise<void>;

export interface AsyncInvokeConfig {
  readonly maximumRetryAttempts: number;
  readonly onSuccess?: DestinationSender;
  readonly onFailure?: DestinationSender;
  readonly deadLetter?: DestinationSender;
}

/** The configuration Lambda applies when the template has no EventInvokeConfig. */
export const DEFAULT_ASYNC_CONFIG: AsyncInvokeConfig = { maximumRetryAttempts: 2 };

/** Invokes `fn` asynchronously with `event`; settles when the event is delivered or given up. */
export async function invokeAsync(
  fn: LocalFunction, event: unknown, config: AsyncInvokeConfig, source: string, sink: DeliverySink,
): Promise<void> {
  const attempts = 1 + config.maximumRetryAttempts;
  const resource = `${source} -> ${fn.definition.logicalId} (async)`;
  let last: Awaited<ReturnType<LocalFunction['invoke']>> | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    last = await fn.invoke(event);
    if (last.ok) {
      await config.onSuccess?.(JSON.stringify(destinationRecord(fn, event, 'Success', attempt, { statusCode: 200, executedVersion: '$LATEST' }, last.result)));
      sink({ service: 'lambda', resource, outcome: 'ok', detail: `attempt ${attempt}` });
      return;
    }
  }
  const error = (last as { ok: false; error: { errorType: string; errorMessage: string } }).error;
  const routed: string[] = [];
  if (config.onFailure) {
    await config.onFailure(JSON.stringify(destinationRecord(fn, event, 'RetriesExhausted', attempts,
      { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' }, error)));
    routed.push('OnFailure destination');
  }
  if (config.deadLetter) {
    await config.deadLetter(JSON.stringify(event), { RequestID: `local-${Date.now()}`, ErrorCode: '200', ErrorMessage: error.errorMessage });
    routed.push('dead-letter queue');
  }
  sink({
    service: 'lambda',
    resource,
    outcome: 'failed',
    detail: `${error.errorType}: ${error.errorMessage} after ${attempts} attempts${routed.length ? `; sent to the ${routed.join(' and ')}` : '; dropped'}`,
  });
}

function destinationRecord(
  fn: LocalFunction, event: unknown, condition: string, attempts: number, responseContext: object, responsePayload: unknown,
): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: `local-${Date.now().toString(16)}`, functionArn: `${fn.definition.functionArn}:$LATEST`, condition, approximateInvokeCount: attempts },
    requestPayload: event,
    responseContext,
    responsePayload,
  };
}
