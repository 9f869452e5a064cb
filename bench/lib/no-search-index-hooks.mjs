/**
 * Module hooks for bench/send-index.ts's "index off" runs: after tsx has
 * compiled a store module, the search indexing of a send is cut from its
 * source, so the same build measures with and without it and production code
 * carries no switch. What is cut:
 * - SQLite: indexMessage (sqlite-search.ts) does nothing: no terms computed,
 *   no FTS5 row written;
 * - PostgreSQL: the append computes no terms (postgres-append.ts) and its
 *   statement writes no message_search row; indexMessage does nothing.
 * Each cut must match, or the module fails to load: a silent no-op here would
 * report the index as free.
 */
const CUTS = [
  {
    file: /\/src\/store\/(sqlite|postgres)-search\.ts$/,
    edits: [
      [
        /(export\s+)?(async\s+)?function indexMessage\(/,
        '$1$2function indexMessage(..._args) { return undefined; }\n$2function indexMessageUnused(',
      ],
    ],
  },
  {
    file: /\/src\/store\/postgres-append\.ts$/,
    edits: [
      [/\bdocumentTerms\(/g, '(() => "")('],
      [/\n\s*s AS \(INSERT INTO message_search[\s\S]*?JOIN m ON m\.id = i\.id\),/, '\n'],
    ],
  },
];

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  const cut = CUTS.find((c) => c.file.test(url));
  if (!cut) return result;
  let source = String(result.source);
  for (const [pattern, replacement] of cut.edits) {
    const next = source.replace(pattern, replacement);
    if (next === source) throw new Error(`no-search-index: ${pattern} not found in ${url}; update bench/lib/no-search-index-hooks.mjs`);
    source = next;
  }
  return { ...result, source, shortCircuit: true };
}
