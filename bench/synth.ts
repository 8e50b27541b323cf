/**
 * Synth benchmark: for every pattern (bench/synth-cases.ts) and N = 1, 5, 20 instances (one stack
 * each, in one App), the wall time to build the construct tree and run `App.synth()` (fresh App and output
 * directory each run; median of `runs`), and the CloudFormation resource count, for this library
 * and for the baseline in the same process, interleaved run by run (the side that goes first
 * alternates) so machine noise and JIT warm-up hit both alike. One unmeasured warm-up run per side
 * loads the modules first. Ratios are ours / baseline. Growth in N is checked from the marginal
 * time per instance (N 1 -> 5 and 5 -> 20).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App, AppProps, Stack } from 'aws-cdk-lib';
import { SYNTH_CASES, SynthCase } from './synth-cases';

/** A fixed environment, the same for both sides (resolves region-specific choices at synth). */
const ENV = { account: '123456789012', region: 'us-east-1' };
/** Marginal time per instance may grow by this factor from N 1->5 to N 5->20 and still count as linear (noise). */
const LINEAR_TOLERANCE = 1.5;

export interface SideFigure {
  /** Median ms to build the construct tree and run App.synth(). */
  readonly totalMs: number;
  /** Median ms of App.synth() alone. */
  readonly synthMs: number;
  /** CloudFormation resources in the synthesized template. */
  readonly resources: number;
}

export interface SynthFigure {
  readonly pattern: string;
  readonly n: number;
  /** Whether aws-cdk-lib's built-in CloudFormation validation ran (its default) or was turned off. */
  readonly validation: boolean;
  readonly runs: number;
  /** Undefined when the pattern is not merged on this branch. */
  readonly ours?: SideFigure;
  readonly baseline: SideFigure;
}

interface RunResult { totalMs: number; synthMs: number; resources: number }

/**
 * Console lines printed while building and synthesizing (Solutions Constructs warn whenever a prop
 * overrides one of their defaults; aws-cdk-lib prints its template validation warnings), collected
 * once instead of flooding the output with one copy per run.
 */
export const SYNTH_CONSOLE_LINES = new Set<string>();

