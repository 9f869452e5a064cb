// Prints the error catalog as the markdown table docs/api.md embeds (between the ERRORS markers).
import fs from 'node:fs';
import { ERRORS } from '../src/domain/errors.js';

const rows = Object.entries(ERRORS).map(([code, e]) => {
  const close = (e as { closeCode?: number }).closeCode;
  return `| \`${code}\` | ${e.status} | ${close ?? ''} | ${e.message} |`;
});
const table = ['| code | HTTP | WS close | message |', '|---|---|---|---|', ...rows].join('\n');
const file = new URL('../docs/api.md', import.meta.url);
const doc = fs.readFileSync(file, 'utf8');
const next = doc.replace(/<!-- ERRORS:BEGIN -->[\s\S]*<!-- ERRORS:END -->/, `<!-- ERRORS:BEGIN -->\n${table}\n<!-- ERRORS:END -->`);
fs.writeFileSync(file, next);
console.log(`wrote ${rows.length} error codes to docs/api.md`);
