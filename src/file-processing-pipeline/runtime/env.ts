/**
 * Environment variables the FileProcessingPipeline construct sets on the processor and
 * `fileProcessor` reads. No imports: shared by synth-time and run-time code.
 */
export const FILE_ENV = {
  /** The bucket outputs are written to. */
  OUTPUT_BUCKET_NAME: 'OUTPUT_BUCKET_NAME',
  /** Prefix of every output key. */
  OUTPUT_PREFIX: 'OUTPUT_PREFIX',
  /** The input filter, checked again at run time (defence in depth against recursion). */
  INPUT_PREFIX: 'INPUT_PREFIX',
  /** Comma-separated input suffixes; empty for any. */
  INPUT_SUFFIXES: 'INPUT_SUFFIXES',
  /** Receives after which a failure is final (the queue's maxReceiveCount). */
  MAX_RECEIVE_COUNT: 'MAX_RECEIVE_COUNT',
  /** Optional SNS topic ARN for FileProcessed / FileFailed notices. */
  NOTIFICATION_TOPIC_ARN: 'NOTIFICATION_TOPIC_ARN',
  /** Optional EventBridge bus name for FileProcessed / FileFailed events. */
  NOTIFICATION_EVENT_BUS_NAME: 'NOTIFICATION_EVENT_BUS_NAME',
} as const;

/** The `source` of FileProcessingPipeline events on EventBridge. */
export const FILE_EVENT_SOURCE = 'cdk-serverless-patterns.file-processing-pipeline';