function synthOnce(build: (stack: Stack, i: number) => void, n: number, validation: boolean): RunResult {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const saved = { log: console.log, warn: console.warn, error: console.error };
  const collect = (...args: unknown[]) => {
    const text = args.map(String).join(' ').replace(/\u001b\[[0-9;]*m/g, '').trim();
    if (text && !text.startsWith('A copy of this report')) SYNTH_CONSOLE_LINES.add(text);
  };
  console.log = console.warn = console.error = collect;
  // Releases before 2.276 ignore `builtinCloudFormationValidation` and read CDK_VALIDATION instead
  // (2.269, the floor this repo installs, does): set both, or "off" would still validate.
  const savedValidationEnv = process.env.CDK_VALIDATION;
  if (validation) delete process.env.CDK_VALIDATION;
  else process.env.CDK_VALIDATION = 'false';
  try {
    const start = performance.now();
    // `builtinCloudFormationValidation` exists from aws-cdk-lib 2.276 on; older releases ignore it.
    const appProps: AppProps & { builtinCloudFormationValidation?: boolean } = {
      outdir, analyticsReporting: false, builtinCloudFormationValidation: validation,
    };
    const app = new App(appProps);
    // One stack per instance: 20 AsyncHttpApis (39 resources each) exceed CloudFormation's 500
    // resources per stack, and a real app would split them too. The same on both sides.
    for (let i = 0; i < n; i++) build(new Stack(app, `Bench${i}`, { env: ENV }), i);
    const built = performance.now();
    const assembly = app.synth();
    const done = performance.now();
    const resources = assembly.stacks.reduce((sum, s) => sum + Object.keys(s.template.Resources ?? {}).length, 0);
    return { totalMs: done - start, synthMs: done - built, resources };
  } finally {
    if (savedValidationEnv === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = savedValidationEnv;
    Object.assign(console, saved);
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarize(results: RunResult[]): SideFigure {
  return {
    totalMs: median(results.map((r) => r.totalMs)),
    synthMs: median(results.map((r) => r.synthMs)),
    resources: results[0].resources,
  };
}

/** Measures one case at every N. */
export function benchSynthCase(c: SynthCase, sizes: number[], runs: number, validation: boolean): SynthFigure[] {
  const sides: Array<['ours' | 'baseline', (stack: Stack, i: number) => void]> = [['baseline', c.baseline]];
  if (c.ours) sides.push(['ours', c.ours]);
  return sizes.map((n) => {
    const results: Record<string, RunResult[]> = { ours: [], baseline: [] };
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? sides : [...sides].reverse();
      for (const [side, build] of order) results[side].push(synthOnce(build, n, validation));
    }
    return {
      pattern: c.pattern,
      n,
      validation,
      runs,
      ours: c.ours ? summarize(results.ours) : undefined,
      baseline: summarize(results.baseline),
    };
  });
}

/** The whole app: every merged pattern side by side in one stack, N instances of each. */
export function wholeAppCase(cases: SynthCase[]): SynthCase | undefined {
  const merged = cases.filter((c) => c.ours);
  if (merged.length < 2) return undefined; // with one merged pattern the whole app is that pattern's row
  return {
    pattern: `whole app (${merged.map((c) => c.pattern).join(' + ')})`,
    baselineDescription: 'the baselines of the merged patterns',
    ours: (stack, i) => merged.forEach((c) => c.ours!(stack, i)),
    baseline: (stack, i) => merged.forEach((c) => c.baseline(stack, i)),
  };
}

export function benchSynth(smoke: boolean, log: (line: string) => void = () => undefined): SynthFigure[] {
  const sizes = smoke ? [1] : [1, 5, 20];
  const runs = smoke ? 1 : 5;
  const cases = [...SYNTH_CASES];
  const whole = wholeAppCase(cases);
  if (whole) cases.push(whole);
  // Warm-up: load every module and run every code path once before anything is measured, so the
  // first measured case does not pay the process's JIT warm-up.
  for (const c of cases) {
    for (const validation of [true, false]) {
      synthOnce(c.baseline, 1, validation);
      if (c.ours) synthOnce(c.ours, 1, validation);
    }
  }
  const figures: SynthFigure[] = [];
  for (const validation of [true, false]) {
    for (const c of cases) {
      log(`  synth (CloudFormation validation ${validation ? 'on' : 'off'}): ${c.pattern}${c.ours ? '' : ' (baseline only: not merged yet)'}`);
      figures.push(...benchSynthCase(c, sizes, runs, validation));
    }
  }
  return figures;
}

const fmt = (ms: number) => Math.round(ms);
const ratio = (a: number, b: number) => +(a / b).toFixed(2);
const NOT_MERGED = 'not merged yet';

export function synthTable(figures: SynthFigure[]) {
  return figures.map((f) => ({
    'pattern': f.pattern,
    'CFN validation': f.validation ? 'on (default)' : 'off',
    'N': f.n,
    'ours ms': f.ours ? fmt(f.ours.totalMs) : NOT_MERGED,
    'baseline ms': fmt(f.baseline.totalMs),
    'ratio': f.ours ? ratio(f.ours.totalMs, f.baseline.totalMs) : '-',
    'ours synth() ms': f.ours ? fmt(f.ours.synthMs) : NOT_MERGED,
    'baseline synth() ms': fmt(f.baseline.synthMs),
    'synth() ratio': f.ours ? ratio(f.ours.synthMs, f.baseline.synthMs) : '-',
    'ours resources': f.ours ? f.ours.resources : NOT_MERGED,
    'baseline resources': f.baseline.resources,
    'resources ratio': f.ours ? ratio(f.ours.resources, f.baseline.resources) : '-',
    'ms per resource ratio': f.ours ? ratio(f.ours.totalMs / f.ours.resources, f.baseline.totalMs / f.baseline.resources) : '-',
  }));
}

/** One line per merged pattern and validation mode: the time ratio at the largest N against the target (<= 1.0). */
export function synthVerdicts(figures: SynthFigure[]): string[] {
  const largestN = Math.max(...figures.map((f) => f.n));
  const merged = figures.filter((f) => f.ours && f.n === largestN);
  const lines = merged.map((f) => {
    const r = ratio(f.ours!.totalMs, f.baseline.totalMs); // the verdict uses the printed (rounded) ratio
    return `${f.pattern}, CloudFormation validation ${f.validation ? 'on (default)' : 'off'}, N=${f.n}: time ratio ${r.toFixed(2)} `
      + `(target <= 1.0: ${r <= 1 ? 'met' : 'NOT met'}), App.synth() alone ${(f.ours!.synthMs / f.baseline.synthMs).toFixed(2)}, `
      + `${f.ours!.resources} vs ${f.baseline.resources} resources, time per resource ratio ${((f.ours!.totalMs / f.ours!.resources) / (f.baseline.totalMs / f.baseline.resources)).toFixed(2)}`;
  });
  if (merged.length === 1) lines.push(`The whole app is ${merged[0].pattern} alone until more patterns are merged (then a "whole app" row appears).`);
  return lines;
}

/** The collected console lines, one headline each (the first line that is not a source location), deduplicated. */
export function synthConsoleHeadlines(): string[] {
  const headlines = new Set<string>();
  for (const text of SYNTH_CONSOLE_LINES) {
    const headline = text.split('\n').map((l) => l.trim()).find((l) => l && !/^\S+\.[jt]s:\d+:\d+$/.test(l));
    if (headline) headlines.add(headline);
  }
  return [...headlines];
}

/** Time per instance at each N, the marginal time per added instance, and whether growth is linear. */
export function growthTable(figures: SynthFigure[]) {
  const rows: Array<Record<string, string | number>> = [];
  const groups = [...new Set(figures.map((f) => `${f.pattern}\u0000${f.validation}`))];
  for (const group of groups) {
    const [pattern, validationText] = group.split('\u0000');
    const validation = validationText === 'true' ? 'on (default)' : 'off';
    const byN = figures.filter((f) => f.pattern === pattern && String(f.validation) === validationText).sort((a, b) => a.n - b.n);
    for (const side of ['ours', 'baseline'] as const) {
      if (!byN[0][side]) {
        rows.push({ pattern, 'CFN validation': validation, side, 'ms/instance by N': NOT_MERGED, 'marginal ms/instance': '-', 'resources/instance': '-', 'growth': '-' });
        continue;
      }
      const perInstance = byN.map((f) => `N=${f.n}: ${(f[side]!.totalMs / f.n).toFixed(0)}`).join(', ');
      const marginals: number[] = [];
      for (let k = 1; k < byN.length; k++) {
        marginals.push((byN[k][side]!.totalMs - byN[k - 1][side]!.totalMs) / (byN[k].n - byN[k - 1].n));
      }
      const resourcesPerInstance = byN.map((f) => (f[side]!.resources / f.n).toFixed(1)).join(', ');
      const slope = byN.length > 1 ? (byN[1][side]!.resources - byN[0][side]!.resources) / (byN[1].n - byN[0].n) : 0;
      const linearResources = byN.every((f) => f[side]!.resources - byN[0][side]!.resources === (f.n - byN[0].n) * slope);
      let growth = 'n/a (one N)';
      if (marginals.length >= 2) {
        const last = marginals[marginals.length - 1];
        const first = marginals[0];
        const timeLinear = last <= first * LINEAR_TOLERANCE;
        growth = `${timeLinear ? 'linear' : 'SUPERLINEAR'} time (marginal x${(last / first).toFixed(2)}), ${linearResources ? 'linear' : 'NON-LINEAR'} resources`;
      }
      rows.push({
        pattern,
        'CFN validation': validation,
        side,
        'ms/instance by N': perInstance,
        'marginal ms/instance': marginals.length ? marginals.map((m) => m.toFixed(0)).join(' -> ') : '-',
        'resources/instance': resourcesPerInstance,
        growth,
      });
    }
  }
  return rows;
}

export function baselineNotes(): string[] {
  return SYNTH_CASES.map((c) => `${c.pattern}: ${c.baselineDescription}`);
}

if (require.main === module) {
  const smoke = process.argv.includes('--smoke');
  const figures = benchSynth(smoke, console.log);
  console.table(synthTable(figures));
  console.table(growthTable(figures));
  for (const line of synthVerdicts(figures)) console.log(line);
  for (const line of synthConsoleHeadlines()) console.log(`printed while building: ${line}`);
}
