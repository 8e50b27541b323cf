/**
 * `fileProcessor`: wraps a function that processes one uploaded object as the SQS handler of a
 * FileProcessingPipeline. It decodes the S3 event (keys are URL-encoded, `+` is a space), skips
 * `s3:TestEvent`, skips keys outside the input filter, gives the function the object and a
 * `read()`/`stream()` and a `write()` into the output bucket, and reports failed messages as
 * batch item failures (also when the whole batch failed: the invocation itself does not fail).
 * Notices are sent once the outcome is final: `FileProcessed` after the function succeeded (a
 * notice that cannot be sent is logged, never a reason to process the file again), `FileFailed`
 * after it failed on the last delivery, before the message moves to the dead-letter queue.
 */
import type { Readable } from 'stream';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, S3Event, S3EventRecord, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { FILE_ENV, FILE_EVENT_SOURCE } from '../file-processing-pipeline/runtime/env';

/** The uploaded object the processing function receives. */
export interface InputFile {
  readonly bucket: string;
  /** The decoded key (as uploaded, not URL-encoded). */
  readonly key: string;
  readonly size: number;
  readonly eTag?: string;
  readonly versionId?: string;
  /** Reads the object's bytes into memory (the version that triggered the event, when versioned). */
  read(): Promise<Buffer>;
  /** Streams the object's bytes, for objects too large for memory (the same version as `read()`). */
  stream(): Promise<Readable>;
  /**
   * Writes an output object under the output prefix of the output bucket; returns its full key.
   */
  write(relativeKey: string, body: Buffer | string, contentType?: string): Promise<string>;
}

/** What the processing function may return: extra output keys it wrote itself. */
export interface ProcessResult {
  readonly outputs?: string[];
}

export type FileHandler = (file: InputFile, context: Context) => Promise<ProcessResult | void>;

export interface FileProcessorOptions {
  /** Logger to use. @default a new Logger */
  readonly logger?: Logger;
  /**
   * Send the `FileProcessed` / `FileFailed` notices to the pipeline's topic or bus (when the
   * construct configured one). Turn off when the function sends its own.
   * @default true
   */
  readonly notices?: boolean;
}

const defaultLogger = new Logger();
const s3 = new S3Client({});
const sns = new SNSClient({});
const eventBridge = new EventBridgeClient({});

/** An S3 event key as uploaded: S3 URL-encodes keys in events and writes spaces as `+`. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The S3 records of an SQS message; none for the s3:TestEvent S3 sends when notifications are set up. */
export function s3RecordsOf(record: SQSRecord): S3EventRecord[] {
  const body = JSON.parse(record.body) as Partial<S3Event> & { Event?: string };
  if (body.Event === 's3:TestEvent') return [];
  if (!Array.isArray(body.Records)) throw new Error(`message ${record.messageId} is not an S3 event notification`);
  return body.Records;
}

function matchesFilter(key: string, prefix: string, suffixes: string[]): boolean {
  return key.startsWith(prefix) && (suffixes.length === 0 || suffixes.some((s) => key.endsWith(s)));
}

/** Creates the SQS handler of a FileProcessingPipeline processor. */
export function fileProcessor(
  handle: FileHandler, options: FileProcessorOptions = {},
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const logger = options.logger ?? defaultLogger;
  const notices = options.notices ?? true;
  return async (event, context) => {
    const outputBucket = process.env[FILE_ENV.OUTPUT_BUCKET_NAME];
    if (!outputBucket) throw new Error(`fileProcessor: environment variable ${FILE_ENV.OUTPUT_BUCKET_NAME} is not set; the FileProcessingPipeline construct sets it`);
    const outputPrefix = process.env[FILE_ENV.OUTPUT_PREFIX] ?? '';
    const inputPrefix = process.env[FILE_ENV.INPUT_PREFIX] ?? '';
    const suffixes = (process.env[FILE_ENV.INPUT_SUFFIXES] ?? '').split(',').filter(Boolean);
    const maxReceiveCount = Number(process.env[FILE_ENV.MAX_RECEIVE_COUNT] ?? '5');
    const processor = new BatchProcessor(EventType.SQS);

    const recordHandler = async (record: SQSRecord): Promise<void> => {
      const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
      for (const s3Record of s3RecordsOf(record)) {
        const bucket = s3Record.s3.bucket.name;
        const key = decodeS3Key(s3Record.s3.object.key);
        if (!matchesFilter(key, inputPrefix, suffixes)) {
          logger.warn('key outside the input filter; skipped', { bucket, key });
          continue;
        }
        const started = Date.now();
        const written: string[] = [];
        const file: InputFile = {
          bucket,
          key,
          size: s3Record.s3.object.size,
          eTag: s3Record.s3.object.eTag,
          versionId: s3Record.s3.object.versionId,
          read: async () => {
            const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: s3Record.s3.object.versionId }));
            return Buffer.from(await out.Body!.transformToByteArray());
          },
          stream: async () => {
            const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: s3Record.s3.object.versionId }));
            return out.Body as Readable; // in Node.js the SDK's body is a Readable
          },
          write: async (relativeKey, body, contentType) => {
            const outputKey = `${outputPrefix}${relativeKey}`;
            await s3.send(new PutObjectCommand({ Bucket: outputBucket, Key: outputKey, Body: body, ContentType: contentType }));
            written.push(outputKey);
            return outputKey;
          },
        };
        let outputs: string[];
        try {
          const result = await handle(file, context);
          outputs = [...written, ...(result?.outputs ?? [])];
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          if (attempt >= maxReceiveCount) {
            logger.error('file failed on its last attempt; the event goes to the dead-letter queue', { bucket, key, error: err });
            if (notices) {
              await notify('FileFailed', { bucket, key, error: { name: err.name, message: err.message }, attempts: attempt })
                .catch((noticeError) => logger.error('could not send the FileFailed notice', { bucket, key, error: noticeError as Error }));
            }
          } else {
            logger.warn('file failed; SQS will retry', { bucket, key, attempt, error: err });
          }
          throw err;
        }
        logger.info('file processed', { bucket, key, outputs });
        // The outcome is final: a notice that cannot be sent must not process the file again.
        if (notices) {
          await notify('FileProcessed', { bucket, key, outputBucket, outputKeys: outputs, size: file.size, durationMs: Date.now() - started })
            .catch((noticeError) => logger.error('could not send the FileProcessed notice; the file is not processed again', { bucket, key, error: noticeError as Error }));
        }
      }
    };
    return processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  };
}

async function notify(type: 'FileProcessed' | 'FileFailed', detail: Record<string, unknown>): Promise<void> {
  const topicArn = process.env[FILE_ENV.NOTIFICATION_TOPIC_ARN];
  const busName = process.env[FILE_ENV.NOTIFICATION_EVENT_BUS_NAME];
  if (topicArn) {
    await sns.send(new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify({ type, ...detail }),
      MessageAttributes: { type: { DataType: 'String', StringValue: type } },
    }));
  }
  if (busName) {
    const out = await eventBridge.send(new PutEventsCommand({
      Entries: [{ EventBusName: busName, Source: FILE_EVENT_SOURCE, DetailType: type, Detail: JSON.stringify(detail) }],
    }));
    if (out.FailedEntryCount) throw new Error(`EventBridge rejected the ${type} event: ${out.Entries?.[0]?.ErrorMessage}`);
  }
}
