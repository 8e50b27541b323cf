/**
 * `tableChangeHandler`: wraps a function that handles one change of a DynamoDB table as the
 * DynamoDB Streams handler of a TableChangeHandler. Each stream record becomes a typed change: the
 * images unmarshalled (`@aws-sdk/util-dynamodb`) into the item type, and deletes told apart: a
 * user's `remove` or a TTL `expire` (DynamoDB's TTL process deletes as userIdentity
 * `{ type: "Service", principalId: "dynamodb.amazonaws.com" }`). The batch is processed with
 * Powertools batch (`BatchProcessor(EventType.DynamoDBStreams)`), one record after the other, in
 * stream order: after a record fails, the records after it in the batch are not run and are
 * reported failed too, so the event source mapping (ReportBatchItemFailures) retries from the
 * failed record and a later change of the same item is never applied before an earlier one. When
 * the first record fails, the invocation fails, so a mapping with BisectBatchOnFunctionError
 * isolates it in a batch of its own before it is sent to the on-failure destination.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/** What happened to the item: `expire` is a TTL delete, `remove` any other delete. */
export type TableChangeKind = 'insert' | 'modify' | 'remove' | 'expire';

/** What the change function receives for each stream record. */
export interface TableChange<TItem = Record<string, unknown>> {
  readonly kind: TableChangeKind;
  /** The stream's event name (a TTL delete is a REMOVE). */
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** The item's key attributes, unmarshalled. */
  readonly keys: Record<string, unknown>;
  /** The item after the change (insert, modify; with a NEW_IMAGE or NEW_AND_OLD_IMAGES stream). */
  readonly newItem?: TItem;
  /** The item before the change (modify, remove, expire; with an OLD_IMAGE or NEW_AND_OLD_IMAGES stream). */
  readonly oldItem?: TItem;
  /** True for a delete by DynamoDB's TTL process. */
  readonly expired: boolean;
  readonly sequenceNumber: string;
  /** When DynamoDB wrote the stream record (second precision), if the record says. */
  readonly approximateCreationTime?: Date;
  /** The stream record as Lambda delivered it. */
  readonly record: DynamoDBRecord;
}

export type TableChangeFunction<TItem = Record<string, unknown>> = (change: TableChange<TItem>, context: Context) => Promise<void>;

export interface TableChangeHandlerOptions {
  /** Logger to use; each record is logged through a child logger with its sequence number and kind. @default a new Logger */
  readonly logger?: Logger;
  /**
   * Unmarshall numbers too large for a JavaScript number as `NumberValue` instead of throwing.
   * @default false
   */
  readonly wrapNumbers?: boolean;
}

const defaultLogger = new Logger();

/** The userIdentity DynamoDB's TTL process writes on its deletes. */
export const TTL_DELETE_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/** Is this stream record a delete by DynamoDB's TTL process (not by a user or application)? */
export function isTtlDelete(record: DynamoDBRecord): boolean {
  return record.eventName === 'REMOVE'
    && record.userIdentity?.type === TTL_DELETE_IDENTITY.type
    && record.userIdentity?.principalId === TTL_DELETE_IDENTITY.principalId;
}

/** The typed change of a stream record. */
export function tableChangeOf<TItem = Record<string, unknown>>(
  record: DynamoDBRecord, options: { readonly wrapNumbers?: boolean } = {},
): TableChange<TItem> {
  const eventName = record.eventName;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    throw new Error(`stream record ${record.dynamodb?.SequenceNumber ?? record.eventID} has no known eventName (${String(eventName)}); is this a DynamoDB Streams event?`);
  }
  const d = record.dynamodb ?? {};
  const image = (i: Record<string, unknown> | undefined) => (i
    ? unmarshall(i as Record<string, AttributeValue>, { wrapNumbers: options.wrapNumbers }) as TItem
    : undefined);
  const expired = isTtlDelete(record);
  return {
    kind: eventName === 'INSERT' ? 'insert' : eventName === 'MODIFY' ? 'modify' : expired ? 'expire' : 'remove',
    eventName,
    keys: image(d.Keys) as Record<string, unknown> | undefined ?? {},
    newItem: image(d.NewImage),
    oldItem: image(d.OldImage),
    expired,
    sequenceNumber: d.SequenceNumber ?? '',
    approximateCreationTime: d.ApproximateCreationDateTime !== undefined ? new Date(d.ApproximateCreationDateTime * 1000) : undefined,
    record,
  };
}

/** Raised for the records of a batch after one that failed: they were not run, and are retried. */
export class EarlierRecordFailedError extends Error {
  constructor(readonly failedSequenceNumber: string) {
    super(`not processed: record ${failedSequenceNumber} before it in the batch failed; retried with it`);
    this.name = 'EarlierRecordFailedError';
  }
}

/** Creates the DynamoDB Streams handler of a TableChangeHandler. */
export function tableChangeHandler<TItem = Record<string, unknown>>(
  handle: TableChangeFunction<TItem>,
  options: TableChangeHandlerOptions = {},
): (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse> {
  const logger = options.logger ?? defaultLogger;
  return async (event, context) => {
    const processor = new BatchProcessor(EventType.DynamoDBStreams);
    let failedAt: string | undefined;
    const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
      if (failedAt !== undefined) throw new EarlierRecordFailedError(failedAt);
      let change: TableChange<TItem> | undefined;
      const log = logger.createChild({ persistentKeys: { sequenceNumber, eventName: record.eventName } });
      try {
        change = tableChangeOf<TItem>(record, { wrapNumbers: options.wrapNumbers });
        await handle(change, context);
        log.debug('change handled', { kind: change.kind });
      } catch (error) {
        failedAt = sequenceNumber;
        log.error('change failed; the stream retries from this record', { kind: change?.kind, error: error as Error });
        throw error;
      }
    };
    // In order, one at a time; a batch whose first record failed fails the invocation (bisect).
    return processPartialResponse(event, recordHandler, processor, { context, processInParallel: false });
  };
}
