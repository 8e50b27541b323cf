export * from './serverless-rest-api';
