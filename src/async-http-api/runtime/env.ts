/**
 * Environment variables the AsyncHttpApi construct sets and its handlers (and `jobWorker`) read.
 * No imports: shared by synth-time and run-time code.
 */
export const ENV = {
  /** DynamoDB table of job records. */
  JOBS_TABLE_NAME: 'JOBS_TABLE_NAME',
  /** URL of the SQS queue that buffers jobs. */
  JOBS_QUEUE_URL: 'JOBS_QUEUE_URL',
  /** Largest request body accepted, in bytes. */
  MAX_PAYLOAD_BYTES: 'MAX_PAYLOAD_BYTES',
  /** How long a job record lives after creation, in seconds (DynamoDB TTL). */
  JOB_TTL_SECONDS: 'JOB_TTL_SECONDS',
  /** Optional JSON Schema (as JSON text) that request bodies must satisfy. */
  REQUEST_SCHEMA: 'REQUEST_SCHEMA',
  /** Receives after which the worker's failure is final (the queue's maxReceiveCount). */
  MAX_RECEIVE_COUNT: 'MAX_RECEIVE_COUNT',
  /** Optional EventBridge bus name that receives JobSucceeded / JobFailed. */
  COMPLETION_EVENT_BUS_NAME: 'COMPLETION_EVENT_BUS_NAME',
  /** Optional SNS topic ARN that receives JobSucceeded / JobFailed. */
  COMPLETION_TOPIC_ARN: 'COMPLETION_TOPIC_ARN',
  /**
   * Seconds a job may stay PENDING before a repeated Idempotency-Key enqueues it again (the submit
   * function crashed between recording and enqueueing it, or the message was lost).
   */
  STALE_PENDING_SECONDS: 'STALE_PENDING_SECONDS',
} as const;

/** Default of STALE_PENDING_SECONDS: 15 minutes, longer than any healthy queue wait we expect. */
export const DEFAULT_STALE_PENDING_SECONDS = 900;
/** Longest Idempotency-Key accepted (visible ASCII characters). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/**
 * Deepest nesting of arrays and objects accepted in a request body. Deeper bodies get 400: they
 * overflow recursive validators and workers (Python's json stops near 1,000 levels).
 */
export const MAX_JSON_DEPTH = 100;
/** The owner of jobs submitted to an API without authorization: every caller is the same one. */
export const ANONYMOUS_OWNER = 'anonymous';

/** The SQS maximum message size the design pins (256 KiB). */
export const SQS_MAX_MESSAGE_BYTES = 262_144;
/** Bytes kept free for the message envelope `{"jobId":"<uuid>","payload":...}` around the body. */
export const ENVELOPE_RESERVE_BYTES = 1_024;
/** Default and maximum of `maxPayloadBytes`: the SQS limit minus the envelope. */
export const MAX_PAYLOAD_BYTES = SQS_MAX_MESSAGE_BYTES - ENVELOPE_RESERVE_BYTES;
/** The `source` of completion events on EventBridge. */
export const COMPLETION_EVENT_SOURCE = 'cdk-serverless-patterns.async-http-api';
