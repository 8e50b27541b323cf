export * from './private-content';
export * from './static-site';
