/**
 * Writes .env.example and the README's configuration table from the one config schema,
 * so the docs cannot drift from what the code reads. Run: npx tsx scripts/config-docs.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_FIELDS } from '../src/apps/config.js';

const lines = [
  '# Obscura configuration. Every variable is optional for `npm start` (embedded build).',
  '# Copy to .env and uncomment what you change; real environment variables win over this file.',
  '',
];
const rows = ['| variable | default | meaning |', '| --- | --- | --- |'];
for (const f of CONFIG_FIELDS) {
  lines.push(`# ${f.doc}`);
  lines.push(`# ${f.env}=${f.secret ? '' : (f.example ?? '')}`);
  lines.push('');
  rows.push(
    `| \`${f.env}\` | ${f.defaultValue !== undefined ? `\`${f.defaultValue}\`` : '—'} | ${f.doc} |`,
  );
}
writeFileSync('.env.example', lines.join('\n'));
const readme = readFileSync('README.md', 'utf8');
const start = '<!-- config:start -->';
const end = '<!-- config:end -->';
const [before, rest] = readme.split(start);
const after = rest?.split(end)[1];
if (before === undefined || after === undefined)
  throw new Error(`README.md lacks the ${start} … ${end} markers`);
writeFileSync('README.md', `${before}${start}\n${rows.join('\n')}\n${end}${after}`);
