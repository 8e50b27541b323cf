export * from './async-http-api';
