// cdk-serverless-patterns-runtime: helpers for the handler code users deploy with the patterns.
export { jobWorker, LeaseHeldError } from './job-worker';
export type { Job, JobHandler, JobWorkerOptions } from './job-worker';
export { fanOutConsumer, unwrapBody } from './fan-out-consumer';
export type { FanOutMessage, FanOutMessageHandler, FanOutConsumerOptions } from './fan-out-consumer';
export { fileProcessor, decodeS3Key, s3RecordsOf } from './file-processor';
export type { InputFile, ProcessResult, FileHandler, FileProcessorOptions } from './file-processor';
export { createUrlSigner } from './signed-urls';
export type { UrlSigner, UrlSignerOptions, SignOptions } from './signed-urls';
export { createDatabasePool, cachedAuthToken } from './database';
export type { DatabasePoolOptions, AuthTokenSource } from './database';
export { DB_ENV } from './database-env';
export { tableChangeHandler, tableChangeOf, isTtlDelete, TTL_DELETE_IDENTITY, EarlierRecordFailedError } from './table-change';
export type { TableChange, TableChangeKind, TableChangeFunction, TableChangeHandlerOptions } from './table-change';
export { restError, restJson, restRouteOf, preconditionOf, etagOf, parseEtag, mergePatch, REST_API_ENV, REST_API_RECORD } from './rest-api';
export type { RestRoute, Precondition, Version as RestRecordVersion } from './rest-api';
