// The public (jsii) surface: re-exports only.
export * from './core/alarms';
export * from './core/function-options';
export * from './core/handler';
export * from './core/entry-options';
export * from './core/notifications';
export * from './core/queue';
export * from './core/serverless-function';
export * from './async-http-api';
export * from './scheduled-job';
export * from './saga-orchestrator';
export * from './fan-out';
export * from './file-processing-pipeline';
export * from './static-site';
export * from './table-change-handler';
export * from './guardrails';
export * from './core/database';
export * from './serverless-rest-api';
