// `node --import tsx --import ./bench/lib/no-search-index.mjs …`: the stores with their
// search indexing cut out (bench/send-index.ts's "index off"). The production code has no
// such switch; see no-search-index-hooks.mjs for what is cut.
import { register } from 'node:module';

register('./no-search-index-hooks.mjs', import.meta.url);
