export * from './async-http-api';
export * from './api-authorization';
