/** Markdown rendering of the benchmark tables for docs/benchmarks.md. */

export type Row = Record<string, string | number | boolean | undefined>;

export function markdownTable(rows: Row[]): string {
  if (rows.length === 0) return '_no rows_';
  const headers = Object.keys(rows[0]);
  const cell = (v: Row[string]) => String(v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `| ${headers.map(cell).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${headers.map((h) => cell(r[h])).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function bullets(items: string[]): string {
  return items.map((i) => `- ${i}`).join('\n');
}
