/**
 * Multi-language proof without the Python/Java/.NET/Go registries: generates every target's code
 * with `jsii-pacmak --code-only` from the compiled assembly (.jsii), then checks what can be checked
 * here: the generated Python compiles (`python3 -m py_compile`), every generated Go file parses
 * (`gofmt -e`), and every README example that jsii-rosetta translated to Python compiles. Run after
 * `jsii` and `jsii-rosetta extract` (ci:test does).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pacmak-'));
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

function filesUnder(dir: string, suffix: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => path.join(e.parentPath, e.name));
}

execFileSync(bin('jsii-pacmak'), ['--code-only', '--targets', 'python,java,dotnet,go', '--outdir', out], { cwd: root, stdio: 'inherit' });
const counts: Record<string, number> = {};
for (const [target, suffix] of [['python', '.py'], ['java', '.java'], ['dotnet', '.cs'], ['go', '.go']] as const) {
  const files = filesUnder(path.join(out, target), suffix);
  if (files.length === 0) throw new Error(`jsii-pacmak generated no ${suffix} files for ${target}`);
  counts[target] = files.length;
}

// Python: the generated package compiles.
const pyFiles = filesUnder(path.join(out, 'python'), '.py');
execFileSync('python3', ['-m', 'py_compile', ...pyFiles], { stdio: 'inherit' });

// Go: every file parses. gofmt would also re-indent pacmak's doc-comment examples and drop its
// trailing blank lines; that layout is the generator's, counted but not failed on.
const goFiles = filesUnder(path.join(out, 'go'), '.go');
execFileSync('gofmt', ['-e', '-l', ...goFiles], { stdio: ['ignore', 'ignore', 'inherit'] });
const reformatted = execFileSync('gofmt', ['-l', ...goFiles], { encoding: 'utf8' }).split('\n').filter(Boolean).length;

// README examples translated to Python by jsii-rosetta compile.
const tablet = JSON.parse(fs.readFileSync(path.join(root, '.jsii.tabl.json'), 'utf8'));
const snippets = Object.values<any>(tablet.snippets);
const pyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rosetta-python-'));
const translated = snippets.filter((s) => s.translations?.python?.source !== undefined);
translated.forEach((s, i) => fs.writeFileSync(path.join(pyDir, `snippet_${i}.py`), s.translations.python.source));
if (translated.length !== snippets.length) throw new Error(`${snippets.length - translated.length} README examples have no Python translation`);
execFileSync('python3', ['-m', 'py_compile', ...fs.readdirSync(pyDir).map((f) => path.join(pyDir, f))], { stdio: 'inherit' });

console.log(`languages OK: jsii-pacmak --code-only generated ${counts.python} Python, ${counts.java} Java, ${counts.dotnet} C# and ${counts.go} Go files; `
  + `Python py_compile OK; Go parses (gofmt -e; ${reformatted} files would be re-laid out by gofmt: pacmak's doc comments and trailing blank lines); `
  + `${translated.length} README examples translated to Python compile`);
fs.rmSync(out, { recursive: true, force: true });
fs.rmSync(pyDir, { recursive: true, force: true });
