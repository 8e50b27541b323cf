export * from './fan-out';
