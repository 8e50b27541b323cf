export * from './job-schedule';
export * from './scheduled-job';
