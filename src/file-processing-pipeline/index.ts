export * from './file-processing-pipeline';
