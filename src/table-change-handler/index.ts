export * from './table-change-filter';
export * from './table-change-handler';
