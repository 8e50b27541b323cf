/**
 * Packs a sibling package (`runtime` or `local`: packages/<name>) into dist/js with the construct
 * package's version (lockstep releases): packages/<name> is staged with its version set to the root
 * package.json's, then `npm pack`ed. packages/<name>/package.json itself stays as projen writes it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');
const sibling = process.argv[2];
if (sibling !== 'runtime' && sibling !== 'local') throw new Error(`usage: tsx scripts/pack-sibling.ts runtime|local (got ${sibling})`);
const version: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const staging = path.join(root, 'dist', `${sibling}-staging`);
fs.rmSync(staging, { recursive: true, force: true });
fs.cpSync(path.join(root, 'packages', sibling), staging, { recursive: true, filter: (src) => !src.endsWith('tsconfig.json') });
const manifestPath = path.join(staging, 'package.json');
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
manifest.version = version;
fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
fs.mkdirSync(path.join(root, 'dist', 'js'), { recursive: true });
for (const old of fs.readdirSync(path.join(root, 'dist', 'js')).filter((f) => f.startsWith(`${manifest.name}-`))) {
  fs.rmSync(path.join(root, 'dist', 'js', old));
}
execFileSync('npm', ['pack', staging, '--pack-destination', path.join(root, 'dist', 'js'), '--silent'], { stdio: 'inherit' });
fs.rmSync(staging, { recursive: true, force: true });
