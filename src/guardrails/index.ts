export * from './serverless-defaults';
export * from './serverless-guardrails';
