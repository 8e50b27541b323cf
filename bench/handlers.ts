/**
 * Handler benchmark: for every handler the library ships (assets/**\/index.js, bundled by
 * `npx projen bundle`), the bundle size raw and gzipped, and the cold module-init time as the
 * median of N fresh Node processes, next to two baselines measured in the same run, interleaved:
 * an empty handler, and the "SDK floor" (a handler that only loads the AWS SDK v3 clients this
 * bundle loads; the Lambda runtime provides the SDK, so every handler using those clients pays it).
 * Targets: <= 100 KB and <= 50 ms.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

export interface HandlerFigure {
  readonly handler: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly initMs: number;
  readonly emptyHandlerMs: number;
  readonly sdkFloorMs: number;
  readonly sdkModules: string[];
}

const ROOT = path.join(__dirname, '..');

function findBundles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? findBundles(p) : e.name === 'index.js' ? [p] : [];
  });
}

/** Milliseconds to load a module in a fresh process (the AWS SDK resolved from node_modules, as the Lambda runtime provides it). */
function initMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), AWS_REGION: 'us-east-1' },
  });
  return Number(out.toString());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function benchHandlers(runs = 21): HandlerFigure[] {
  const bundles = findBundles(path.join(ROOT, 'assets'));
  if (bundles.length === 0) throw new Error('no bundled handlers in assets/: run npx projen bundle first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const emptyFile = path.join(tmp, 'empty.js');
  fs.writeFileSync(emptyFile, 'exports.handler = async () => ({ statusCode: 200 });\n');
  const figures: HandlerFigure[] = [];
  for (const [n, file] of bundles.entries()) {
    const code = fs.readFileSync(file);
    const sdkModules = [...new Set([...code.toString().matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]))].sort();
    const floorFile = path.join(tmp, `floor-${n}.js`);
    fs.writeFileSync(floorFile, sdkModules.map((m) => `require(${JSON.stringify(m)});`).join('\n') + '\nexports.handler = async () => ({});\n');
    // Interleave the runs so machine noise hits handler and baselines alike.
    const handlerTimes: number[] = [];
    const emptyTimes: number[] = [];
    const floorTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      emptyTimes.push(initMs(emptyFile));
      floorTimes.push(initMs(floorFile));
      handlerTimes.push(initMs(file));
    }
    figures.push({
      handler: path.relative(path.join(ROOT, 'assets'), path.dirname(file)).replace('/runtime/', '/').replace(/\.handler$/, ''),
      bytes: code.length,
      gzipBytes: zlib.gzipSync(code, { level: 9 }).length,
      initMs: median(handlerTimes),
      emptyHandlerMs: median(emptyTimes),
      sdkFloorMs: median(floorTimes),
      sdkModules,
    });
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return figures;
}

if (require.main === module) {
  const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? 21);
  const figures = benchHandlers(runs);
  console.table(handlerTable(figures));
}

export function handlerTable(figures: HandlerFigure[]) {
  return figures.map((f) => ({
    'handler': f.handler,
    'KiB': +(f.bytes / 1024).toFixed(1),
    'gzip KiB': +(f.gzipBytes / 1024).toFixed(1),
    'init ms': +f.initMs.toFixed(1),
    'SDK floor ms': +f.sdkFloorMs.toFixed(1),
    'own init ms': +(f.initMs - f.sdkFloorMs).toFixed(1),
    'empty ms': +f.emptyHandlerMs.toFixed(1),
    '<= 100 KB': f.bytes <= 100 * 1024 ? 'yes' : 'NO',
    '<= 50 ms (own)': f.initMs - f.sdkFloorMs <= 50 ? 'yes' : 'NO',
  }));
}
