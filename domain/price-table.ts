// Loads the dated price table from config/ (or the file config.placement.pricesFile names: SPILLWAY_PRICES_FILE),
// validated once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validatePriceTable, type PriceTable } from './cost-model';

function defaultPath(): string {
  // From source (domain/) and from dist (dist/domain/) alike, config/ sits at the repository root.
  const fromSource = path.resolve(__dirname, '..', 'config', 'prices.json');
  const fromDist = path.resolve(__dirname, '..', '..', 'config', 'prices.json');
  return __dirname.includes(`${path.sep}dist${path.sep}`) ? fromDist : fromSource;
}

/** Validated tables by absolute path: each file is read once, and asking for another file never returns this one. */
const cache = new Map<string, PriceTable>();

export function loadPriceTable(file?: string): PriceTable {
  const key = path.resolve(file ?? defaultPath());
  let table = cache.get(key);
  if (!table) {
    table = validatePriceTable(JSON.parse(readFileSync(key, 'utf8')));
    cache.set(key, table);
  }
  return table;
}
