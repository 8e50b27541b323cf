/**
 * Imported first (jest setupFiles, and by the benchmarks): Powertools Logger and Metrics read their
 * configuration when a handler module creates them, so the quiet settings must be in place before
 * any handler is imported. Set POWERTOOLS_LOG_LEVEL yourself to see the logs.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
export {};
