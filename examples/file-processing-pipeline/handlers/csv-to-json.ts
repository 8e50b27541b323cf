import { fileProcessor } from 'cdk-serverless-patterns-runtime/file-processor';

/**
 * Converts an uploaded CSV (header row + rows) into JSON Lines in the output bucket. A file whose
 * rows do not match the header is rejected: after the retries it lands in the DLQ with a FileFailed
 * notice instead of producing half a file.
 */
export const handler = fileProcessor(async (file) => {
  const lines = (await file.read()).toString('utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const [header, ...rows] = lines.map((l) => l.split(','));
  if (!header) throw new Error(`${file.key} is empty`);
  const records = rows.map((cells, i) => {
    if (cells.length !== header.length) throw new Error(`${file.key}: row ${i + 2} has ${cells.length} cells, the header has ${header.length}`);
    return Object.fromEntries(header.map((name, c) => [name.trim(), cells[c].trim()]));
  });
  const name = file.key.replace(/^.*\//, '').replace(/\.csv$/i, '');
  await file.write(`${name}.jsonl`, records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'application/x-ndjson');
});
