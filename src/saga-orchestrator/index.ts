export * from './saga-orchestrator';
