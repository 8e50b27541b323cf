// Prints jest's totals from the JUnit report as one plain closing line: "N passed, N failed, N skipped".
const fs = require('fs');
const file = process.argv[2];
if (!fs.existsSync(file)) {
  console.log('0 passed, 0 failed (no test report: the run stopped before the tests)');
  process.exit(0);
}
const xml = fs.readFileSync(file, 'utf8');
const head = /<testsuites[^>]*>/.exec(xml)?.[0] ?? '';
const attr = (name) => Number(new RegExp(`${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
const total = attr('tests');
const failed = attr('failures') + attr('errors');
const skipped = (xml.match(/<skipped\s*\/>/g) ?? []).length;
console.log(`${total - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
